"""One scrape: one netlink dump, the cached topology, the cached domains -> a Sample.

Per scrape the cost is the dump, plus one stat(2) each for the libvirt directory and the
VF state file; sysfs is read only for the PFs whose part of topology_key() changed (all of
them once the cache is older than max_age). Several Prometheus servers may scrape at once,
so a lock keeps the caches consistent.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Callable

from sriovctl.host.archive import open_root
from sriovctl.host.root import MemoryRoot, Root
from sriovctl.monitor import sample as s
from sriovctl.monitor.domains import Attachment, DomainCache
from sriovctl.monitor.dump import read_dump
from sriovctl.monitor.persisted import Persisted, PersistedCache
from sriovctl.monitor.topology import PfSlot, Topology, read_topology, topology_key

# PF drivers without ndo_get_vf_stats: the kernel still sends IFLA_VF_STATS, all zero.
NO_VF_STATS_DRIVERS = frozenset({"igb"})  # measured in the lab (QEMU's 82576, Linux 6.1)
# For other drivers the same is concluded from evidence: a VF netdev that keeps counting
# while the PF reports nothing for any of its VFs, this many scrapes in a row (drivers that
# refresh VF stats periodically may lag one scrape behind the VF's own counters).
EVIDENCE_SCRAPES = 3
# Drivers that give a VF to a guest or to a userspace dataplane.
GUEST_DRIVERS = frozenset({"vfio-pci", "vfio_pci", "pci-stub", "uio_pci_generic", "igb_uio"})
_NETDEV_COUNTERS = {"rx_packets": ("rx", "packets"), "tx_packets": ("tx", "packets"),
                    "rx_bytes": ("rx", "bytes"), "tx_bytes": ("tx", "bytes"),
                    "multicast": ("rx", "multicast"), "rx_dropped": ("rx", "dropped"),
                    "tx_dropped": ("tx", "dropped")}


class Monitor:
    def __init__(self, root: str = "/", physnets: Mapping[str, str] | None = None,
                 state_path: str | None = None, max_age: float = 300.0,
                 clock: Callable[[], float] = time.monotonic,
                 dump: Callable[[Root], list[dict]] = read_dump):
        self._base = open_root(root)
        self._physnets = dict(physnets or {})
        self._max_age = max_age
        self._clock = clock
        self._dump = dump
        self._lock = threading.Lock()
        self._domains = DomainCache()
        self._persisted = PersistedCache(state_path) if state_path else None
        self._zero_streak: dict[str, int] = {}  # PF -> scrapes of evidence so far
        self._no_vf_stats: set[tuple[str, str]] = set()  # (PF netdev, driver) concluded
        self.topology: Topology | None = None
        self.topology_reads = 0
        self.host = _hostname(self._base)

    def reader(self) -> Root:
        """A fresh Root: Root caches path lookups, and sysfs changes under us."""
        if isinstance(self._base, MemoryRoot):
            return self._base
        return Root(self._base.path, label=self._base.label)

    def scrape(self) -> s.Sample:
        with self._lock:
            return self._scrape()

    def _scrape(self) -> s.Sample:
        started = self._clock()
        root = self.reader()
        errors: list[tuple[str, str]] = []
        try:
            links = self._dump(root)
            topo = self._topology(root, links, started)
        except Exception as e:  # noqa: BLE001 - no netlink (container, no pyroute2): say so
            errors.append(("netlink", f"{type(e).__name__}: {e}"))
            # an empty dump is not a change: keep the cache for when netlink answers again
            links, topo = [], self.topology or Topology(((), ()), {}, started)
        attachments = self._domains.get(root)
        persisted = self._persisted.get(root) if self._persisted else None
        if self._persisted and self._persisted.error:
            errors.append(("vf_state", self._persisted.error))
        errors += [("sysfs", f"{path}: {what}") for path, what in root.problems]
        del root.problems[:]  # a snapshot's MemoryRoot is reused between scrapes
        pfs, vfs = self._samples(links, topo, attachments, persisted or Persisted())
        return s.Sample(host=self.host, taken_at=started, duration=self._clock() - started,
                        pfs=tuple(pfs), vfs=tuple(vfs), errors=tuple(errors),
                        topology_reads=self.topology_reads)

    def _topology(self, root: Root, links: list[dict], now: float) -> Topology:
        key = topology_key(links)
        topo = self.topology
        if topo is None or now - topo.read_at > self._max_age:
            topo = read_topology(root, key, self._physnets, now)
        elif topo.key != key:  # re-read only the PFs the dump shows changed
            topo = read_topology(root, key, self._physnets, now, old=topo)
        else:
            return topo
        self.topology = topo
        self.topology_reads += 1
        return topo

    def _samples(self, links: list[dict], topo: Topology,
                 attachments: Mapping[str, Attachment], persisted: Persisted
                 ) -> tuple[list[s.PfSample], list[s.VfSample]]:
        by_parent = {link["parentdev"]: link for link in links
                     if isinstance(link.get("parentdev"), str)}
        by_name = {link.get("ifname"): link for link in links}
        pfs: list[s.PfSample] = []
        vfs: list[s.VfSample] = []
        for link in links:
            infos = link.get("vfinfo_list")
            name = link.get("ifname")
            if not isinstance(infos, list) or not isinstance(name, str):
                continue
            slot = topo.pfs.get(name) or PfSlot(name, None, None, None,
                                                self._physnets.get(name, ""))
            found = []
            for info in infos:
                if isinstance(info, dict) and isinstance(info.get("vf"), int):
                    found.append(self._vf(slot, info, by_parent, by_name, attachments,
                                          persisted))
            found = self._choose_sources(slot, found)
            vfs += found
            pfs.append(s.PfSample(
                netdev=name, address=slot.address or "", driver=slot.driver or "",
                physnet=slot.physnet, totalvfs=slot.totalvfs, numvfs=len(infos),
                vfs_in_use=sum(1 for v in found if v.in_use),
                numvfs_persisted=persisted.numvfs.get(slot.address or "")))
        return pfs, vfs

    def _vf(self, pf: PfSlot, info: dict, by_parent: dict, by_name: dict,
            attachments: Mapping[str, Attachment], persisted: Persisted) -> _Candidate:
        index = info["vf"]
        slot = pf.vfs.get(index)
        address = slot.address if slot else ""
        netlink = by_parent.get(address) if address else None
        if netlink is None and slot is not None:  # kernels without IFLA_PARENT_DEV_NAME
            netlink = next((by_name[n] for n in slot.netdevs if n in by_name), None)
        netdev = str(netlink.get("ifname") or "") if netlink else ""
        att = attachments.get(address) or (attachments.get(netdev) if netdev else None)
        driver = (slot.driver or "") if slot else ""
        vlans = [v for v in info.get("vlan_list") or () if isinstance(v, dict)]
        vlan = vlans[0] if vlans else {}
        rate = info.get("rate") if isinstance(info.get("rate"), dict) else {}
        record = s.VfSample(
            pf=pf.netdev, pf_pci=pf.address or "", index=index, address=address,
            physnet=pf.physnet, domain=att.domain if att else "",
            port_mac=att.port_mac if att else "", netdev=netdev, driver=driver,
            mac=str(info.get("address") or ""), vlan=_int(vlan.get("vlan")),
            qos=_int(vlan.get("qos")), vlan_proto=str(vlan.get("protocol") or ""),
            spoofchk=_bool(info.get("spoofchk")), trust=_bool(info.get("trust")),
            link_state=str(info.get("link_state") or ""),
            max_tx_rate=_int(rate.get("max_tx")), min_tx_rate=_int(rate.get("min_tx")),
            in_use=att is not None or driver in GUEST_DRIVERS,
            spoofchk_persisted=persisted.spoofchk.get((pf.address or "", index)))
        return _Candidate(record, _pf_counters(info), _netdev_counters(netlink))

    def _choose_sources(self, pf: PfSlot, found: list[_Candidate]) -> list[s.VfSample]:
        """Counters from the PF driver when it reports VF stats, else from VF netdevs."""
        ident = (pf.netdev, pf.driver or "")
        if ident not in self._no_vf_stats and pf.driver not in NO_VF_STATS_DRIVERS:
            pf_silent = all(not any(c.pf.values()) for c in found if c.pf is not None)
            netdev_busy = any(c.netdev and (c.netdev["rx_packets"] or c.netdev["tx_packets"])
                              for c in found)
            streak = self._zero_streak.get(pf.netdev, 0) + 1 if pf_silent and netdev_busy else 0
            self._zero_streak[pf.netdev] = streak
            if streak >= EVIDENCE_SCRAPES:
                self._no_vf_stats.add(ident)
        pf_reports = ident not in self._no_vf_stats and pf.driver not in NO_VF_STATS_DRIVERS
        out = []
        for c in found:
            if pf_reports and c.pf is not None:
                source, counters = s.SOURCE_PF, c.pf
            elif c.netdev is not None:
                source, counters = s.SOURCE_VF_NETDEV, c.netdev
            else:
                source, counters = s.SOURCE_NONE, {}
            out.append(replace(c.record, stats_source=source, counters=counters))
        return out


class _Candidate:
    """A VF before its counter source is chosen (that needs all VFs of its PF)."""

    __slots__ = ("record", "pf", "netdev")

    def __init__(self, record: s.VfSample, pf: dict | None, netdev: dict | None):
        self.record, self.pf, self.netdev = record, pf, netdev


def _pf_counters(info: dict) -> dict[str, int] | None:
    stats = info.get("stats")
    if not isinstance(stats, dict):
        return None  # kernels before 4.2 send no IFLA_VF_STATS at all
    if isinstance(stats.get("rx"), dict) or isinstance(stats.get("tx"), dict):
        return _ip_json_vf_stats(stats)
    return {k: _int(stats.get(k)) for k in s.COUNTERS}


def _ip_json_vf_stats(stats: dict) -> dict[str, int]:
    """`ip -j -s link` nests VF stats: {"rx": {"packets", "bytes", "multicast", "broadcast",
    "dropped"}, "tx": {"tx_packets", "tx_bytes", "dropped"}} (a captured snapshot)."""
    rx = stats.get("rx") if isinstance(stats.get("rx"), dict) else {}
    tx = stats.get("tx") if isinstance(stats.get("tx"), dict) else {}
    return {"rx_packets": _int(rx.get("packets")), "rx_bytes": _int(rx.get("bytes")),
            "tx_packets": _int(tx.get("tx_packets", tx.get("packets"))),
            "tx_bytes": _int(tx.get("tx_bytes", tx.get("bytes"))),
            "broadcast": _int(rx.get("broadcast")), "multicast": _int(rx.get("multicast")),
            "rx_dropped": _int(rx.get("dropped")), "tx_dropped": _int(tx.get("dropped"))}


def _netdev_counters(link: dict | None) -> dict[str, int] | None:
    stats = link.get("stats64") if link else None
    if not isinstance(stats, dict):
        return None
    out = {}
    for name, (direction, key) in _NETDEV_COUNTERS.items():
        side = stats.get(direction)
        out[name] = _int(side.get(key)) if isinstance(side, dict) else 0
    return out


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _bool(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _hostname(root: Root) -> str:
    name = root.read_text("/proc/sys/kernel/hostname")
    if not name and root.is_live:
        name = os.uname().nodename
    return name or ""
