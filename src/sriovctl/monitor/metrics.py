"""A Sample as Prometheus metric families (a prometheus_client custom collector).

Every scrape calls Monitor.scrape() once; nothing is kept between scrapes here, so the
exposition is always one consistent dump. Label sets are identical within a level (VF,
PF) so that rules can compare metrics directly (`sriov_pf_numvfs != sriov_pf_numvfs_persisted`).
"""

from __future__ import annotations

from collections.abc import Iterator

from sriovctl.monitor.sample import Sample, VfSample

VF_LABELS = ("host", "pf", "vf", "vf_pci", "physnet", "domain", "port_mac")
PF_LABELS = ("host", "pf", "pf_pci", "physnet")
# counter name in the Sample -> (metric name without _total, help)
VF_COUNTERS = {
    "rx_packets": ("sriov_vf_rx_packets", "Packets received by the VF."),
    "tx_packets": ("sriov_vf_tx_packets", "Packets sent by the VF."),
    "rx_bytes": ("sriov_vf_rx_bytes", "Bytes received by the VF."),
    "tx_bytes": ("sriov_vf_tx_bytes", "Bytes sent by the VF."),
    "broadcast": ("sriov_vf_rx_broadcast_packets", "Broadcast packets received by the VF."),
    "multicast": ("sriov_vf_rx_multicast_packets", "Multicast packets received by the VF."),
    "rx_dropped": ("sriov_vf_rx_dropped_packets", "Received packets dropped."),
    "tx_dropped": ("sriov_vf_tx_dropped_packets", "Packets to send that were dropped."),
}
SOURCE_HELP = " Label source: pf (the PF driver's VF stats) or vf_netdev (the VF's own netdev)."
ERROR_SOURCES = ("netlink", "sysfs", "vf_state")


class SriovCollector:
    """Register with a CollectorRegistry; prometheus_client calls collect() per scrape."""

    def __init__(self, monitor) -> None:
        self.monitor = monitor

    def describe(self) -> list:
        return []  # registering must not scrape

    def collect(self) -> Iterator:
        yield from families(self.monitor.scrape())


def families(sample: Sample) -> list:
    from prometheus_client.core import (
        CounterMetricFamily,
        GaugeMetricFamily,
        InfoMetricFamily,
    )

    out: list = []
    vf_labels = {v.key: _vf_labels(sample.host, v) for v in sample.vfs}

    counters = {k: CounterMetricFamily(name, doc + SOURCE_HELP, labels=[*VF_LABELS, "source"])
                for k, (name, doc) in VF_COUNTERS.items()}
    for v in sample.vfs:
        for key, value in v.counters.items():
            if key in counters:
                counters[key].add_metric([*vf_labels[v.key], v.stats_source], value)
    out += counters.values()

    info = InfoMetricFamily("sriov_vf", "A VF's settings as its PF driver reports them.",
                            labels=VF_LABELS)
    for v in sample.vfs:
        info.add_metric(vf_labels[v.key], {
            "mac": v.mac, "netdev": v.netdev, "driver": v.driver, "link_state": v.link_state,
            "spoofchk": _onoff(v.spoofchk), "trust": _onoff(v.trust), "vlan": str(v.vlan),
            "qos": str(v.qos), "vlan_proto": v.vlan_proto, "stats_source": v.stats_source,
            "max_tx_rate": str(v.max_tx_rate), "min_tx_rate": str(v.min_tx_rate)})
    out.append(info)

    gauges = (
        ("sriov_vf_spoofchk", "1 when MAC/VLAN spoof checking is on.", lambda v: v.spoofchk),
        ("sriov_vf_trust", "1 when the VF is trusted.", lambda v: v.trust),
        ("sriov_vf_vlan", "The VF's port VLAN (0: none).", lambda v: v.vlan),
        ("sriov_vf_in_use", "1 when a running domain or a guest driver holds the VF.",
         lambda v: v.in_use),
        ("sriov_vf_spoofchk_persisted",
         "1/0: spoofchk as the VF state file wants it (absent when it does not say).",
         lambda v: v.spoofchk_persisted),
    )
    for name, doc, get in gauges:
        family = GaugeMetricFamily(name, doc, labels=VF_LABELS)
        for v in sample.vfs:
            value = get(v)
            if value is not None:
                family.add_metric(vf_labels[v.key], float(value))
        out.append(family)

    pf_gauges = (
        ("sriov_pf_totalvfs", "VFs the PF can offer (sriov_totalvfs).", lambda p: p.totalvfs),
        ("sriov_pf_numvfs", "VFs the PF has now.", lambda p: p.numvfs),
        ("sriov_pf_vfs_in_use", "VFs held by a running domain or a guest driver.",
         lambda p: p.vfs_in_use),
        ("sriov_pf_numvfs_persisted", "VFs the VF state file wants at boot.",
         lambda p: p.numvfs_persisted),
    )
    for name, doc, get in pf_gauges:
        family = GaugeMetricFamily(name, doc, labels=PF_LABELS)
        for p in sample.pfs:
            if get(p) is not None:
                family.add_metric([sample.host, p.netdev, p.address, p.physnet], float(get(p)))
        out.append(family)
    pf_info = InfoMetricFamily("sriov_pf", "The PF's driver.", labels=PF_LABELS)
    for p in sample.pfs:
        pf_info.add_metric([sample.host, p.netdev, p.address, p.physnet], {"driver": p.driver})
    out.append(pf_info)

    # host on these too, so that dashboards filtering by host keep them
    duration = GaugeMetricFamily("sriov_exporter_scrape_duration_seconds",
                                 "Time this scrape took (netlink dump to samples).",
                                 labels=["host"])
    duration.add_metric([sample.host], sample.duration)
    reads = CounterMetricFamily("sriov_exporter_topology_reads",
                                "sysfs topology reads (only when the VF layout changed).",
                                labels=["host"])
    reads.add_metric([sample.host], sample.topology_reads)
    errors = GaugeMetricFamily("sriov_exporter_read_errors",
                               "Problems reading this scrape's sources.", labels=["host", "source"])
    for source in ERROR_SOURCES:
        errors.add_metric([sample.host, source],
                          float(sum(1 for s, _ in sample.errors if s == source)))
    out += [duration, reads, errors]
    return out


def _vf_labels(host: str, v: VfSample) -> list[str]:
    return [host, v.pf, str(v.index), v.address, v.physnet, v.domain, v.port_mac]


def _onoff(value: bool | None) -> str:
    return "" if value is None else ("on" if value else "off")


def exposition(monitor) -> bytes:
    """The text format of one scrape (what `--once` prints and the HTTP endpoint serves)."""
    from prometheus_client import CollectorRegistry, generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(SriovCollector(monitor))
    return generate_latest(registry)
