"""neutron's and neutron-lib's own unit-test cases, server side: option parsers and bind_port.

The cases come from ``tests/vectors/neutron-sriov.json`` (a copy of the shared vectors,
preferred so the tests run from a clone). Every vector of the kinds handled here runs;
``test_every_kind_is_covered`` makes sure no kind is silently skipped.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sriovctl.openstack.neutron import agent_config, mappings, mech_driver, ml2, placement
from sriovctl.openstack.neutron.errors import NeutronError, ServiceTerminated

_HERE = Path(__file__).resolve().parent
_CANDIDATES = [
    _HERE.parent / "vectors" / "neutron-sriov.json",
    Path("/work/shared/vectors/neutron-sriov.json"),
]


def _load() -> list[dict]:
    for path in _CANDIDATES:
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))["vectors"]
    pytest.skip("neutron-sriov.json not found")
    return []


VECTORS = _load()
SERVER_KINDS = {
    "bind_port",
    "get_vif_details",
    "check_segment_for_agent",
    "responsible_for_ports_allocation",
    "supported_vnic_types",
    "get_standard_device_mappings",
    "get_allowed_network_types",
    "config_defaults",
    "parse_physical_device_mappings",
    "parse_exclude_devices",
    "agent_config_parse",
    "parse_mappings",
    "parse_rp_bandwidths",
    "parse_rp_inventory_defaults",
}


def _cases(kind: str) -> list:
    return [
        pytest.param(v, id=f"{v['id']}-{v['source']['test']}") for v in VECTORS if v["kind"] == kind
    ]


def _expect_error(vector: dict):
    # The vectors name neutron's exception; ours subclass ValueError where neutron's is one.
    name = vector["error"]
    return {"ValueError": ValueError, "SystemExit": ServiceTerminated}.get(name, NeutronError)


def _sets(mapping: dict) -> dict:
    return {key: set(value) for key, value in mapping.items()}


@pytest.mark.parametrize("v", _cases("bind_port"))
def test_bind_port(v):
    binding = mech_driver.bind_port(
        vnic_type=v["vnic_type"],
        profile=v["profile"],
        segments=v["segments"],
        agents=v["agents"],
        subnets=v["subnets_from_fixed_ips"],
    )
    assert binding.bound is (v["expected"] == "bound")
    if not binding.bound:
        assert binding.reason in mech_driver.NOT_BOUND_REASONS
        return
    if "bound_segment_id" in v:
        assert binding.segment.id == v["bound_segment_id"]
    if "vif_type" in v:
        assert binding.vif_type == v["vif_type"]
    for key, value in v.get("vif_details_subset", {}).items():
        assert binding.vif_details[key] == value
    if "vif_details_vlan_int" in v:
        assert binding.vif_details["vlan"] == str(v["vif_details_vlan_int"])
    if "bound_port_status" in v:
        assert binding.status == v["bound_port_status"]


@pytest.mark.parametrize("v", _cases("get_vif_details"))
def test_get_vif_details(v):
    assert mech_driver.get_vif_details({"id": "s", **v["segment"]})["vlan"] == v["expected_vlan"]


@pytest.mark.parametrize("v", _cases("check_segment_for_agent"))
def test_check_segment_for_agent(v):
    assert (
        mech_driver.check_segment_for_agent({"id": "s", **v["segment"]}, v["agent"])
        is v["expected"]
    )


def test_get_allowed_network_types():
    # Not in the shipped vectors; neutron's test expects exactly (flat, vlan).
    assert mech_driver.ALLOWED_NETWORK_TYPES == ("flat", "vlan")
    for v in (v for v in VECTORS if v["kind"] == "get_allowed_network_types"):
        assert list(mech_driver.ALLOWED_NETWORK_TYPES) == list(v["expected"])


@pytest.mark.parametrize("v", _cases("responsible_for_ports_allocation"))
def test_responsible_for_ports_allocation(v):
    host = v["agents"][0]["host"] if v["agents"] else "host"
    got = mech_driver.responsible_for_ports_allocation(
        host=host, profile=v["profile"], agents=v["agents"]
    )
    assert got is v["expected"]


@pytest.mark.parametrize("v", _cases("supported_vnic_types"))
def test_supported_vnic_types(v):
    if "error" in v:
        with pytest.raises(_expect_error(v)):
            ml2.supported_vnic_types(v["vnic_type_prohibit_list"])
        return
    got = ml2.supported_vnic_types(v["vnic_type_prohibit_list"])
    if "expected" in v:
        assert got == v["expected"]
    if "expected_not_contains" in v:
        assert v["expected_not_contains"] not in got
    if "expected_len" in v:
        assert len(got) == v["expected_len"]
    if "expected_derived" in v:
        assert got == v["expected_derived"]


@pytest.mark.parametrize("v", _cases("get_standard_device_mappings"))
def test_get_standard_device_mappings(v):
    if "error" in v:
        with pytest.raises(_expect_error(v)):
            mech_driver.get_standard_device_mappings(v["agent"])
    else:
        assert mech_driver.get_standard_device_mappings(v["agent"]) == v["expected"]


@pytest.mark.parametrize("v", _cases("config_defaults"))
def test_config_defaults(v):
    for dotted, value in v["expected"].items():
        group, option = dotted.split(".")
        default = agent_config.AGENT_DEFAULTS[f"{group.lower()}.{option}"]
        assert (list(default) if isinstance(default, tuple) else default) == value


@pytest.mark.parametrize("v", _cases("parse_physical_device_mappings"))
def test_parse_physical_device_mappings(v):
    if "error" in v:
        with pytest.raises(_expect_error(v)):
            mappings.parse_physical_device_mappings(v["input"])
    else:
        assert mappings.parse_physical_device_mappings(v["input"]) == v["expected"]


@pytest.mark.parametrize("v", _cases("parse_exclude_devices"))
def test_parse_exclude_devices(v):
    if "error" in v:
        with pytest.raises(_expect_error(v)):
            mappings.parse_exclude_devices(v["input"])
    else:
        assert mappings.parse_exclude_devices(v["input"]) == _sets(v["expected"])


@pytest.mark.parametrize("v", _cases("agent_config_parse"))
def test_agent_config_parse(v):
    kwargs = {
        "physical_device_mappings": v.get("physical_device_mappings"),
        "exclude_devices": v.get("exclude_devices"),
        "resource_provider_bandwidths": v.get("resource_provider_bandwidths"),
        "default_hypervisor": "hv",
    }
    if "error" in v:
        with pytest.raises(_expect_error(v)):
            agent_config.parse_agent_config(**kwargs)
        return
    parsed = agent_config.parse_agent_config(**kwargs)
    assert parsed.device_mappings == v["expected"]["device_mappings"]
    assert _sets(parsed.exclude_devices) == _sets(v["expected"]["exclude_devices"])


@pytest.mark.parametrize("v", _cases("parse_mappings"))
def test_parse_mappings(v):
    if "error" in v:
        with pytest.raises(_expect_error(v)):
            mappings.parse_mappings(v["input"], **v["params"])
    else:
        assert mappings.parse_mappings(v["input"], **v["params"]) == v["expected"]


@pytest.mark.parametrize("v", _cases("parse_rp_bandwidths"))
def test_parse_rp_bandwidths(v):
    if "error" in v:
        with pytest.raises(_expect_error(v)):
            placement.parse_rp_bandwidths(v["input"])
    else:
        assert placement.parse_rp_bandwidths(v["input"]) == v["expected"]


@pytest.mark.parametrize("v", _cases("parse_rp_inventory_defaults"))
def test_parse_rp_inventory_defaults(v):
    if "error" in v:
        with pytest.raises(_expect_error(v)):
            placement.parse_rp_inventory_defaults(v["input"])
    else:
        got = placement.parse_rp_inventory_defaults(v["input"])
        assert got == v["expected"]
        assert [type(x) for x in got.values()] == [type(x) for x in v["expected"].values()]


def test_every_kind_is_covered():
    # The sibling test module by path: pytest runs with --import-mode=importlib (test
    # basenames repeat across folders), so test modules are not importable by name.
    import importlib.util
    from pathlib import Path

    path = Path(__file__).with_name("test_neutron_vectors_agent.py")
    spec = importlib.util.spec_from_file_location("_neutron_agent_vectors", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    AGENT_KINDS = module.AGENT_KINDS  # noqa: N806

    kinds = {v["kind"] for v in VECTORS}
    assert kinds <= SERVER_KINDS | AGENT_KINDS, sorted(kinds - SERVER_KINDS - AGENT_KINDS)
