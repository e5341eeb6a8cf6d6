"""Which running libvirt domain holds a VF (or its netdev), and the neutron port MAC it got.

libvirt keeps /run/libvirt/qemu/<name>.xml only while a domain runs, so reading those files
needs neither libvirtd nor its Python binding. What nova writes for an SR-IOV port:
  vnic_type direct           <interface type='hostdev'> with <mac> and the VF's PCI <address>
  vnic_type direct-physical  <hostdev type='pci'> with the PCI <address> (no MAC)
  vnic_type macvtap          <interface type='direct'> with <mac> and <source dev='VF netdev'>
Used by the VF lifecycle (who would lose a VF to a resize) and by the monitor (which guest
and port each VF's counters belong to).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from sriovctl.host.root import Root

LIBVIRT_RUN = "/run/libvirt/qemu"
MAX_XML = 1 << 22


@dataclass(frozen=True)
class Attachment:
    domain: str
    port_mac: str = ""  # "" when the XML gives none (a <hostdev>)


def running_attachments(root: Root) -> dict[str, Attachment]:
    """PCI address or VF netdev name -> the running domain using it."""
    found: dict[str, Attachment] = {}
    for name in root.listdir(LIBVIRT_RUN):
        if name.endswith(".xml"):
            data = root.read_bytes(f"{LIBVIRT_RUN}/{name}", limit=MAX_XML)
            if data:
                found.update(attachments_in_xml(data, name[:-4]))
    return found


def attachments_in_xml(data: bytes, fallback_name: str) -> dict[str, Attachment]:
    try:
        tree = ET.fromstring(data)
    except ET.ParseError:
        return {}
    # the status file wraps the domain: <domstatus ...><domain ...>
    domain = tree if tree.tag == "domain" else tree.find("domain")
    devices = domain.find("devices") if domain is not None else None
    if domain is None or devices is None:
        return {}
    name = (domain.findtext("name") or fallback_name).strip()
    found: dict[str, Attachment] = {}
    for dev in devices:
        kind = dev.get("type")
        mac_el = dev.find("mac")
        mac = (mac_el.get("address") or "").lower() if mac_el is not None else ""
        source = dev.find("source")
        if source is None:
            continue
        if (dev.tag == "hostdev" and kind == "pci") or (dev.tag == "interface"
                                                         and kind == "hostdev"):
            address = pci_address(source.find("address"))
            if address:
                found[address] = Attachment(name, mac)
        elif dev.tag == "interface" and kind == "direct" and source.get("dev"):
            found[source.get("dev", "")] = Attachment(name, mac)
    return found


def pci_address(el: ET.Element | None) -> str | None:
    if el is None or el.get("bus") is None:
        return None
    try:
        d, b, s, f = (int(el.get(k, "0"), 0) for k in ("domain", "bus", "slot", "function"))
    except ValueError:
        return None
    return f"{d:04x}:{b:02x}:{s:02x}.{f:x}"
