"""Per-VF rates between two samples, for `sriovctl top`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sriovctl.monitor.sample import Sample, VfSample

# key -> (what it sorts by, as the header says it); rates sort busiest first
SORT_KEYS = {
    "rx_pps": "received packets/s", "tx_pps": "sent packets/s",
    "rx_bps": "received bits/s", "tx_bps": "sent bits/s",
    "drops": "dropped packets/s (rx + tx)", "vf": "PF and VF index",
}


@dataclass(frozen=True)
class VfRate:
    vf: VfSample
    rx_pps: float | None = None  # None: no previous sample, no counters, or a reset
    tx_pps: float | None = None
    rx_bps: float | None = None  # bits per second
    tx_bps: float | None = None
    drops: float | None = None


def rates(prev: Sample | None, cur: Sample) -> list[VfRate]:
    before = {v.key: v for v in prev.vfs} if prev is not None else {}
    seconds = cur.taken_at - prev.taken_at if prev is not None else 0.0
    out = []
    for vf in cur.vfs:
        old = before.get(vf.key)
        if old is None or seconds <= 0 or old.stats_source != vf.stats_source:
            out.append(VfRate(vf))
            continue
        now, then = vf.counters, old.counters
        out.append(VfRate(vf, rx_pps=_per_second(now, then, seconds, "rx_packets"),
                          tx_pps=_per_second(now, then, seconds, "tx_packets"),
                          rx_bps=_per_second(now, then, seconds, "rx_bytes", scale=8),
                          tx_bps=_per_second(now, then, seconds, "tx_bytes", scale=8),
                          drops=_per_second(now, then, seconds, "rx_dropped", "tx_dropped")))
    return out


def _per_second(now: Mapping[str, int], then: Mapping[str, int], seconds: float, *names: str,
                scale: float = 1.0) -> float | None:
    if not all(n in now and n in then for n in names):
        return None
    delta = sum(now[n] - then[n] for n in names)
    return None if delta < 0 else delta * scale / seconds  # < 0: the counters were reset


def sort_rates(rows: list[VfRate], key: str) -> list[VfRate]:
    if key == "vf":
        return sorted(rows, key=lambda r: r.vf.key)
    # busiest first; unknown rates last; ties in PF/VF order so rows do not jump around
    return sorted(rows, key=lambda r: (getattr(r, key) is None, -(getattr(r, key) or 0.0),
                                       r.vf.key))


def human(value: float | None) -> str:
    """Three significant digits and a prefix: 1234567 -> '1.23M', 0.5 -> '0.5'; None -> '-'."""
    if value is None:
        return "-"
    for factor, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, "")):
        if value >= factor or factor == 1.0:
            scaled = value / factor
            return (f"{scaled:.0f}" if scaled >= 99.95 else f"{scaled:.3g}") + prefix
    return "-"  # unreachable: the last factor always matches
