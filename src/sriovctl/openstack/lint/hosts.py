"""A host as nova-compute and the SR-IOV agent see it: device dicts and sysfs answers.

nova matches ``device_spec`` against the PCI devices libvirt reports (every PCI
function, bridges included, typed type-PF/type-VF/type-PCI) and asks sysfs two things
while parsing: is this address an SR-IOV PF (``sriov_totalvfs`` > 0), and which PCI
function is behind a netdev. Both are answered here from the host model, so a snapshot
tarball lints exactly like the live machine.
"""

from __future__ import annotations

from dataclasses import dataclass

from sriovctl.host.inventory import device_entry
from sriovctl.host.model import Host, PciDevice
from sriovctl.openstack.nova.host import StaticHost


@dataclass(frozen=True)
class HostFacts:
    label: str
    host: Host
    devices: tuple[dict, ...]  # nova-style: address, vendor_id, product_id, dev_type, parent_addr
    lookup: StaticHost

    def device(self, address: str) -> PciDevice | None:
        return self.host.devices.get(address)


def _sriov_capable(dev: PciDevice) -> bool:
    return bool(dev.is_pf and dev.sriov and (dev.sriov.totalvfs or 0) > 0)


def host_facts(label: str, host: Host) -> HostFacts:
    devices = tuple(device_entry(host.devices[a]) for a in sorted(host.devices))
    pfs = frozenset(d.address for d in host.devices.values() if _sriov_capable(d))
    netdevs = {
        name: (d.address, d.address in pfs) for d in host.devices.values() for name in d.netdevs
    }
    vf_ids = {
        d.address: d.sriov.vf_device for d in host.devices.values()
        if d.sriov is not None and d.sriov.vf_device
    }  # fmt: skip
    pci_ids = {d.address: (d.vendor_id or "", d.device_id or "") for d in host.devices.values()}
    return HostFacts(label, host, devices, StaticHost(pfs, netdevs, vf_ids, pci_ids))


def load_hosts(paths: list[str]) -> list[HostFacts]:
    """``--host`` values (a root directory or a snapshot tarball) -> facts, in order."""
    from sriovctl.host.read import load_host

    return [host_facts(p, load_host(p)) for p in paths]
