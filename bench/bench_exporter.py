"""What one `sriovctl exporter` scrape costs with 256 VFs, part by part, side by side.

    .venv/bin/python bench/bench_exporter.py [--runs N]

The host is big_host(): 4 PFs x 64 VFs (ice/iavf ids) as a sysfs tree. The netlink dump is
synthetic but byte-exact: the 4 PFs' RTM_NEWLINK messages with 64 IFLA_VF_INFO each (MAC,
VLAN, rate, spoofchk, link state, trust, IFLA_VF_STATS), plus the 256 VF netdevs' messages
(IFLA_STATS64, IFLA_PARENT_DEV_NAME), encoded by pyroute2 into one buffer as the kernel
would send it. Timed, alternating within each round, medians of N rounds:

  netlink parse  pyroute2 parses the buffer into messages and we convert them
                 (dump.monitor_link): everything dump_live() does after recv()
  collect        Monitor.scrape() on those links, topology cached (the normal case)
  collect, cold  the same with the sysfs topology re-read every scrape (max_age=0): what
                 the cache saves
  collect + text collect and the Prometheus text of it (what the HTTP handler does)
  one scrape     netlink parse + collect + text: a scrape end to end, minus recv()
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from sriovctl.monitor.collect import Monitor  # noqa: E402
from sriovctl.monitor.dump import monitor_link  # noqa: E402
from sriovctl.monitor.metrics import SriovCollector  # noqa: E402

from hostbuilder import big_host  # noqa: E402

PFS, VFS = 4, 64


def vf_info(i: int) -> tuple:
    stats = [(f"IFLA_VF_STATS_{k}", 1000 * i + n) for n, k in enumerate(
        ("RX_PACKETS", "TX_PACKETS", "RX_BYTES", "TX_BYTES", "BROADCAST", "MULTICAST",
         "RX_DROPPED", "TX_DROPPED"))]
    return ("IFLA_VF_INFO", {"attrs": [
        ("IFLA_VF_MAC", {"vf": i, "mac": f"fa:16:3e:00:{i >> 8:02x}:{i & 0xFF:02x}"}),
        ("IFLA_VF_VLAN", {"vf": i, "vlan": 100 + i, "qos": 0}),
        ("IFLA_VF_RATE", {"vf": i, "min_tx_rate": 0, "max_tx_rate": 0}),
        ("IFLA_VF_SPOOFCHK", {"vf": i, "spoofchk": 1}),
        ("IFLA_VF_LINK_STATE", {"vf": i, "link_state": 0}),
        ("IFLA_VF_TRUST", {"vf": i, "trust": 0}),
        ("IFLA_VF_STATS", {"attrs": stats}),
    ]})


def message(index: int, attrs: list) -> bytes:
    from pyroute2.netlink.rtnl import RTM_NEWLINK
    from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

    msg = ifinfmsg()
    msg["header"]["type"] = RTM_NEWLINK
    msg["header"]["sequence_number"] = 0
    msg["index"] = index
    msg["attrs"] = attrs
    msg.encode()
    return bytes(msg.data)


def synthetic_dump(host) -> bytes:
    """One buffer of RTM_NEWLINK messages: 4 PFs with their VF lists, 256 VF netdevs."""
    parts = []
    index = 1
    for pf in host.pfs():
        index += 1
        parts.append(message(index, [
            ("IFLA_IFNAME", pf.netdevs[0]), ("IFLA_ADDRESS", "b4:96:91:00:00:00"),
            ("IFLA_PARENT_DEV_NAME", pf.address),
            ("IFLA_VFINFO_LIST", {"attrs": [vf_info(i) for i in range(VFS)]})]))
        for vf in host.vfs_of(pf):
            index += 1
            parts.append(message(index, [
                ("IFLA_IFNAME", vf.netdevs[0]), ("IFLA_ADDRESS", "02:00:00:00:00:01"),
                ("IFLA_PARENT_DEV_NAME", vf.address),
                ("IFLA_STATS64", {"rx_packets": index, "tx_packets": 2 * index})]))
    return b"".join(parts)


def parse(buffer: bytes) -> list[dict]:
    from pyroute2.netlink.rtnl.marshal import MarshalRtnl

    return [monitor_link(m) for m in MarshalRtnl().parse(buffer)]


def render(collector) -> bytes:
    from prometheus_client import CollectorRegistry, generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return generate_latest(registry)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=21)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = big_host(Path(tmp) / "host", pfs=PFS, vfs=VFS).build()
        from sriovctl.host.read import load_host

        buffer = synthetic_dump(load_host(str(root)))
        links = parse(buffer)
        vf_count = sum(len(x.get("vfinfo_list", ())) for x in links)
        assert vf_count == PFS * VFS, vf_count
        warm = Monitor(str(root), dump=lambda r: links)
        cold = Monitor(str(root), dump=lambda r: links, max_age=0)
        latest: list = [links]  # end to end: each scrape gets the links parsed just before
        e2e = SriovCollector(Monitor(str(root), dump=lambda r: latest[0]))
        to_text = SriovCollector(warm)
        times: dict[str, list[float]] = {k: [] for k in (
            "parse", "collect", "cold", "text", "e2e")}
        for _ in range(2):  # warm-up: imports, the first topology read
            render(to_text)
            render(e2e)
        for _ in range(args.runs):
            t = time.perf_counter()
            parse(buffer)
            times["parse"].append(time.perf_counter() - t)
            t = time.perf_counter()
            warm.scrape()
            times["collect"].append(time.perf_counter() - t)
            t = time.perf_counter()
            cold.scrape()
            times["cold"].append(time.perf_counter() - t)
            t = time.perf_counter()
            body = render(to_text)
            times["text"].append(time.perf_counter() - t)
            t = time.perf_counter()
            latest[0] = parse(buffer)
            render(e2e)
            times["e2e"].append(time.perf_counter() - t)
        med = {k: statistics.median(v) * 1000 for k, v in times.items()}
        print(f"sriovctl exporter, {PFS} PFs x {VFS} VFs = {vf_count} VFs, "
              f"{len(buffer) / 1024:.0f} KiB netlink dump, {len(body) / 1024:.0f} KiB of text; "
              f"medians of {args.runs} rounds, ms:")
        print(f"  netlink parse (pyroute2 + convert) {med['parse']:8.1f}")
        print(f"  collect, topology cached           {med['collect']:8.1f}")
        print(f"  collect, sysfs re-read every time  {med['cold']:8.1f}"
              f"   ({med['cold'] / med['collect']:.1f}x the cached)")
        print(f"  collect + text (generate_latest)   {med['text']:8.1f}")
        print(f"  one scrape: parse + collect + text {med['e2e']:8.1f}"
              f"   = {med['e2e'] / vf_count * 1000:.0f} us per VF,"
              f" {med['parse'] / med['e2e']:.0%} of it pyroute2's parse")

if __name__ == "__main__":
    main()
