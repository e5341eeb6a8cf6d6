"""sriovnicswitch bind_port: the reasons it gives when it does not bind, and the edge cases.

(The bound/unbound decision itself was also compared with neutron 29.0.0's driver on
4000 random ports outside this suite; the vectors pin neutron's own test cases.)
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sriovctl.openstack.neutron import bind_port, mech_driver
from sriovctl.openstack.neutron.errors import NeutronError, SriovUnsupportedNetworkType

VLAN = {
    "id": "seg-vlan",
    "network_type": "vlan",
    "physical_network": "physnet2",
    "segmentation_id": 1000,
}
FLAT = {"id": "seg-flat", "network_type": "flat", "physical_network": "physnet1"}
VXLAN = {"id": "seg-vxlan", "network_type": "vxlan", "segmentation_id": 42}
AGENT = {"agent_type": "NIC Switch agent", "alive": True, "host": "cmp1",
         "configurations": {"device_mappings": {"physnet2": ["eth3"]}}}  # fmt: skip


def test_bound_direct_vlan_like_the_lab():
    b = bind_port(vnic_type="direct", segments=[VLAN], agents=[AGENT])
    assert b.bound and b.reason is None
    assert b.vif_type == "hw_veb" and b.status == "DOWN" and b.agent.host == "cmp1"
    assert dict(b.vif_details) == {"port_filter": False, "connectivity": "l2", "vlan": "1000"}
    assert "physical_network" not in b.vif_details


def test_flat_gives_vlan_zero_and_direct_physical_needs_no_agent():
    agent = {**AGENT, "configurations": {"device_mappings": {"physnet1": ["eth1"]}}}
    assert (
        bind_port(vnic_type="macvtap", segments=[FLAT], agents=[agent]).vif_details["vlan"] == "0"
    )
    b = bind_port(vnic_type="direct-physical", segments=[VXLAN, FLAT], agents=[])
    assert (b.vif_type, b.status, b.segment.id) == ("hostdev_physical", "ACTIVE", "seg-flat")


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"vnic_type": "direct", "profile": {"capabilities": ["switchdev"]}}, "switchdev_direct"),
        ({"vnic_type": "normal"}, "vnic_type_unsupported"),
        ({"vnic_type": "vdpa"}, "vnic_type_unsupported"),
        ({"vnic_type": "macvtap", "vnic_type_prohibit_list": "macvtap"}, "vnic_type_prohibited"),
        ({"vnic_type": "direct", "segments": []}, "no_segment"),
        ({"vnic_type": "direct", "subnets": [{"segment_id": "elsewhere"}]}, "no_segment"),
        ({"vnic_type": "direct", "segments": [VXLAN]}, "segment_type_unsupported"),
        ({"vnic_type": "direct-physical", "segments": [VXLAN]}, "segment_type_unsupported"),
        ({"vnic_type": "direct", "agents": []}, "no_agent"),
        (
            {"vnic_type": "direct", "agents": [{**AGENT, "agent_type": "Open vSwitch agent"}]},
            "no_agent",
        ),
        ({"vnic_type": "direct", "agents": [{**AGENT, "alive": False}]}, "agent_dead"),
        (
            {"vnic_type": "direct", "agents": [{**AGENT, "configurations": {}}]},
            "physnet_not_mapped",
        ),
    ],
)
def test_not_bound_reasons(kwargs, reason):
    args = {"segments": [VLAN], "agents": [AGENT], **kwargs}
    b = bind_port(**args)
    assert not b.bound and b.reason == reason and b.detail
    assert b.vif_type is None and b.segment is None


def test_switchdev_only_refuses_direct():
    b = bind_port(
        vnic_type="macvtap",
        profile={"capabilities": ["switchdev"]},
        segments=[VLAN],
        agents=[AGENT],
    )
    assert b.bound


def test_dead_agent_is_skipped_and_first_alive_match_wins():
    dead = {**AGENT, "alive": False, "host": "dead"}
    other = {**AGENT, "host": "second"}
    b = bind_port(vnic_type="direct", segments=[VXLAN, VLAN], agents=[dead, AGENT, other])
    assert b.agent.host == "cmp1" and b.segment.id == "seg-vlan"


def test_physnet_not_mapped_detail_names_both_sides():
    b = bind_port(
        vnic_type="direct", segments=[{**VLAN, "physical_network": "sriovnet1"}], agents=[AGENT]
    )
    assert b.detail == "segments need physnet sriovnet1; alive agents map physnet2"


def test_routed_network_subnet_selects_segment():
    seg2 = {**VLAN, "id": "seg-2", "segmentation_id": 2000}
    b = bind_port(
        vnic_type="direct", segments=[VLAN, seg2], agents=[AGENT], subnets=[{"segment_id": "seg-2"}]
    )
    assert b.segment.id == "seg-2" and b.vif_details["vlan"] == "2000"


def test_bad_prohibit_list_raises_like_a_failed_driver_load():
    with pytest.raises(NeutronError):
        bind_port(
            vnic_type="direct", segments=[VLAN], agents=[AGENT], vnic_type_prohibit_list="bogus"
        )


def test_helpers():
    with pytest.raises(SriovUnsupportedNetworkType, match=r"^Unsupported network type vxlan\.$"):
        mech_driver.get_vif_details(VXLAN)
    assert mech_driver.check_segment_for_agent(VLAN, None)
    assert not mech_driver.check_segment_for_agent(
        VLAN, {**AGENT, "agent_type": "Open vSwitch agent"}
    )
    assert mech_driver.vif_type_for("accelerator-direct") == "hw_veb"


def test_responsible_for_ports_allocation():
    agent = {
        **AGENT,
        "host": "host",
        "configurations": {"resource_provider_bandwidths": {"eth0": {}}},
    }
    rp = "5762cf50-781b-5f01-8ebc-0cce8c9e74cd"  # uuid5(ns, "host:eth0")
    assert mech_driver.responsible_for_ports_allocation(
        host="host", profile={"allocation": {"g": rp}}, agents=[agent]
    )
    twice = [agent, {**agent, "id": "other"}]
    assert not mech_driver.responsible_for_ports_allocation(
        host="host", profile={"allocation": {"g": rp}}, agents=twice
    )
    other_host = {**agent, "host": "elsewhere"}
    assert not mech_driver.responsible_for_ports_allocation(
        host="host", profile={"allocation": {"g": rp}}, agents=[other_host]
    )


segment = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["a", "b"]),
        "network_type": st.sampled_from(["flat", "vlan", "vxlan", "geneve", ""]),
        "physical_network": st.sampled_from(["physnet1", "physnet2", None]),
        "segmentation_id": st.sampled_from([None, 1, 4094]),
    }
)
agent = st.fixed_dictionaries(
    {
        "agent_type": st.sampled_from(["NIC Switch agent", "Open vSwitch agent"]),
        "alive": st.booleans(),
        "configurations": st.dictionaries(
            st.just("device_mappings"),
            st.dictionaries(st.sampled_from(["physnet1", "physnet2"]), st.just(["e"])),
        ),
    }
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(
        ["normal", "direct", "macvtap", "direct-physical", "accelerator-direct", "baremetal", None]
    ),
    st.lists(segment, max_size=3),
    st.lists(agent, max_size=3),
    st.lists(
        st.fixed_dictionaries({"segment_id": st.sampled_from([None, "a", "b", "c"])}), max_size=2
    ),
)
def test_fuzz_bind_port_always_decides(vnic, segments, agents, subnets):
    b = bind_port(vnic_type=vnic, segments=segments, agents=agents, subnets=subnets)
    if b.bound:
        assert b.vif_type in ("hw_veb", "hostdev_physical") and b.segment.network_type in (
            "flat",
            "vlan",
        )
        assert b.reason is None
    else:
        assert b.reason in mech_driver.NOT_BOUND_REASONS
