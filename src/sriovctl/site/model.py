"""The site spec as frozen data, after the schema and the cross-field checks have passed.

A site describes, once for every host, which PFs carry which physnet with how many VFs and
which VF settings (the Kubernetes SR-IOV operator's node policies, with the per-VF knobs of
its SriovNetwork folded in), the kernel arguments, and where each OpenStack role keeps its
files. `sriovctl.site.spec.load_site` builds it; planning reads it and never changes it.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Optional

from sriovctl.host.model import PciDevice
from sriovctl.vfs.settings import VfConfig

DEFAULT_FILES = MappingProxyType({
    "nova_conf": "/etc/nova/nova.conf",
    "sriov_agent_conf": "/etc/neutron/plugins/ml2/sriov_agent.ini",
    "ml2_conf": "/etc/neutron/plugins/ml2/ml2_conf.ini",
})
# Service names as Debian/Ubuntu and RDO package them; a spec lists its own when they differ.
DEFAULT_SERVICES = MappingProxyType({
    "compute": ("nova-compute", "neutron-sriov-agent"),
    "controller": ("neutron-server",),
    "scheduler": ("nova-scheduler",),
})
ROLE_FILES = MappingProxyType({
    "compute": ("nova_conf", "sriov_agent_conf"),
    "controller": ("ml2_conf",),
    "scheduler": ("nova_conf",),
})
RELEASES = ("queens", "rocky", "stein", "train", "ussuri", "victoria", "wallaby", "xena",
            "yoga", "zed", "2023.1", "2023.2", "2024.1", "2024.2", "2025.1", "2025.2",
            "2026.1")
RELEASE_NAMES = MappingProxyType({
    "antelope": "2023.1", "bobcat": "2023.2", "caracal": "2024.1", "dalmatian": "2024.2",
    "epoxy": "2025.1", "flamingo": "2025.2", "gazpacho": "2026.1"})
DEFAULT_RELEASE = "2024.1"


@dataclass(frozen=True)
class PfName:
    """One `pf_names` entry: `ens1f0` (every VF) or `ens1f0#0-3,6` (VFs 0, 1, 2, 3 and 6)."""

    name: str
    vfs: Optional[tuple[int, ...]]
    text: str


@dataclass(frozen=True)
class NicSelector:
    """Which PFs a group takes. As in the SR-IOV operator's nicSelector, every field given
    must match (vendor AND device AND name AND address); a list matches any of its items."""

    pf_names: tuple[PfName, ...] = ()
    vendor: Optional[str] = None  # PF vendor id, 4 hex digits, lower case
    device: Optional[str] = None  # PF device id
    root_devices: tuple[str, ...] = ()  # PF PCI addresses, canonical

    def matches(self, pf: PciDevice) -> bool:
        if self.vendor and (pf.vendor_id or "").lower() != self.vendor:
            return False
        if self.device and (pf.device_id or "").lower() != self.device:
            return False
        if self.root_devices and pf.address not in self.root_devices:
            return False
        if self.pf_names and not any(p.name in pf.netdevs for p in self.pf_names):
            return False
        return True

    def vf_range(self, pf: PciDevice) -> Optional[tuple[int, ...]]:
        """The VF indexes this selector claims on `pf`; None means all of them."""
        for p in self.pf_names:
            if p.name in pf.netdevs:
                return p.vfs
        return None

    def describe(self) -> str:
        parts = []
        if self.pf_names:
            parts.append("pf_names " + ",".join(p.text for p in self.pf_names))
        if self.vendor or self.device:
            parts.append(f"id {self.vendor or '*'}:{self.device or '*'}")
        if self.root_devices:
            parts.append("root_devices " + ",".join(self.root_devices))
        return " and ".join(parts)


# Settings every VF of a group gets are the VF lifecycle's own VfConfig (None = leave as
# the driver has it); the schema keeps per-VF fields such as `mac` out of a group.
VfSettings = VfConfig


@dataclass(frozen=True)
class Group:
    name: str
    hosts: tuple[str, ...]  # patterns; empty means every compute host
    nics: NicSelector
    physnet: str
    num_vfs: int
    driver: str = "default"  # or "vfio-pci"
    vf: VfSettings = field(default_factory=VfSettings)
    where: str = ""  # "site.yaml:12", for messages


@dataclass(frozen=True)
class Physnet:
    name: str
    network_type: str = "vlan"
    vlan_ranges: tuple[str, ...] = ()  # "1000:1099"


@dataclass(frozen=True)
class Role:
    name: str  # compute | controller | scheduler
    hosts: tuple[str, ...]
    files: Mapping[str, str]  # nova_conf / sriov_agent_conf / ml2_conf -> path
    services: tuple[str, ...]


@dataclass(frozen=True)
class Site:
    path: str
    release: str
    configure_openstack: bool
    physnets: Mapping[str, Physnet]
    kernel_iommu: bool  # IOMMU on + passthrough, the words chosen by CPU vendor
    kernel_args: tuple[str, ...]
    roles: Mapping[str, Role]
    groups: tuple[Group, ...]

    def roles_of(self, hostname: str) -> tuple[str, ...]:
        return tuple(r.name for r in self.roles.values() if host_matches(hostname, r.hosts))

    def groups_for(self, hostname: str) -> list[Group]:
        compute = self.roles.get("compute")
        default = compute.hosts if compute else ("*",)
        return [g for g in self.groups if host_matches(hostname, g.hosts or default)]

    def release_at_least(self, release: str) -> bool:
        return RELEASES.index(self.release) >= RELEASES.index(release)


def host_matches(hostname: str, patterns: tuple[str, ...]) -> bool:
    """Shell patterns against the full name and the short name (before the first dot), so
    `compute-*` matches compute-0.example.org as operators expect."""
    short = hostname.split(".", 1)[0]
    return any(fnmatch.fnmatchcase(hostname, p) or fnmatch.fnmatchcase(short, p)
               for p in patterns)
