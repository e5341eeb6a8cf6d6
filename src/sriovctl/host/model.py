"""The host model: immutable facts read from one machine (live or snapshot).

Built once per command by `sriovctl.host.read.read_host`; checks, plans and renderers are
views over it. Addresses are canonical lower-case "dddd:bb:ss.f" strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from sriovctl.host.config_space import Acs, ConfigSpace
from sriovctl.host.kernel import CmdlineIommu

_EMPTY: Mapping = MappingProxyType({})


@dataclass(frozen=True)
class SriovAttrs:
    """The PF's sriov_* sysfs attributes (the driver's view; may differ from config space)."""

    totalvfs: int | None
    numvfs: int | None
    offset: int | None
    stride: int | None
    vf_device: str | None
    drivers_autoprobe: bool | None


@dataclass(frozen=True)
class PciDevice:
    address: str
    sysfs_path: str  # real path, e.g. /sys/devices/pci0000:00/0000:00:02.0/0000:01:00.0
    vendor_id: str | None
    device_id: str | None
    subsystem_vendor_id: str | None
    subsystem_device_id: str | None
    class_code: str | None  # 6 hex digits, e.g. "020000"
    driver: str | None
    driver_override: str | None
    numa_node: int | None  # None when the kernel says -1 (no NUMA affinity)
    iommu_group: int | None
    parent: str | None  # the PCI device above this one (a bridge or port), if any
    physfn: str | None = None  # for a VF: its PF's address
    virtfns: tuple[tuple[int, str], ...] = ()  # for a PF: (VF index, VF address)
    sriov: SriovAttrs | None = None
    config: ConfigSpace | None = None
    netdevs: tuple[str, ...] = ()

    @property
    def vendor_device(self) -> str:
        return f"{self.vendor_id or '????'}:{self.device_id or '????'}"

    @property
    def is_vf(self) -> bool:
        return self.physfn is not None

    @property
    def is_pf(self) -> bool:
        return self.sriov is not None and not self.is_vf

    @property
    def is_bridge(self) -> bool:
        return (self.class_code or "").startswith("0604") or (
            self.config is not None
            and self.config.pcie_type in ("Root Port", "Upstream Port", "Downstream Port")
        )

    @property
    def is_network(self) -> bool:
        return (self.class_code or "").startswith("02")

    @property
    def acs(self) -> Acs | None:
        return self.config.acs if self.config else None

    @property
    def pcie_type(self) -> str | None:
        return self.config.pcie_type if self.config else None


@dataclass(frozen=True)
class NetDev:
    name: str
    ifindex: int | None
    mac: str | None
    mtu: int | None
    operstate: str | None
    speed: int | None  # Mb/s; None when unknown or link down
    pci_address: str | None
    default_route: bool = False
    master: str | None = None
    uppers: tuple[str, ...] = ()


@dataclass(frozen=True)
class VfSettings:
    """One VF as its PF driver reports it over netlink (IFLA_VFINFO_LIST)."""

    index: int
    mac: str | None = None
    vlan: int | None = None
    qos: int | None = None
    vlan_proto: str | None = None
    spoofchk: bool | None = None
    trust: bool | None = None
    link_state: str | None = None
    min_tx_rate: int | None = None
    max_tx_rate: int | None = None
    stats: Mapping[str, int] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True)
class AcpiTable:
    name: str
    present: bool
    size: int | None


@dataclass(frozen=True)
class Iommu:
    groups: Mapping[int, tuple[str, ...]]
    units: tuple[str, ...]  # /sys/class/iommu entries (dmar0, ivhd0, smmu3...)
    acpi: Mapping[str, AcpiTable]
    cmdline: CmdlineIommu
    vfio_pci_available: bool  # driver registered or module present
    vfio_dev_nodes: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.groups)


@dataclass(frozen=True)
class Cpu:
    vendor: str | None
    model_name: str | None
    vmx: bool
    svm: bool
    arch: str | None = None


@dataclass(frozen=True)
class Host:
    label: str  # where it was read from: "/" or the snapshot path
    live: bool
    hostname: str | None
    kernel_release: str | None
    cmdline: str | None
    cpu: Cpu
    iommu: Iommu
    devices: Mapping[str, PciDevice]
    netdevs: Mapping[str, NetDev]
    vf_settings: Mapping[str, tuple[VfSettings, ...]]  # PF netdev name -> VFs
    vf_settings_source: str | None = None  # "netlink", a snapshot file, or None
    problems: tuple[tuple[str, str], ...] = ()  # (path, what was wrong) while reading

    # -- views -----------------------------------------------------------------------
    def pfs(self) -> list[PciDevice]:
        return [d for d in self.devices.values() if d.is_pf]

    def vfs_of(self, pf: PciDevice) -> list[PciDevice]:
        return [self.devices[a] for _, a in pf.virtfns if a in self.devices]

    def vf_index(self, vf: PciDevice) -> int | None:
        pf = self.devices.get(vf.physfn or "")
        if pf is None:
            return None
        for index, addr in pf.virtfns:
            if addr == vf.address:
                return index
        return None

    def group_members(self, device: PciDevice) -> tuple[str, ...]:
        if device.iommu_group is None:
            return ()
        return self.iommu.groups.get(device.iommu_group, ())

    def upstream_path(self, device: PciDevice) -> list[PciDevice]:
        """Bridges and ports from the device's parent up to its root port, nearest first."""
        path: list[PciDevice] = []
        seen = {device.address}
        cur = device.parent
        while cur and cur in self.devices and cur not in seen:
            seen.add(cur)
            path.append(self.devices[cur])
            cur = self.devices[cur].parent
        return path

    def pf_netdev(self, pf: PciDevice) -> str | None:
        return pf.netdevs[0] if pf.netdevs else None

    def vf_settings_for(self, vf: PciDevice) -> VfSettings | None:
        pf = self.devices.get(vf.physfn or "")
        index = self.vf_index(vf)
        if pf is None or index is None or not pf.netdevs:
            return None
        for s in self.vf_settings.get(pf.netdevs[0], ()):
            if s.index == index:
                return s
        return None

    def find_pf(self, name_or_address: str) -> PciDevice | None:
        for pf in self.pfs():
            if name_or_address in (pf.address, *pf.netdevs):
                return pf
        key = normalize_address(name_or_address)
        return self.devices.get(key) if key and self.devices.get(key, None) else None


def normalize_address(text: str) -> str | None:
    """"31:12.1" or "0000:31:12.1" -> "0000:31:12.1"; None if it is not a PCI address."""
    parts = text.strip().lower().split(":")
    if len(parts) == 2:
        parts = ["0000", *parts]
    if len(parts) != 3 or "." not in parts[2]:
        return None
    domain, bus = parts[0], parts[1]
    slot, _, func = parts[2].partition(".")
    try:
        d, b, s, f = int(domain, 16), int(bus, 16), int(slot, 16), int(func, 16)
    except ValueError:
        return None
    if d > 0xFFFF or b > 0xFF or s > 0x1F or f > 7:
        return None
    return f"{d:04x}:{b:02x}:{s:02x}.{f:x}"
