"""nova's stats cases and neutron's bind_port cases, run through the twin's own objects.

The libraries pass these vectors on their own (tests/openstack); here they go through
what the twin builds around them (ComputeNode with its remembering SpecMatcher, the
Scheduler's filter, claims; Neutron's networks, subnets, agents and bind), so a twin
shortcut that changed nova's or neutron's answer would show.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sriovctl.openstack.neutron import Segment
from sriovctl.openstack.nova import DeviceSpecList, NovaPciError
from sriovctl.twin.agents import AgentRow
from sriovctl.twin.deployment import Deployment, Ml2Settings
from sriovctl.twin.ids import Ids
from sriovctl.twin.ipam import make_subnet
from sriovctl.twin.neutron import Network, Neutron
from sriovctl.twin.nova import ComputeNode, SpecMatcher
from sriovctl.twin.scheduler import Scheduler

VECTORS = Path(__file__).resolve().parents[1] / "vectors"


def _load(name: str) -> dict:
    for path in (VECTORS / name, Path("/work/shared/vectors") / name):
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))
    pytest.skip(f"{name} not found")
    return {}


NOVA = _load("nova-pci.json")
NEUTRON = _load("neutron-sriov.json")


def _node(case) -> ComputeNode:
    values = case["device_spec"]
    if values == "ANY_DEVICE_MATCHES_A_SPEC_WITHOUT_TAGS":
        values = ["{}"]
    cells = case.get("host_numa_cells")
    return ComputeNode("node", [dict(d) for d in case["devices"]],
                       SpecMatcher(DeviceSpecList(values)), host_cells=cells)  # fmt: skip


def _run(case, node: ComputeNode):
    op, requests, cells = case["operation"], case.get("requests", []), case.get("numa_cells")
    if op == "add_devices":
        return None
    if op == "support_requests" and not cells and not case.get("provider_mapping"):
        return Scheduler([node]).passes(node, requests, 0)  # what PciPassthroughFilter asks
    if op == "support_requests":
        return node.stats.support_requests(requests, case.get("provider_mapping"), cells)
    if op == "consume_requests":
        return node.claim("owner", requests, cells)
    if op == "apply_requests":
        return node.stats.apply_requests(requests, case.get("provider_mapping"), cells)
    if op == "filter_pools_for_socket_affinity":
        return node.stats.filter_pools_for_socket_affinity(node.stats.pools, cells)
    raise AssertionError(op)


@pytest.mark.parametrize("case", NOVA.get("stats_cases", []), ids=lambda c: c["id"])
def test_stats_cases_through_compute_nodes(case):
    node = _node(case)
    expect = case["expect"]
    if "raises" in expect:
        with pytest.raises(NovaPciError) as info:
            _run(case, node)
        assert info.value.nova_exception == expect["raises"]
        return
    result = _run(case, node)
    pools = result if case["operation"] == "filter_pools_for_socket_affinity" else node.stats.pools
    if "result" in expect:
        assert result is expect["result"]
    if "num_pools" in expect:
        assert len(pools) == expect["num_pools"]
    for want, pool in zip(expect.get("pools_prefix", []), pools):
        assert {k: pool.get(k) for k in want} == want
    if "pool_counts" in expect:
        assert [pool["count"] for pool in pools] == expect["pool_counts"]
    if "num_devices" in expect:
        assert len(result) == expect["num_devices"]
    if "vendor_ids_set" in expect:
        assert {d["vendor_id"] for d in result} == set(expect["vendor_ids_set"])
    if "product_ids_set" in expect:
        assert {d["product_id"] for d in result} == set(expect["product_ids_set"])
    free = node.stats.get_free_devs()
    for product_id, n in expect.get("free_devices_with_product_id", {}).items():
        assert sum(1 for d in free if d["product_id"] == product_id) == n


def _neutron(agents) -> Neutron:
    ml2 = Ml2Settings(("sriovnicswitch",), ("flat", "vlan", "vxlan"), ("vxlan",), None, None, ())
    deployment = Deployment((), ml2, ("PciPassthroughFilter",), None, 3, frozenset())
    neutron = Neutron(deployment, Ids())
    for i, agent in enumerate(agents):
        neutron.add_agent(
            AgentRow(
                f"agent-{i}",
                "host",
                agent.get("alive", True),
                dict(agent.get("configurations") or {}),
                agent_type=agent.get("agent_type", "NIC Switch agent"),
            )
        )
    return neutron


BIND = [v for v in NEUTRON.get("vectors", []) if v["kind"] == "bind_port"]


@pytest.mark.parametrize("v", BIND, ids=lambda v: f"{v['id']}-{v['source']['test']}")
def test_bind_port_cases_through_the_neutron_model(v):
    neutron = _neutron(v["agents"])
    segments = [Segment.of(s) for s in v["segments"]]
    network = Network("net", "net", segments)
    neutron.networks[network.id] = network
    fixed = []
    for i, subnet in enumerate(v["subnets_from_fixed_ips"]):
        s = make_subnet(f"sub{i}", "", network.id, f"10.{i}.0.0/24", [], None, True)
        s.segment_id = subnet.get("segment_id")
        neutron.add_subnet(s)
        fixed.append((s.id, s.allocate()))
    port = neutron.create_port("p", network, v["vnic_type"], v["profile"] or {})
    port.fixed_ips = fixed
    binding = neutron.bind(port, "host")
    assert binding.bound is (v["expected"] == "bound")
    assert port.vif_type == (binding.vif_type if binding.bound else "binding_failed")
    if not binding.bound:
        return
    if "bound_segment_id" in v:
        assert binding.segment.id == v["bound_segment_id"]
    if "vif_type" in v:
        assert port.vif_type == v["vif_type"]
    for key, value in v.get("vif_details_subset", {}).items():
        assert port.vif_details[key] == value
    if "vif_details_vlan_int" in v:
        assert port.vif_details["vlan"] == str(v["vif_details_vlan_int"])
    if "bound_port_status" in v:
        assert port.status == v["bound_port_status"]
