"""nova's sysfs helpers (``nova/pci/utils.py``) over a replaceable filesystem.

Each function reads what nova reads and fails the way nova fails, but through
a :class:`Filesystem` so that a snapshot root or an in-memory fake can stand in
for ``/``. Paths are always written as nova writes them (``/sys/...``).
"""

from __future__ import annotations

import glob as _glob
import os
import re
from typing import Any, Protocol

from sriovctl.openstack.nova.errors import PciDeviceNotFoundById
from sriovctl.openstack.nova.host import IfnameAnswer

_SRIOV_TOTALVFS = "sriov_totalvfs"
_VIRTFN_RE = re.compile(r"virtfn(\d+)")


class Filesystem(Protocol):
    """The read-only calls nova makes; errors are ``OSError`` as from ``os``."""

    def isdir(self, path: str) -> bool: ...

    def readlink(self, path: str) -> str: ...

    def read_text(self, path: str) -> str: ...

    def listdir(self, path: str) -> list[str]: ...

    def glob(self, pattern: str) -> list[str]: ...


class RootFilesystem:
    """The real filesystem seen from ``root`` (``/`` or an unpacked snapshot)."""

    def __init__(self, root: str = "/"):
        self.root = root

    def _real(self, path: str) -> str:
        return os.path.join(self.root, path.lstrip("/"))

    def isdir(self, path: str) -> bool:
        return os.path.isdir(self._real(path))

    def readlink(self, path: str) -> str:
        return os.readlink(self._real(path))

    def read_text(self, path: str) -> str:
        with open(self._real(path)) as f:
            return f.read()

    def listdir(self, path: str) -> list[str]:
        return os.listdir(self._real(path))

    def glob(self, pattern: str) -> list[str]:
        prefix = self.root.rstrip("/")
        return [p[len(prefix) :] for p in _glob.glob(self._real(pattern))]


def _first_line(text: str) -> str:
    """``f.readline()``: the first line with its newline, '' for an empty file."""
    lines = text.splitlines(keepends=True)
    return lines[0] if lines else ""


def get_function_by_ifname(fs: Filesystem, ifname: Any) -> IfnameAnswer:
    """(address behind ``/sys/class/net/<ifname>/device``, has sriov_totalvfs > 0)."""
    dev_path = f"/sys/class/net/{ifname}/device"
    if fs.isdir(dev_path):
        try:
            totalvfs = int(fs.read_text(os.path.join(dev_path, _SRIOV_TOTALVFS)))
            return fs.readlink(dev_path).strip("./"), totalvfs > 0
        except (OSError, ValueError):
            return fs.readlink(dev_path).strip("./"), False
    return None, False


def is_physical_function(fs: Filesystem, domain: str, bus: str, slot: str, func: str) -> bool:
    dev_path = f"/sys/bus/pci/devices/{domain}:{bus}:{slot}.{func}/"
    if fs.isdir(dev_path):
        try:
            return int(fs.read_text(dev_path + _SRIOV_TOTALVFS)) > 0
        except (OSError, ValueError):
            pass
    return False


def _netdev_path(pci_addr: str, pf_interface: bool) -> str:
    if pf_interface:
        return f"/sys/bus/pci/devices/{pci_addr}/physfn/net"
    return f"/sys/bus/pci/devices/{pci_addr}/net"


def get_ifname_by_pci_address(fs: Filesystem, pci_addr: str, pf_interface: bool = False) -> str:
    """The *last* entry of the device's ``net`` directory (or its PF's)."""
    try:
        return fs.listdir(_netdev_path(pci_addr, pf_interface)).pop()
    except Exception:
        raise PciDeviceNotFoundById(id=pci_addr) from None


def get_mac_by_pci_address(fs: Filesystem, pci_addr: str, pf_interface: bool = False) -> str:
    dev_path = _netdev_path(pci_addr, pf_interface)
    if_name = get_ifname_by_pci_address(fs, pci_addr, pf_interface)
    try:
        line = _first_line(fs.read_text(os.path.join(dev_path, if_name, "address")))
    except OSError:
        raise PciDeviceNotFoundById(id=pci_addr) from None
    if not line:  # nova's next(f) on an empty file: StopIteration
        raise PciDeviceNotFoundById(id=pci_addr)
    return line.strip()


def get_vf_num_by_pci_address(fs: Filesystem, pci_addr: str) -> int:
    """N of the PF's ``virtfnN`` link whose target contains ``pci_addr`` (as a regex)."""
    for vf_path in fs.glob(f"/sys/bus/pci/devices/{pci_addr}/physfn/virtfn*"):
        if re.search(pci_addr, fs.readlink(vf_path)):
            found = _VIRTFN_RE.search(vf_path)
            if found:
                return int(found.group(1))
    raise PciDeviceNotFoundById(id=pci_addr)


def get_vf_product_id_by_pf_addr(fs: Filesystem, pci_addr: str) -> str:
    try:
        product = _first_line(fs.read_text(f"/sys/bus/pci/devices/{pci_addr}/sriov_vf_device"))
    except OSError:
        raise PciDeviceNotFoundById(id=pci_addr) from None
    product = product.strip()
    if not product:
        raise ValueError("sriov_vf_device file does not contain a VF product ID")
    return product


def get_pci_ids_by_pci_addr(fs: Filesystem, pci_addr: str) -> tuple[str, ...]:
    """(vendor, product) with ``0x`` removed; nova reads a file named ``product``."""
    ids = []
    for id_name in ("vendor", "product"):
        try:
            path = os.path.join(f"/sys/bus/pci/devices/{pci_addr}", id_name)
            value = _first_line(fs.read_text(path))
        except OSError:
            raise PciDeviceNotFoundById(id=pci_addr) from None
        if not value:
            raise ValueError(f"{id_name} file does not contain a valid value")
        ids.append(value.strip().replace("0x", ""))
    return tuple(ids)


class SysfsHost:
    """A :class:`~sriovctl.openstack.nova.host.HostLookup` doing nova's sysfs reads."""

    def __init__(self, fs: Filesystem | None = None):
        self.fs = fs if fs is not None else RootFilesystem("/")

    def is_physical_function(self, domain: str, bus: str, slot: str, func: str) -> bool:
        return is_physical_function(self.fs, domain, bus, slot, func)

    def get_function_by_ifname(self, ifname: Any) -> IfnameAnswer:
        return get_function_by_ifname(self.fs, ifname)

    def get_vf_product_id_by_pf_addr(self, pci_addr: str) -> str:
        return get_vf_product_id_by_pf_addr(self.fs, pci_addr)

    def get_pci_ids_by_pci_addr(self, pci_addr: str) -> tuple[str, ...]:
        return get_pci_ids_by_pci_addr(self.fs, pci_addr)
