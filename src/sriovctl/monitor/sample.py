"""What one scrape found: plain frozen records, shared by the exporter and `sriovctl top`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

_EMPTY: Mapping = MappingProxyType({})

# Counter names, as IFLA_VF_STATS reports them (the VF's view: rx = received by the VF).
COUNTERS = ("rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "broadcast", "multicast",
            "rx_dropped", "tx_dropped")
# Where a VF's counters come from.
SOURCE_PF = "pf"  # the PF driver over netlink (IFLA_VF_STATS): counts guest traffic too
SOURCE_VF_NETDEV = "vf_netdev"  # the VF's own netdev on this host (its IFLA_STATS64)
SOURCE_NONE = "none"  # the PF driver reports none and the VF has no netdev here


@dataclass(frozen=True)
class VfSample:
    pf: str  # PF netdev name
    pf_pci: str  # "" when sysfs did not say
    index: int
    address: str  # the VF's PCI address; "" when unknown
    physnet: str = ""
    domain: str = ""  # running libvirt domain holding the VF
    port_mac: str = ""  # the MAC the domain's XML gives the port (nova: the neutron port's)
    netdev: str = ""  # the VF's netdev on this host, if bound to a host driver
    driver: str = ""
    mac: str = ""  # administrative MAC from the PF (IFLA_VF_MAC)
    vlan: int = 0
    qos: int = 0
    vlan_proto: str = ""
    spoofchk: bool | None = None
    trust: bool | None = None
    link_state: str = ""
    max_tx_rate: int = 0
    min_tx_rate: int = 0
    in_use: bool = False
    spoofchk_persisted: bool | None = None  # what the VF state file wants, if it says
    stats_source: str = SOURCE_NONE
    counters: Mapping[str, int] = field(default_factory=lambda: _EMPTY)

    @property
    def key(self) -> tuple[str, int]:
        return (self.pf, self.index)


@dataclass(frozen=True)
class PfSample:
    netdev: str
    address: str
    driver: str
    physnet: str
    totalvfs: int | None
    numvfs: int
    vfs_in_use: int
    numvfs_persisted: int | None = None


@dataclass(frozen=True)
class Sample:
    host: str
    taken_at: float  # monotonic seconds, for rates
    duration: float  # seconds this scrape took
    pfs: tuple[PfSample, ...] = ()
    vfs: tuple[VfSample, ...] = ()
    errors: tuple[tuple[str, str], ...] = ()  # (source, message) that failed this scrape
    topology_reads: int = 0  # sysfs topology reads so far (shows the cache working)
