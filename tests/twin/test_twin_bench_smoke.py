"""The fleet benchmark's workload, tiny: it must keep running and keep its numbers right."""

from __future__ import annotations

import sys

from twin_helpers import REPO


def test_bench_capacity_child_places_every_port_and_counts_what_is_left():
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import bench_capacity
    finally:
        sys.path.remove(str(REPO / "bench"))
    result = bench_capacity.child(hosts=3, ports=300, shared=True)
    assert result["failed"] == 0
    # 3 hosts x 2 PFs x 64 VFs per physnet, 150 ports on each physnet
    assert result["free"] == {"physnet1": 3 * 128 - 150, "physnet2": 3 * 128 - 150}
    unshared = bench_capacity.child(hosts=3, ports=300, shared=False)
    assert unshared["free"] == result["free"]
