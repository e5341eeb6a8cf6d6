"""Read network interfaces from /sys/class/net and the default route from /proc/net."""

from __future__ import annotations

import os

from sriovctl.host.model import NetDev, normalize_address
from sriovctl.host.root import Root

CLASS_NET = "/sys/class/net"


def read_netdevs(root: Root) -> dict[str, NetDev]:
    default = default_route_interfaces(root)
    netdevs: dict[str, NetDev] = {}
    for name in root.listdir(CLASS_NET):
        base = f"{CLASS_NET}/{name}"
        device = root.readlink(f"{base}/device")
        pci = normalize_address(os.path.basename(device)) if device else None
        speed = root.read_int(f"{base}/speed")
        entries = root.listdir(base)
        netdevs[name] = NetDev(
            name=name,
            ifindex=root.read_int(f"{base}/ifindex"),
            mac=root.read_text(f"{base}/address") or None,
            mtu=root.read_int(f"{base}/mtu"),
            operstate=root.read_text(f"{base}/operstate") or None,
            speed=speed if speed is not None and speed > 0 else None,
            pci_address=pci,
            default_route=name in default,
            master=root.link_name(f"{base}/master"),
            uppers=tuple(e[len("upper_"):] for e in entries if e.startswith("upper_")),
        )
    return netdevs


def default_route_interfaces(root: Root) -> set[str]:
    """Interfaces carrying an IPv4 or IPv6 default route."""
    found: set[str] = set()
    for line in (root.read_text("/proc/net/route") or "").splitlines()[1:]:
        f = line.split()
        if len(f) >= 8 and f[1] == "00000000" and f[7] == "00000000":
            found.add(f[0])
    for line in (root.read_text("/proc/net/ipv6_route") or "").splitlines():
        f = line.split()
        if len(f) >= 10 and f[0] == "0" * 32 and f[1] == "00" and f[9] != "lo":
            found.add(f[9])
    return found
