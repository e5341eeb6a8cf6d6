"""The libvirt guest XML nova writes for an SR-IOV port, per vnic_type.

Operators meet this XML in nova-compute's log when an attach fails (the guide's
"attach device xml: <interface type="hostdev" managed="yes"> ... group 3 is not viable"),
so we render it the way nova does to let them compare, or to try it by hand with
``virsh attach-device``. What nova does (nova/virt/libvirt/vif.py, designer.py, config.py):

- ``direct`` (vif_type hw_veb): ``<interface type="hostdev" managed="yes">`` with the port's
  MAC, the VF's PCI address as ``<source><address type="pci" .../>`` and the VLAN tag.
  No ``<model>``: a passed-through VF has no emulated model.
- ``macvtap`` (vif_type hw_veb): ``<interface type="direct">`` on the VF's *netdev* in
  ``passthrough`` mode, model virtio, driver vhost, and the VLAN tag.
- ``direct-physical`` (vif_type hostdev_physical): a plain ``<hostdev mode="subsystem"
  type="pci" managed="yes">`` for the whole PF; no MAC, no VLAN (neutron cannot program a
  PF it hands away), and nova's ``<address>`` here carries no ``type`` attribute.

VLAN: neutron sends ``vif_details["vlan"]`` as a string, ``"0"`` for a flat network, and
nova tests it for truthiness, so a flat port still gets ``<tag id="0"/>``. Here ``vlan=0``
renders that tag and ``vlan=None`` (no segment known) renders none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from xml.sax.saxutils import quoteattr

from sriovctl.errors import InputError

if TYPE_CHECKING:
    from sriovctl.host.model import Host

VNIC_TYPES = ("direct", "macvtap", "direct-physical")
# neutron's vif_type for each (sriovnicswitch binds all three).
VIF_TYPES = {"direct": "hw_veb", "macvtap": "hw_veb", "direct-physical": "hostdev_physical"}

_PCI_SLOT = re.compile(r"^([0-9a-fA-F]{4}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])$")
_MAC = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")
# libvirt refuses anything outside 0..4095 for <tag id>; neutron VLAN segments are 1..4094.
_VLAN_MAX = 4095


@dataclass(frozen=True)
class Element:
    """An XML element small enough to print by hand, in nova's attribute order."""

    tag: str
    attrs: tuple[tuple[str, str], ...] = ()
    children: tuple[Element, ...] = ()

    def lines(self, indent: str = "") -> list[str]:
        attrs = "".join(f" {k}={quoteattr(v)}" for k, v in self.attrs)
        if not self.children:
            return [f"{indent}<{self.tag}{attrs}/>"]
        out = [f"{indent}<{self.tag}{attrs}>"]
        for child in self.children:
            out.extend(child.lines(indent + "  "))
        out.append(f"{indent}</{self.tag}>")
        return out

    def to_xml(self) -> str:
        return "\n".join(self.lines()) + "\n"


@dataclass(frozen=True)
class GuestPort:
    """What nova knows about the port when it writes the XML (from neutron's binding)."""

    vnic_type: str
    pci_slot: str  # the VF (direct, macvtap) or the PF (direct-physical): dddd:bb:ss.f
    mac: str | None = None  # the neutron port's MAC; nova puts it on <mac>
    vlan: int | None = None  # vif_details vlan; 0 for flat
    netdev: str | None = None  # macvtap only: the VF's netdev, found by nova in sysfs
    model: str = "virtio"  # macvtap only: nova's default model for kvm

    @property
    def vif_type(self) -> str:
        return VIF_TYPES[self.vnic_type]


def validate(port: GuestPort) -> None:
    """Raise InputError for what nova or libvirt would reject, with the fix."""
    if port.vnic_type not in VNIC_TYPES:
        raise InputError(
            f"vnic_type {port.vnic_type!r} has no SR-IOV guest XML here",
            fix=f"use one of: {', '.join(VNIC_TYPES)}",
        )
    if not _PCI_SLOT.match(port.pci_slot):
        raise InputError(
            f"PCI address {port.pci_slot!r} is not a full dddd:bb:ss.f address",
            fix="give the address as nova's pci_slot, e.g. 0000:31:10.1",
        )
    if port.vnic_type == "direct-physical":
        return  # only the address matters for a whole-PF hostdev
    if port.mac is not None and not _MAC.match(port.mac):
        raise InputError(f"MAC {port.mac!r} is not six hex octets", fix="e.g. fa:16:3e:fe:47:d2")
    if port.vlan is not None and not 0 <= port.vlan <= _VLAN_MAX:
        raise InputError(f"VLAN {port.vlan} is outside 0..{_VLAN_MAX}",
                         fix="use the network's segmentation id (0 for flat)")
    if port.vnic_type == "macvtap" and not port.netdev:
        raise InputError(
            f"macvtap needs the netdev of VF {port.pci_slot}",
            fix="give --netdev, or --root so it is read from the host; the VF needs a "
            "kernel driver (not vfio-pci) for macvtap",
        )


def _pci_fields(pci_slot: str) -> tuple[str, str, str, str]:
    # Same split as nova's pci_utils.get_pci_address_fields: the text is kept, not
    # re-formatted, so "0000:0b:10.5" becomes bus="0x0b" function="0x5" as in the guide.
    dbs, _, func = pci_slot.partition(".")
    domain, bus, slot = dbs.split(":")
    return domain, bus, slot, func


def _vlan(port: GuestPort) -> tuple[Element, ...]:
    if port.vlan is None:
        return ()
    return (Element("vlan", children=(Element("tag", (("id", str(port.vlan)),)),)),)


def _mac(port: GuestPort) -> tuple[Element, ...]:
    return (Element("mac", (("address", port.mac),)),) if port.mac else ()


def guest_element(port: GuestPort) -> Element:
    """The element nova adds to the domain for this port (validated first)."""
    validate(port)
    domain, bus, slot, func = _pci_fields(port.pci_slot.lower())
    if port.vnic_type == "direct-physical":
        address = Element("address", (("domain", f"0x{domain}"), ("bus", f"0x{bus}"),
                                      ("slot", f"0x{slot}"), ("function", f"0x{func}")))
        return Element("hostdev", (("mode", "subsystem"), ("type", "pci"), ("managed", "yes")),
                       (Element("source", children=(address,)),))
    if port.vnic_type == "direct":
        address = Element("address", (("type", "pci"), ("domain", f"0x{domain}"),
                                      ("bus", f"0x{bus}"), ("slot", f"0x{slot}"),
                                      ("function", f"0x{func}")))
        return Element("interface", (("type", "hostdev"), ("managed", "yes")),
                       (*_mac(port), Element("source", children=(address,)), *_vlan(port)))
    # macvtap: nova resolves the VF's netdev and attaches a macvtap in passthrough mode.
    return Element("interface", (("type", "direct"),), (
        *_mac(port),
        Element("model", (("type", port.model),)),
        Element("driver", (("name", "vhost"),)),
        Element("source", (("dev", port.netdev or ""), ("mode", "passthrough"))),
        *_vlan(port),
    ))


def interface_xml(port: GuestPort) -> str:
    """The XML text, two-space indented like nova's log line."""
    return guest_element(port).to_xml()


def port_on_host(host: Host, vnic_type: str, device: str, *, mac: str | None = None,
                 vlan: int | None = None) -> GuestPort:
    """Resolve ``device`` (PCI address or netdev) on the host and check it suits vnic_type.

    direct/macvtap need a VF (libvirt's <interface type="hostdev"> works only for VFs);
    direct-physical needs a PF. macvtap takes the VF's netdev from sysfs like nova does.
    """
    from sriovctl.host.model import normalize_address

    address = normalize_address(device)
    dev = host.devices.get(address or "")
    if dev is None:  # a netdev name: the device that lists it (sysfs net/ under the device)
        dev = next((d for d in host.devices.values() if device in d.netdevs), None)
    if dev is None:
        raise InputError(f"{device} is neither a PCI address nor a PCI netdev on {host.label}",
                         fix="see `sriovctl inspect` for the host's VFs and PFs")
    if vnic_type == "direct-physical" and dev.is_vf:
        raise InputError(
            f"{dev.address} is a VF; direct-physical passes a whole PF",
            fix=f"use vnic_type direct for a VF, or the PF {dev.physfn} for direct-physical",
        )
    if vnic_type in ("direct", "macvtap") and not dev.is_vf:
        raise InputError(
            f"{dev.address} is not a VF; {vnic_type} ports get a VF",
            fix="pick one of its VFs (sriovctl inspect), or use direct-physical for a PF",
        )
    netdev = dev.netdevs[0] if dev.netdevs else None
    return GuestPort(vnic_type, dev.address, mac=mac, vlan=vlan, netdev=netdev)
