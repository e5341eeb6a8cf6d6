"""What nova asks the host while reading a device_spec, as a small interface.

nova's ``PciDeviceSpec`` reads sysfs in four places; here they are the four
methods of :class:`HostLookup`, so the rules stay pure and a caller chooses the
answers:

* :data:`NO_HOST` — an empty host: nothing is a PF, no netdev exists (what
  nova sees when the sysfs entries are missing);
* :class:`StaticHost` — answers from plain data, e.g. built from device dicts
  with :meth:`StaticHost.from_devices`;
* :class:`~sriovctl.openstack.nova.sysfs.SysfsHost` — nova's own sysfs reads
  over a root directory (``/`` or a snapshot).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Optional, Protocol

from sriovctl.openstack.nova.errors import PciDeviceNotFoundById

_EMPTY: Mapping[str, Any] = MappingProxyType({})

#: ``get_function_by_ifname`` answer: (PCI address or None, is an SR-IOV PF)
IfnameAnswer = tuple[Optional[str], bool]


class HostLookup(Protocol):
    """The host facts nova's device_spec parsing and matching depend on."""

    def is_physical_function(self, domain: str, bus: str, slot: str, func: str) -> bool:
        """Is ``domain:bus:slot.func`` (fields used verbatim) a PF with sriov_totalvfs > 0?"""
        ...

    def get_function_by_ifname(self, ifname: Any) -> IfnameAnswer:
        """The PCI address behind netdev ``ifname`` and whether it is a PF, or (None, False)."""
        ...

    def get_vf_product_id_by_pf_addr(self, pci_addr: str) -> str:
        """The VF product id of PF ``pci_addr``; raises PciDeviceNotFoundById if unknown."""
        ...

    def get_pci_ids_by_pci_addr(self, pci_addr: str) -> tuple[str, ...]:
        """(vendor_id, product_id) of ``pci_addr``; raises PciDeviceNotFoundById if unknown."""
        ...


@dataclass(frozen=True)
class StaticHost:
    """Host answers from plain data. Addresses are looked up as exact strings.

    ``physical_functions``: addresses of SR-IOV PFs (with VFs possible);
    ``netdevs``: ifname -> (PCI address, is PF);
    ``vf_product_ids``: PF address -> product id of its VFs;
    ``pci_ids``: address -> (vendor_id, product_id).
    """

    physical_functions: frozenset[str] = frozenset()
    netdevs: Mapping[str, IfnameAnswer] = field(default_factory=lambda: _EMPTY)
    vf_product_ids: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    pci_ids: Mapping[str, tuple[str, str]] = field(default_factory=lambda: _EMPTY)

    def is_physical_function(self, domain: str, bus: str, slot: str, func: str) -> bool:
        return f"{domain}:{bus}:{slot}.{func}" in self.physical_functions

    def get_function_by_ifname(self, ifname: Any) -> IfnameAnswer:
        try:
            return self.netdevs.get(ifname, (None, False))
        except TypeError:  # an unhashable devname names no netdev
            return (None, False)

    def get_vf_product_id_by_pf_addr(self, pci_addr: str) -> str:
        try:
            return self.vf_product_ids[pci_addr]
        except (KeyError, TypeError):
            raise PciDeviceNotFoundById(id=pci_addr) from None

    def get_pci_ids_by_pci_addr(self, pci_addr: str) -> tuple[str, ...]:
        try:
            return self.pci_ids[pci_addr]
        except (KeyError, TypeError):
            raise PciDeviceNotFoundById(id=pci_addr) from None

    @classmethod
    def from_devices(cls, devices: Iterable[Mapping[str, Any]]) -> StaticHost:
        """Derive the answers nova would get on a Linux host with these devices.

        A ``dev_type`` of ``type-PF`` marks a PF; a VF's ``product_id`` gives its
        parent's VF product id (an explicit ``sriov_vf_device`` on the PF wins);
        ``devname``/``dev_name``/``ifname`` name the netdev of a device.
        ``pci_ids`` stays empty on purpose: nova reads ``<addr>/vendor`` and
        ``<addr>/product``, and Linux sysfs has no ``product`` file (it is
        ``device``), so that lookup fails on every real host.
        """
        devices = list(devices)
        pfs = frozenset(d["address"] for d in devices if d.get("dev_type") == "type-PF")
        netdevs: dict[str, IfnameAnswer] = {}
        vf_ids: dict[str, str] = {}
        for dev in devices:
            address = dev.get("address")
            if not isinstance(address, str):
                continue
            for key in ("devname", "dev_name", "ifname"):
                if dev.get(key):
                    netdevs[dev[key]] = (address, address in pfs)
            if dev.get("sriov_vf_device"):
                vf_ids[address] = dev["sriov_vf_device"]
            parent = dev.get("parent_addr")
            if parent and dev.get("dev_type") == "type-VF":
                vf_ids.setdefault(parent, dev.get("product_id", ""))
        return cls(pfs, MappingProxyType(netdevs), MappingProxyType(vf_ids))


#: A host with no sysfs entries at all.
NO_HOST = StaticHost()
