"""The slow-changing half of a scrape: which PCI address is VF n of which PF, totalvfs, the
drivers, the physnet. Read from sysfs only when the netlink dump says it changed.

The dump shows every change that matters here without a sysfs read:
  - a PF appearing, vanishing or changing its number of VFs (its vfinfo_list);
  - a VF netdev appearing or vanishing, i.e. a VF bound to or unbound from its host driver
    (vfio-pci for a guest has no netdev), seen through the netdevs' PCI parents.
Only the PFs concerned are read again. On kernels older than 5.16 links carry no PCI
parent, so the second kind is not visible; `max_age` (a full re-read) bounds how stale the
cache can get there, and anywhere else.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from sriovctl.host.model import normalize_address
from sriovctl.host.root import Root

_VIRTFN = re.compile(r"^virtfn(\d+)$")
_EMPTY: Mapping = MappingProxyType({})


@dataclass(frozen=True)
class VfSlot:
    index: int
    address: str
    driver: str | None
    netdevs: tuple[str, ...] = ()  # at read time; only used when links carry no PCI parent


@dataclass(frozen=True)
class PfSlot:
    netdev: str
    address: str | None
    driver: str | None
    totalvfs: int | None
    physnet: str  # "" when no sriov_agent.ini maps this PF
    vfs: Mapping[int, VfSlot] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True)
class Topology:
    key: tuple
    pfs: Mapping[str, PfSlot]  # by PF netdev name
    read_at: float

    def vf_by_address(self) -> dict[str, tuple[PfSlot, VfSlot]]:
        return {vf.address: (pf, vf) for pf in self.pfs.values() for vf in pf.vfs.values()}

    def vf_by_netdev(self) -> dict[str, tuple[PfSlot, VfSlot]]:
        return {n: (pf, vf) for pf in self.pfs.values() for vf in pf.vfs.values()
                for n in vf.netdevs}


def topology_key(links: list[dict]) -> tuple:
    """What in a dump means "re-read sysfs": PFs with their VF counts, and PCI netdevs.

    Links without a PCI parent (taps, bridges, OVS ports: the many that come and go with
    every instance) are not part of it, so instance churn does not cause sysfs reads.
    """
    pfs = tuple(sorted((str(link.get("ifname")), len(link["vfinfo_list"])) for link in links
                       if isinstance(link.get("vfinfo_list"), list)))
    pci = tuple(sorted((str(link.get("ifname")), str(link["parentdev"])) for link in links
                       if isinstance(link.get("parentdev"), str)))
    return (pfs, pci)


def read_topology(root: Root, key: tuple, physnets: Mapping[str, str], now: float,
                  old: Topology | None = None) -> Topology:
    """The PFs named in `key` with their VFs, from sysfs under `root`.

    With `old`, only the PFs that `key` shows changed are read again; the others are kept
    (and so is old.read_at, which max_age is measured from).
    """
    stale = changed_pfs(old, key) if old is not None else None
    pfs: dict[str, PfSlot] = {}
    for name, _count in key[0]:
        slot = old.pfs.get(name) if old is not None and name not in stale else None
        if slot is None:
            slot = read_pf(root, name, physnets.get(name, ""))
        if slot is not None:
            pfs[name] = slot
    return Topology(key=key, pfs=MappingProxyType(pfs),
                    read_at=old.read_at if old is not None else now)


def changed_pfs(old: Topology, key: tuple) -> set[str]:
    """PFs whose VF count changed, or one of whose VFs gained or lost a netdev."""
    counts, before = dict(key[0]), dict(old.key[0])
    changed = {name for name in counts.keys() | before.keys()
               if counts.get(name) != before.get(name)}
    owners = {vf.address: pf.netdev for pf in old.pfs.values() for vf in pf.vfs.values()}
    for _netdev, parent in set(key[1]) ^ set(old.key[1]):
        if parent in owners:
            changed.add(owners[parent])
    return changed


def read_pf(root: Root, netdev: str, physnet: str) -> PfSlot | None:
    base = f"/sys/class/net/{netdev}/device"
    real = root.realpath(base)
    if real is None:  # a PF whose netdev vanished between the dump and this read
        return None
    vfs: dict[int, VfSlot] = {}
    for entry in root.listdir(base):
        m = _VIRTFN.match(entry)
        target = root.readlink(f"{base}/{entry}") if m else None
        address = normalize_address(os.path.basename(target)) if target else None
        if m is None or address is None:
            continue
        index = int(m.group(1))
        vfs[index] = VfSlot(index=index, address=address,
                            driver=root.link_name(f"{base}/{entry}/driver"),
                            netdevs=tuple(root.listdir(f"{base}/{entry}/net")))
    return PfSlot(netdev=netdev, address=normalize_address(os.path.basename(real)),
                  driver=root.link_name(f"{base}/driver"),
                  totalvfs=root.read_int(f"{base}/sriov_totalvfs"), physnet=physnet,
                  vfs=MappingProxyType(dict(sorted(vfs.items()))))
