"""The twin at fleet scale: N hosts x 4 PFs x 64 VFs, M direct ports, then capacity.

Run:  .venv/bin/python bench/bench_capacity.py [--hosts 1000 10000] [--ports 100000]
                                               [--runs 3] [--unshared]

Each measurement runs in a fresh child process (so its peak RSS is its own) and does
what ``sriovctl simulate --capacity`` does, through the twin's own objects:

* build  — one nova-compute per host: ``PciStats`` pools from 260 device dicts (4 E810-like
           PFs, 64 VFs each, two PFs per NUMA node) and a 4-entry device_spec (two PFs per
           physnet), plus one NIC Switch agent per host;
* boot   — M ports, alternating physnet1/physnet2, each created in neutron (IPAM), then a
           server booted on it: scheduler (PciPassthroughFilter, NUMATopologyFilter, the
           first host and two alternates), PCI claim, neutron bind_port. Every fourth
           server has a one-cell NUMA topology and its port numa policy ``required``;
* capacity — free and usable VFs per host, physnet and NUMA node.

Hosts are built from synthetic device dicts, not sysfs trees. The first host's pools
come from ``PciStats.add_devices``; the identical others are ``ComputeNode.like`` clones
sharing the (read-only) device dicts and device_spec matches, as ``Cloud`` does for
identical machines. ``--unshared`` builds every host from its own dicts with
``add_devices`` instead, to show what that costs. The machine is shared and noisy:
figures are medians of --runs, sizes alternate, and the 10k/1k ratio is printed for each
phase.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

PFS, VFS = 4, 64
SPECS = [
    '{"address": "0000:3b:00.0", "physical_network": "physnet1"}',
    '{"address": "0000:4b:00.0", "physical_network": "physnet1"}',
    '{"address": "0000:5b:00.0", "physical_network": "physnet2"}',
    '{"address": "0000:6b:00.0", "physical_network": "physnet2"}',
]


def hardware() -> list[dict]:
    """One machine's PCI devices as nova's libvirt driver reports them."""
    devices = []
    for n in range(PFS):
        bus = 0x3B + n * 0x10
        pf = f"0000:{bus:02x}:00.0"
        devices.append(
            {
                "address": pf,
                "vendor_id": "8086",
                "product_id": "1592",
                "numa_node": n // 2,
                "dev_type": "type-PF",
                "parent_addr": None,
            }
        )
        for i in range(VFS):
            rid = (bus << 8) + 8 + i  # offset 8, stride 1
            devices.append(
                {
                    "address": f"0000:{rid >> 8:02x}:{(rid >> 3) & 0x1F:02x}.{rid & 7}",
                    "vendor_id": "8086",
                    "product_id": "1889",
                    "numa_node": n // 2,
                    "dev_type": "type-VF",
                    "parent_addr": pf,
                    "parent_ifname": f"ens{n + 1}f0",
                }
            )
    return devices


PHASES = ("build", "boot", "capacity")


class Clock:
    """Wall and CPU seconds per phase: on a loaded machine CPU time is the steadier figure."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def lap(self, name: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        self.laps[f"{name}_s"], self.laps[f"{name}_cpu"] = wall - self._wall, cpu - self._cpu
        self._wall, self._cpu = wall, cpu


def child(hosts: int, ports: int, shared: bool) -> dict:
    from sriovctl.openstack.nova import DeviceSpecList, StaticHost
    from sriovctl.twin import boot
    from sriovctl.twin.agents import AgentRow
    from sriovctl.twin.capacity import capacity
    from sriovctl.twin.cloud import Cloud, Flavor, Server
    from sriovctl.twin.deployment import Deployment, Ml2Settings
    from sriovctl.twin.ipam import make_subnet
    from sriovctl.twin.nova import ComputeNode, SpecMatcher

    clock = Clock()
    devices = hardware()
    specs = DeviceSpecList(SPECS, host=StaticHost.from_devices(devices))
    matcher = SpecMatcher(specs)
    template = ComputeNode("cmp00000", devices, matcher, (0, 1))
    nodes = [template]
    for i in range(1, hosts):
        if shared:  # what Cloud does for identical machines
            nodes.append(ComputeNode.like(template, f"cmp{i:05d}"))
        else:
            mine = [dict(d) for d in devices]
            nodes.append(ComputeNode(f"cmp{i:05d}", mine, SpecMatcher(specs), (0, 1)))
    ml2 = Ml2Settings(
        ("sriovnicswitch",),
        ("vlan",),
        ("vlan",),
        {"physnet1": [(1, 4094)], "physnet2": [(1, 4094)]},
        None,
        (),
    )
    deployment = Deployment(
        (), ml2, ("PciPassthroughFilter", "NUMATopologyFilter"), None, 3, frozenset()
    )
    cloud = Cloud(deployment, nodes=nodes)
    mappings = {"physnet1": ["ens1f0", "ens2f0"], "physnet2": ["ens3f0", "ens4f0"]}
    for node in nodes:
        cloud.neutron.add_agent(
            AgentRow(
                cloud.ids.stable("agent", node.name), node.name, True, {"device_mappings": mappings}
            )
        )
    clock.lap("build")
    nets = []
    for k, physnet in enumerate(("physnet1", "physnet2")):
        net = cloud.neutron.create_network(f"net{k}", "vlan", physnet, str(100 + k))
        cloud.neutron.add_subnet(
            make_subnet(
                cloud.ids.new("subnet"), f"sub{k}", net.id, f"10.{k * 4}.0.0/14", [], None, True
            )
        )
        nets.append(net)
    plain = Flavor("m1.small", "2", 1, 2048, 20)
    pinned = Flavor("pinned", "9", 2, 2048, 20, {"hw:numa_nodes": "1"})
    failed = 0
    for i in range(ports):
        numa = i % 4 == 3
        port = cloud.neutron.create_port(
            f"p{i}", nets[i % 2], "direct", numa_policy="required" if numa else None
        )
        server = Server(cloud.ids.new("server"), f"s{i}", pinned if numa else plain, "img")
        cloud.servers[server.id] = server
        boot.create_server(cloud, server, [port])
        failed += server.status != "ACTIVE"
    clock.lap("boot")
    rows = capacity(cloud)
    clock.lap("capacity")
    totals = {r["Physnet"]: r["Free VFs"] for r in rows if r["Host"] == "TOTAL"}
    return {
        "hosts": hosts,
        "ports": ports,
        **clock.laps,
        "total_s": sum(clock.laps[f"{k}_s"] for k in PHASES),
        "total_cpu": sum(clock.laps[f"{k}_cpu"] for k in PHASES),
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "failed": failed,
        "free": totals,
    }


def measure(hosts: int, ports: int, shared: bool) -> dict:
    cmd = [sys.executable, __file__, "--child", str(hosts), str(ports)]
    if not shared:
        cmd.append("--unshared")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hosts", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--ports", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--unshared", action="store_true")
    ap.add_argument("--child", type=int, nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], not args.unshared)))
        return
    results: dict[int, list[dict]] = {n: [] for n in args.hosts}
    for run in range(args.runs):
        for n in args.hosts:
            r = measure(n, args.ports, not args.unshared)
            results[n].append(r)
            print(
                f"run {run + 1} hosts {n:>6}: "
                + "  ".join(f"{k} {r[k + '_s']:6.2f} s ({r[k + '_cpu']:6.2f} cpu)" for k in PHASES)
                + f"  peak RSS {r['rss_mb']:5.0f} MiB  failed {r['failed']}",
                flush=True,
            )
    print(
        f"\nmedians of {args.runs} runs, {args.ports:,} ports, "
        f"{'own' if args.unshared else 'shared'} device dicts per host; wall s (CPU s):"
    )
    print(
        f"{'hosts':>7} {'VFs':>10} "
        + " ".join(f"{k:>16}" for k in (*PHASES, "total"))
        + f" {'peak MiB':>9}"
    )
    keys = [f"{k}_{u}" for k in (*PHASES, "total") for u in ("s", "cpu")] + ["rss_mb"]
    med = {
        n: {k: statistics.median(r[k] for r in runs) for k in keys} for n, runs in results.items()
    }
    for n, m in med.items():
        cells = " ".join(f"{m[k + '_s']:7.2f} ({m[k + '_cpu']:6.2f})" for k in (*PHASES, "total"))
        print(f"{n:>7} {n * PFS * VFS:>10,} {cells} {m['rss_mb']:>9.0f}")
    if len(med) > 1:
        small, big = min(med), max(med)
        print(
            f"ratio {big}/{small} hosts (x{big / small:g} hosts), wall (CPU): "
            + ", ".join(
                f"{k} x{med[big][k + '_s'] / med[small][k + '_s']:.1f} "
                f"(x{med[big][k + '_cpu'] / med[small][k + '_cpu']:.1f})"
                for k in (*PHASES, "total")
            )
            + f", peak RSS x{med[big]['rss_mb'] / med[small]['rss_mb']:.1f}"
        )


if __name__ == "__main__":
    main()
