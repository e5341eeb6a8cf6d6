"""Render sriovctl's inventory the way `ip link show PF` and `lspci -D -nn` print it.

The demo shows these next to the kernel's own tools: if sriovctl's model were
wrong, the two would differ on screen. Input is `sriovctl inspect -f json`
(schema sriovctl.inventory/1); nothing here reads the host.

    python3 -m sriovctl.lab.views ip-link|lspci INVENTORY.json
"""

from __future__ import annotations

import json
import sys

CLASS_ETHERNET = "Ethernet controller"


def ip_link(inventory: dict) -> list[str]:
    """`ip link show PF` for every PF: the PF line, its MAC, one `vf N` line per VF."""
    lines = []
    for pf in inventory.get("pfs", []):
        link = pf.get("link") or {}
        state = (link.get("operstate") or "unknown").upper()
        lines.append(f"{pf.get('netdev') or pf['address']}: mtu {link.get('mtu')} state {state}")
        lines.append(f"    link/ether {link.get('mac')} brd ff:ff:ff:ff:ff:ff")
        lines.extend(f"    {vf_line(vf)}" for vf in pf.get("vfs", []))
    return lines


def vf_line(vf: dict) -> str:
    """One VF the way iproute2 prints it under its PF."""
    parts = [f"vf {vf['index']}     link/ether {vf.get('mac')} brd ff:ff:ff:ff:ff:ff"]
    if vf.get("vlan"):
        parts.append(f"vlan {vf['vlan']}" + (f", qos {vf['qos']}" if vf.get("qos") else ""))
    if vf.get("max_tx_rate"):
        parts.append(f"max_tx_rate {vf['max_tx_rate']}Mbps")
    if vf.get("spoofchk") is not None:
        parts.append(f"spoof checking {'on' if vf['spoofchk'] else 'off'}")
    if vf.get("link_state"):
        parts.append(f"link-state {vf['link_state']}")
    if vf.get("trust") is not None:
        parts.append(f"trust {'on' if vf['trust'] else 'off'}")
    return ", ".join(parts)


def lspci(inventory: dict) -> list[str]:
    """`lspci -D -nn` lines for the PFs and VFs (IDs only: sriovctl keeps no name database)."""
    lines = []
    for pf in inventory.get("pfs", []):
        lines.append(_pci_line(pf["address"], pf.get("vendor_device"), pf.get("driver")))
        for vf in pf.get("vfs", []):
            lines.append(_pci_line(vf["address"], vf.get("vendor_device"), vf.get("driver"),
                                   f"VF {vf['index']} of {pf['address']}"))
    return lines


def _pci_line(address: str, ids: str | None, driver: str | None, note: str = "") -> str:
    extra = ", ".join(x for x in (f"driver {driver}" if driver else "", note) if x)
    return f"{address} {CLASS_ETHERNET}: [{ids}]" + (f"  ({extra})" if extra else "")


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("ip-link", "lspci"):
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        inventory = json.load(f)
    print("\n".join(ip_link(inventory) if argv[0] == "ip-link" else lspci(inventory)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
