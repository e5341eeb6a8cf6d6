"""Plain helpers for the twin tests (conftest modules are not importable by name)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GUIDE = REPO / "examples" / "guide"
GUIDE_CONFIGS = [GUIDE / f for f in ("nova-compute.conf", "nova-scheduler.conf", "ml2_conf.ini",
                                      "sriov_agent.ini", "openvswitch_agent.ini")]  # fmt: skip


def ids(report, severity=None):
    return [e.id for e in report.explanations if severity is None or e.severity == severity]


def explanation(report, id_):
    found = [e for e in report.explanations if e.id == id_]
    assert found, f"{id_} not in {ids(report)}"
    return found[0]


GUIDE_NET = """
openstack network create --provider-physical-network sriovnet1 \\
--provider-network-type vlan --provider-segment 1000 sriov-net
openstack subnet create --network sriov-net --subnet-range 10.12.21.0/24 \\
--allocation-pool start=10.12.21.131,end=10.12.21.140 sriov-subnet
"""
