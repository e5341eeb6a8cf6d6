"""neutron's option parsers: exact wording on the rules operators trip on, plus fuzzing.

The fuzz tests state the contract: any input gives a parsed value or the declared
error (``NeutronError``, an InputError and a ValueError), never another exception.
``list_value``/``dict_value`` are also checked against oslo.config's own types.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sriovctl.errors import InputError
from sriovctl.openstack.neutron import agent_config, mappings, ml2, options, placement
from sriovctl.openstack.neutron.errors import (
    NetworkVlanRangeError,
    NeutronError,
    PhysicalNetworkNameError,
    ServiceTerminated,
)

pieces = st.sampled_from(list("ab:;, .-_019*\t") + ["4094", "4095", "-1", "1_0", "physnet", "ä"])
text = st.lists(pieces, max_size=30).map("".join)
items = st.lists(text, max_size=6)
raw_or_list = st.one_of(text, items)


def test_physical_device_mappings_several_pfs_per_physnet_and_duplicates():
    got = mappings.parse_physical_device_mappings(
        "physnet1:eth3, physnet1:eth4,physnet1:eth3,physnet2:eth5,"
    )
    assert got == {"physnet1": ["eth3", "eth4"], "physnet2": ["eth5"]}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("physnet2", "Invalid mapping: 'physnet2'"),
        ("physnet2:eth3:x", "Invalid mapping: 'physnet2:eth3:x'"),
        (":eth3", "Missing key in mapping: ':eth3'"),
        ("physnet2: ", "Missing value in mapping: 'physnet2:'"),
    ],
)
def test_physical_device_mappings_errors(raw, message):
    with pytest.raises(NeutronError) as e:
        mappings.parse_physical_device_mappings(raw)
    assert e.value.message == message
    assert isinstance(e.value, InputError) and isinstance(e.value, ValueError) and e.value.fix


def test_unique_mappings_errors():
    with pytest.raises(NeutronError, match=r"^Key a in mapping: 'a:2' not unique$"):
        mappings.parse_mappings("a:1,a:2")
    with pytest.raises(NeutronError, match=r"^Value 1 in mapping: 'b:1' not unique$"):
        mappings.parse_mappings("a:1,b:1")


def test_exclude_devices_rules():
    assert mappings.parse_exclude_devices("eth1:0000:07:00.2;0000:07:00.3, eth2:") == {
        "eth1": {"0000:07:00.2", "0000:07:00.3"},
        "eth2": set(),
    }
    assert mappings.parse_exclude_devices("") == {}
    with pytest.raises(NeutronError, match="^Invalid mapping: ''$"):
        mappings.parse_exclude_devices("eth1:0000:07:00.2,,eth2:0000:05:00.1")
    with pytest.raises(
        NeutronError, match="^Device eth1 in mapping: eth1:0000:07:00.3 not unique$"
    ):
        mappings.parse_exclude_devices("eth1:0000:07:00.2,eth1:0000:07:00.3")


_RANGE = "Invalid network VLAN range: "


@pytest.mark.parametrize(
    ("raw", "error", "message"),
    [
        ("physnet1:1:4095", NetworkVlanRangeError, "'1:4095' - '4095 is not a valid VLAN tag'."),
        ("physnet1:0:10", NetworkVlanRangeError, "'0:10' - '0 is not a valid VLAN tag'."),
        (
            "physnet1:20:10",
            NetworkVlanRangeError,
            "'20:10' - 'End of VLAN range is less than start of VLAN range'.",
        ),
        (
            "physnet1:10",
            NetworkVlanRangeError,
            "'physnet1:10' - 'Need exactly two values for VLAN range'.",
        ),
        ("physnet1:a:10", NetworkVlanRangeError, "'physnet1:a:10' - 'a is not a valid VLAN tag'."),
        (":1:10", PhysicalNetworkNameError, "Empty physical network name."),
    ],
)
def test_network_vlan_ranges_errors(raw, error, message):
    with pytest.raises(error) as e:
        ml2.parse_network_vlan_ranges(raw)
    expected = message if error is PhysicalNetworkNameError else _RANGE + message
    assert e.value.message == expected


def test_network_vlan_ranges_values():
    got = ml2.parse_network_vlan_ranges(
        "physnet1:100:199, physnet1:300:399, physnet2, physnet2:5:6, physnet3 : 7:8"
    )
    assert got == {
        "physnet1": [(100, 199), (300, 399)],
        "physnet2": [(1, 4094)],
        "physnet3 ": [(7, 8)],
    }
    assert ml2.parse_network_vlan_ranges(None) == {}
    assert ml2.vlan_network_allowed(got, "physnet2", 4094)
    assert not ml2.vlan_network_allowed(got, "physnet2", 4095)
    assert not ml2.vlan_network_allowed(got, "physnet9")


def test_flat_networks():
    assert ml2.parse_flat_networks(None) is None  # default '*': any physnet
    assert ml2.parse_flat_networks("physnet1, *") is None
    assert ml2.parse_flat_networks("") == ()
    assert ml2.parse_flat_networks("physnet1,physnet2") == ("physnet1", "physnet2")
    assert ml2.flat_network_allowed(None, "anything")
    assert not ml2.flat_network_allowed((), "physnet1")
    assert not ml2.flat_network_allowed(("physnet1",), "physnet2")


def test_project_network_types_need_type_drivers():
    ml2.check_project_network_types("vlan", "flat,vlan")
    ml2.check_project_network_types(None, None)  # defaults: local is a default type driver
    with pytest.raises(ServiceTerminated, match="No type driver for project network_type: vxlan"):
        ml2.check_project_network_types("vxlan", "flat,vlan")


def test_vnic_type_prohibit_list():
    assert ml2.supported_vnic_types("macvtap, direct-physical") == ["direct", "accelerator-direct"]
    assert ml2.supported_vnic_types("accelerator-direct") == [
        "direct",
        "macvtap",
        "direct-physical",
    ]
    with pytest.raises(
        NeutronError, match="^All possible vnic_types were prohibited for NIC Switch agent"
    ):
        ml2.supported_vnic_types("direct,macvtap,direct-physical,accelerator-direct")
    with pytest.raises(NeutronError, match="The valid values are: \\['direct', 'macvtap'"):
        ml2.supported_vnic_types("direct,normal")


def test_rp_options():
    assert placement.parse_rp_bandwidths("eth3:10000:10000,eth4::5000,eth5") == {
        "eth3": {"egress": 10000, "ingress": 10000},
        "eth4": {"egress": None, "ingress": 5000},
        "eth5": {"egress": None, "ingress": None},
    }
    with pytest.raises(NeutronError, match="Same resource name listed multiple times"):
        placement.parse_rp_bandwidths("eth3:1:1,eth3:2:2")
    with pytest.raises(NeutronError, match="Expected a tuple with 3 values, got: eth3:1"):
        placement.parse_rp_bandwidths("eth3:1")
    assert placement.parse_rp_inventory_defaults(None) == placement.DEFAULT_INVENTORY
    assert placement.parse_rp_inventory_defaults("allocation_ratio:2.5, reserved:1") == {
        "allocation_ratio": 2.5,
        "reserved": 1,
    }
    with pytest.raises(
        NeutronError, match="inventory_defaults.min_unit. Expected: non-negative int, got: 1.5"
    ):
        placement.parse_rp_inventory_defaults("min_unit:1.5")
    hv = placement.default_rp_hypervisors(
        "eth3:hv-a,eth9:hv-z", {"p": ["eth3", "eth4"]}, "compute1"
    )
    assert hv == {"eth3": "hv-a", "eth4": "compute1"}
    # The stable RP uuid of a PF, as in neutron's test.
    assert (
        str(placement.device_resource_provider_uuid("host", "eth0"))
        == "5762cf50-781b-5f01-8ebc-0cce8c9e74cd"
    )


def test_agent_config_cross_checks():
    cfg = agent_config.parse_agent_config(
        "physnet2:eth3",
        "eth3:0000:07:00.2",
        "eth3:1000:1000",
        "min_unit:2",
        "eth3:hv",
        "default-hv",
    )
    assert cfg.devices == {"eth3"} and cfg.rp_hypervisors == {"eth3": "hv"}
    with pytest.raises(NeutronError, match="Device name eth9 is missing from device mappings"):
        agent_config.parse_agent_config("physnet2:eth3", None, "eth9:1:1")


def test_l2_extension_problems():
    assert agent_config.l2_extension_problems("qos", "sriov") == ()
    (fdb,) = agent_config.l2_extension_problems("fdb", "sriov")
    assert fdb.fatal and fdb.message.startswith("FDB extension is only supported for OVS agent")
    (typo,) = agent_config.l2_extension_problems("qso", "sriov")
    assert not typo.fatal and typo.message == "Could not load qso"
    assert agent_config.l2_extension_problems("fdb", "ovs") == ()


def _contract(parse, value):
    try:
        parse(value)
    except NeutronError as e:
        assert e.message and isinstance(e, ValueError)


@settings(max_examples=400, deadline=None)
@given(raw_or_list)
def test_fuzz_parsers_raise_only_the_declared_error(value):
    for parse in (
        mappings.parse_mappings,
        mappings.parse_physical_device_mappings,
        mappings.parse_exclude_devices,
        ml2.parse_network_vlan_ranges,
        ml2.parse_flat_networks,
        ml2.supported_vnic_types,
        placement.parse_rp_bandwidths,
        lambda v: placement.parse_rp_inventory_defaults(v if isinstance(v, str) else ",".join(v)),
        lambda v: ml2.check_project_network_types(v, "flat,vlan,vxlan"),
        lambda v: agent_config.parse_agent_config(v, v, v),
    ):
        _contract(parse, value)


@settings(max_examples=400, deadline=None)
@given(text)
def test_list_and_dict_values_match_oslo_config(value):
    from oslo_config import types

    assert options.list_value(value) == types.List()(value)
    try:
        expected = types.Dict()(value)
    except ValueError as e:
        with pytest.raises(NeutronError) as ours:
            options.dict_value(value)
        assert ours.value.message == str(e)
    else:
        assert options.dict_value(value) == expected


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["p1", "p2", "p3"]), st.sampled_from(["e1", "e2", "e3"])),
        max_size=8,
    )
)
def test_physical_device_mappings_keep_first_seen_order(pairs):
    got = mappings.parse_physical_device_mappings([f"{p}:{e}" for p, e in pairs])
    for physnet, devices in got.items():
        assert devices == list(dict.fromkeys(e for p, e in pairs if p == physnet))
