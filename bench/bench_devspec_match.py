"""How fast device_spec entries match host devices: 10,000 devices x 20 entries.

Run:  .venv/bin/python bench/bench_devspec_match.py [--runs N]

The workload is a realistic host: 150 SR-IOV PFs with 64 VFs each (Intel and
Mellanox ids) plus 250 other PCI devices, and 20 device_spec entries mixing
exact PF addresses (which select their VFs by parent address), globs, regex
dicts and id-only entries, some with tags. Three ways are timed in the same
run, alternating, and reported as medians:

* matrix   — every entry against every device (what a linter needs:
             ``DeviceSpecList.matches_by_spec``), each address parsed once;
* first    — nova's question, the first entry matching each device
             (``DeviceSpecList.assign``);
* uncached — the matrix again, re-parsing the device address for every
             pair, as nova's own ``PciDeviceSpec.match`` does.

With ``SRIOVCTL_NOVA_PYTHON`` pointing at a Python that has nova installed,
nova's own ``Whitelist`` is timed on the same workload, in the same
alternation (in a child process, excluding its import time).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from sriovctl.openstack.nova import DeviceSpecList, StaticHost

N_PF, VFS_PER_PF, N_OTHER = 150, 64, 250


def make_devices() -> list[dict]:
    devices = []
    for pf in range(N_PF):
        vendor, pf_id, vf_id = ("8086", "1572", "154c") if pf % 2 else ("15b3", "1017", "1018")
        bus = 0x20 + pf
        pf_addr = f"0000:{bus:02x}:00.0"
        numa = pf % 2
        devices.append(
            {"address": pf_addr, "vendor_id": vendor, "product_id": pf_id, "dev_type": "type-PF",
             "numa_node": numa}
        )  # fmt: skip
        for vf in range(VFS_PER_PF):
            slot, func = 0x02 + vf // 8, vf % 8
            devices.append(
                {"address": f"0000:{bus:02x}:{slot:02x}.{func}", "vendor_id": vendor,
                 "product_id": vf_id, "dev_type": "type-VF", "parent_addr": pf_addr,
                 "numa_node": numa}
            )  # fmt: skip
    for i in range(N_OTHER):
        devices.append(
            {"address": f"0000:{0xc0 + i // 32:02x}:{i % 32:02x}.0", "vendor_id": "10de",
             "product_id": "1db4", "dev_type": "type-PCI", "numa_node": None}
        )  # fmt: skip
    return devices


SPECS = [
    # exact PF addresses: select the PF and, through parent_addr, its 64 VFs
    {"address": "0000:20:00.0", "physical_network": "physnet1"},
    {"address": "0000:21:00.0", "physical_network": "physnet1", "trusted": "true"},
    {"address": "0000:22:00.0", "physical_network": "physnet2"},
    {"address": "0000:23:00.0", "physical_network": "physnet2"},
    # globs
    {"vendor_id": "8086", "product_id": "154c", "address": "*:30:*.*"},
    {"vendor_id": "15b3", "address": "0000:31:*.*"},
    {"address": ":32:02.", "physical_network": "physnet3"},
    {"address": "*:*:*.7", "vendor_id": "8086", "physical_network": "physnet3"},
    # regex dicts
    {"address": {"bus": "4[0-9a-f]$", "function": "[0-3]"}, "physical_network": "physnet4"},
    {"address": {"domain": "0000", "bus": "5[0-9]", "slot": "0[2-5]"}},
    {"address": {"bus": "6", "slot": ".*", "function": "[4-7]"}, "vendor_id": "15b3"},
    {"address": {"bus": "7[0-9a-f]", "slot": "0[89]"}, "remote_managed": "false"},
    # ids only
    {"vendor_id": "8086", "product_id": "154c", "physical_network": "physnet5"},
    {"vendor_id": "15b3", "product_id": "1018", "physical_network": "physnet6"},
    {"vendor_id": "10de", "product_id": "1db4"},
    {"vendor_id": "8086", "product_id": "1572"},
    # tags and narrower matches
    {"vendor_id": "15b3", "product_id": "1018", "address": "*:80:*.*"},
    {"product_id": "154c", "address": "0000:90:02.0", "live_migratable": "true"},
    {"address": {"bus": "a[0-9]"}, "managed": "no"},
    {"vendor_id": "15b3", "address": ":b0:", "physical_network": "physnet7"},
]

NOVA_CHILD = r"""
import json, logging, sys, time, warnings
logging.disable(logging.CRITICAL); warnings.simplefilter("ignore")
from unittest import mock
import nova.conf
from nova.pci import utils, whitelist
nova.conf.CONF([], project="nova")
work = json.load(open(sys.argv[1]))
pfs = set(work["pfs"])
with mock.patch.object(utils, "is_physical_function",
                       side_effect=lambda d, b, s, f: f"{d}:{b}:{s}.{f}" in pfs):
    specs = whitelist.Whitelist(work["values"])
    devices = work["devices"]
    t0 = time.perf_counter()
    for spec in specs.specs:
        for dev in devices:
            spec.match(dev)
    t1 = time.perf_counter()
    for dev in devices:
        specs.device_assignable(dev)
    t2 = time.perf_counter()
print(json.dumps({"matrix": t1 - t0, "first": t2 - t1}))
"""


def timed(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = max(5, parser.parse_args().runs)

    devices = make_devices()
    host = StaticHost.from_devices(devices)
    values = [json.dumps(spec) for spec in SPECS]
    specs = DeviceSpecList(values, host=host)
    pairs = len(devices) * len(specs)

    def uncached() -> None:
        for spec in specs:
            for dev in devices:
                spec.match(dev)

    nova_python = os.environ.get("SRIOVCTL_NOVA_PYTHON")
    work_file = None
    if nova_python:
        work_file = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        json.dump({"values": values, "devices": devices, "pfs": sorted(host.physical_functions)},
                  work_file)  # fmt: skip
        work_file.close()

    times: dict[str, list[float]] = {"matrix": [], "first": [], "uncached": []}
    for _ in range(runs):
        times["matrix"].append(timed(lambda: specs.matches_by_spec(devices)))
        times["first"].append(timed(lambda: specs.assign(devices)))
        times["uncached"].append(timed(uncached))
        if work_file:
            out = subprocess.run(
                [nova_python, "-c", NOVA_CHILD, work_file.name],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            child = json.loads(out.stdout.strip().splitlines()[-1])
            times.setdefault("nova matrix", []).append(child["matrix"])
            times.setdefault("nova first", []).append(child["first"])
    if work_file:
        os.unlink(work_file.name)

    matched = sum(len(devs) for devs in specs.matches_by_spec(devices))
    assigned = sum(1 for _, spec in specs.assign(devices) if spec)
    med = {name: statistics.median(samples) for name, samples in times.items()}
    print(f"workload: {len(devices)} devices x {len(specs)} device_spec entries = {pairs} pairs")
    print(f"          {matched} matching pairs, {assigned} devices assignable (first match)")
    print(f"runs: {runs} (alternating), Python {sys.version.split()[0]}; medians:")
    for name, seconds in med.items():
        if "first" in name:
            rate = f"{len(devices) / seconds:>12,.0f} devices/s (first match)"
        else:
            rate = f"{pairs / seconds:>12,.0f} devices x specs/s"
        print(f"  {name:<12} {seconds * 1000:8.1f} ms  {rate}")
    print(f"ratios: matrix vs uncached x{med['uncached'] / med['matrix']:.2f}", end="")
    if "nova matrix" in med:
        print(
            f"; matrix vs nova x{med['nova matrix'] / med['matrix']:.2f}"
            f"; first match vs nova x{med['nova first'] / med['first']:.2f}",
            end="",
        )
    print()


if __name__ == "__main__":
    main()
