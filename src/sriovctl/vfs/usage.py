"""Who is using a PF's VFs: the proof required before `sriov_numvfs` goes through 0.

Writing 0 destroys every VF at once, under whoever holds it: a guest's passthrough device,
a macvtap of a running instance, a bond. The evidence, all read-only:
  - the VF's driver: vfio-pci (or any driver other than the PF's usual VF driver) means a
    guest or a DPDK application has it, or is about to;
  - upper devices on the VF's netdev (sysfs upper_* links, master): macvtap, bond, bridge,
    VLAN devices;
  - running libvirt domains: /run/libvirt/qemu/<name>.xml exists only while a domain runs,
    and lists its <hostdev> PCI addresses and <interface type='direct'> source devices.
    libvirt's Python binding is used only when it is importable and those files are absent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sriovctl.host.libvirt_domains import LIBVIRT_RUN, attachments_in_xml, running_attachments
from sriovctl.host.model import Host, PciDevice
from sriovctl.host.root import Root
from sriovctl.vfs.capabilities import caps_for

GUEST_DRIVERS = ("vfio-pci", "pci-stub", "uio_pci_generic", "igb_uio", "vfio_pci")


@dataclass(frozen=True)
class VfUser:
    index: int
    address: str
    reason: str

    def __str__(self) -> str:
        return f"VF {self.index} ({self.address}) {self.reason}"


def vf_users(host: Host, pf: PciDevice, root: Root,
             domains: Optional[dict[str, str]] = None) -> list[VfUser]:
    """Every VF of `pf` that something uses, with the evidence; empty when all are free."""
    default = caps_for(pf.driver).vf_driver
    if domains is None:
        domains = running_domain_devices(root)
    users = []
    for index, address in pf.virtfns:
        vf = host.devices.get(address)
        for reason in _reasons(host, vf, default, domains) if vf else ():
            users.append(VfUser(index, address, reason))
    return users


def _reasons(host: Host, vf: PciDevice, default: Optional[str],
             domains: dict[str, str]) -> list[str]:
    out = []
    if vf.driver and (vf.driver in GUEST_DRIVERS or (default and vf.driver != default)):
        out.append(f"bound to {vf.driver}")
    for name in vf.netdevs:
        dev = host.netdevs.get(name)
        if dev is None:
            continue
        uppers = sorted(set(dev.uppers) | ({dev.master} if dev.master else set()))
        if uppers:
            out.append(f"has {', '.join(uppers)} on top of {name}")
        if name in domains:
            out.append(f"is the source of a macvtap in running libvirt domain "
                       f"'{domains[name]}'")
    if vf.address in domains:
        out.append(f"is assigned to running libvirt domain '{domains[vf.address]}'")
    return out


def running_domain_devices(root: Root) -> dict[str, str]:
    """PCI address or netdev name -> running libvirt domain that uses it."""
    if root.is_live and not root.exists(LIBVIRT_RUN):
        return _from_libvirt_api()
    return {key: a.domain for key, a in running_attachments(root).items()}


def _from_libvirt_api() -> dict[str, str]:
    try:
        import libvirt  # type: ignore[import-not-found]  # optional, never required
    except ImportError:
        return {}
    found: dict[str, str] = {}
    try:
        conn = libvirt.openReadOnly("qemu:///system")
        try:
            for dom in conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE):
                found.update({key: a.domain for key, a in attachments_in_xml(
                    dom.XMLDesc(0).encode(), dom.name()).items()})
        finally:
            conn.close()
    except Exception:  # noqa: BLE001 - libvirtd down: the files were the evidence anyway
        return {}
    return found
