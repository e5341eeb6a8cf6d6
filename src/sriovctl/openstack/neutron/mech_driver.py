"""The ML2 ``sriovnicswitch`` mechanism driver's decisions, as pure functions.

:func:`bind_port` follows neutron's ``SriovNicSwitchMechanismDriver.bind_port`` step by
step (same order, same tie-breaks) over plain data, and when it does not bind it says
why in a machine-readable ``reason``. Neutron itself only logs at debug level and
leaves the port to the next driver, which is what makes ``binding_failed`` so hard to
diagnose.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Optional, Union

from sriovctl.openstack.neutron.errors import NeutronError, SriovUnsupportedNetworkType
from sriovctl.openstack.neutron.ml2 import NIC_SWITCH_AGENT, supported_vnic_types
from sriovctl.openstack.neutron.model import Agent, Segment
from sriovctl.openstack.neutron.options import ListValue
from sriovctl.openstack.neutron.placement import (
    responsible_for_ports_allocation as responsible_for_ports_allocation,  # the driver's method
)

ALLOWED_NETWORK_TYPES = ("flat", "vlan")
VIF_TYPE_HW_VEB = "hw_veb"
VIF_TYPE_HOSTDEV_PHY = "hostdev_physical"
PORT_STATUS_DOWN = "DOWN"
PORT_STATUS_ACTIVE = "ACTIVE"

#: Why :func:`bind_port` did not bind; stable strings for scripts and the lint.
NOT_BOUND_REASONS = MappingProxyType(
    {
        "switchdev_direct": "a direct port with the switchdev capability is for OVS hw offload",
        "vnic_type_prohibited": "the vnic type is in [sriov_driver] vnic_type_prohibit_list",
        "vnic_type_unsupported": "sriovnicswitch does not bind this vnic type",
        "no_segment": "no segment left to bind (none given, or the port's subnets exclude them)",
        "segment_type_unsupported": "no flat or vlan segment; SR-IOV cannot bind vxlan/gre/geneve",
        "no_agent": "no NIC Switch agent is registered on the host",
        "agent_dead": "the host's NIC Switch agents are all dead",
        "physnet_not_mapped": "no alive agent maps the segment's physical_network",
    }
)


@dataclass(frozen=True)
class Binding:
    """What :func:`bind_port` decided. ``reason`` is one of :data:`NOT_BOUND_REASONS`."""

    bound: bool
    vif_type: Optional[str] = None
    vif_details: Optional[Mapping[str, Any]] = None
    segment: Optional[Segment] = None
    status: Optional[str] = None
    agent: Optional[Agent] = None
    reason: Optional[str] = None
    detail: str = ""


def vif_type_for(vnic_type: str) -> str:
    """``hostdev_physical`` for a whole PF, ``hw_veb`` for everything else."""
    return VIF_TYPE_HOSTDEV_PHY if vnic_type == "direct-physical" else VIF_TYPE_HW_VEB


def get_vif_details(segment: Union[Segment, Mapping[str, Any]]) -> dict[str, Any]:
    """vif_details of a successful binding; ``vlan`` is a string, ``"0"`` for flat.

    There is no ``physical_network`` key: nova never learns the physnet from here.
    """
    seg = Segment.of(segment)
    if seg.network_type == "flat":
        vlan: object = 0
    elif seg.network_type == "vlan":
        vlan = seg.segmentation_id
    else:
        raise SriovUnsupportedNetworkType(
            f"Unsupported network type {seg.network_type}.",
            fix="SR-IOV ports need a flat or vlan segment",
        )
    return {"port_filter": False, "connectivity": "l2", "vlan": str(vlan)}


def check_segment_for_agent(
    segment: Union[Segment, Mapping[str, Any]], agent: Union[Agent, Mapping[str, Any], None] = None
) -> bool:
    """Flat/vlan segment whose physnet the (NIC Switch) agent maps; type only without agent."""
    seg = Segment.of(segment)
    if agent is not None and Agent.of(agent).agent_type != NIC_SWITCH_AGENT:
        return False
    if seg.network_type not in ALLOWED_NETWORK_TYPES:
        return False
    if agent is None:
        return True
    # Membership on the mapping's keys; neutron's own tests pass a list, which works too.
    return seg.physical_network in Agent.of(agent).device_mappings


def get_standard_device_mappings(agent: Union[Agent, Mapping[str, Any]]) -> Mapping[str, Any]:
    """``configurations.device_mappings``; an agent that reports none is an error.

    (neutron passes the agent type as a second ValueError argument instead of
    formatting it into the message; we format it.)
    """
    a = Agent.of(agent)
    if "device_mappings" in a.configurations:
        return a.configurations["device_mappings"]
    raise NeutronError(
        f"Cannot standardize device mappings of agent type: {a.agent_type}",
        fix="this agent reports no device_mappings; is it an SR-IOV agent?",
    )


def _candidate_segments(
    segments: Sequence[Segment], subnets: Sequence[Mapping[str, Any]]
) -> list[Segment]:
    # With fixed IPs on subnets, keep a segment once per subnet that is unrouted
    # (segment_id None) or on that segment: duplicates are harmless, order is neutron's.
    if not subnets:
        return list(segments)
    return [
        seg
        for seg in segments
        for subnet in subnets
        if subnet.get("segment_id") is None or subnet.get("segment_id") == seg.id
    ]


def _bound(vnic_type: str, segment: Segment, status: str, agent: Optional[Agent]) -> Binding:
    return Binding(
        bound=True,
        vif_type=vif_type_for(vnic_type),
        vif_details=get_vif_details(segment),
        segment=segment,
        status=status,
        agent=agent,
    )


def _not_bound(reason: str, detail: str = "") -> Binding:
    return Binding(bound=False, reason=reason, detail=detail or NOT_BOUND_REASONS[reason])


def bind_port(
    *,
    vnic_type: Optional[str] = "normal",
    profile: Optional[Mapping[str, Any]] = None,
    segments: Iterable[Union[Segment, Mapping[str, Any]]] = (),
    agents: Iterable[Union[Agent, Mapping[str, Any]]] = (),
    subnets: Sequence[Mapping[str, Any]] = (),
    vnic_type_prohibit_list: ListValue = None,
) -> Binding:
    """Decide sriovnicswitch's binding of one port on one host.

    ``segments`` are ML2's ``segments_to_bind`` in order; ``agents`` the host's agents
    (other agent types are ignored, as ``host_agents('NIC Switch agent')`` does);
    ``subnets`` the subnets of the port's fixed IPs (each with its ``segment_id``).
    A bad ``vnic_type_prohibit_list`` raises, as neutron-server would fail to start.
    """
    vnic = vnic_type or "normal"
    supported = supported_vnic_types(vnic_type_prohibit_list)
    capabilities = (profile or {}).get("capabilities") or []
    if vnic == "direct" and "switchdev" in capabilities:
        return _not_bound("switchdev_direct")
    if vnic not in supported:
        if vnic in supported_vnic_types():
            return _not_bound(
                "vnic_type_prohibited", f"vnic type {vnic} is prohibited by configuration"
            )
        return _not_bound("vnic_type_unsupported", f"sriovnicswitch does not bind vnic type {vnic}")

    candidates = _candidate_segments([Segment.of(s) for s in segments], subnets)
    if not candidates:
        return _not_bound("no_segment")
    if not any(check_segment_for_agent(seg) for seg in candidates):
        types = ", ".join(sorted({seg.network_type for seg in candidates}))
        return _not_bound(
            "segment_type_unsupported", f"segment types {types}: SR-IOV binds only flat and vlan"
        )

    if vnic == "direct-physical":
        # A whole PF: no agent tracks it, so only the segment type is checked.
        segment = next(seg for seg in candidates if check_segment_for_agent(seg))
        return _bound(vnic, segment, PORT_STATUS_ACTIVE, None)

    host_agents = [a for a in (Agent.of(x) for x in agents) if a.agent_type == NIC_SWITCH_AGENT]
    if not host_agents:
        return _not_bound("no_agent")
    alive = [a for a in host_agents if a.alive]
    if not alive:
        return _not_bound(
            "agent_dead", f"{len(host_agents)} NIC Switch agent(s) on the host, none alive"
        )
    for agent in alive:
        for segment in candidates:
            if check_segment_for_agent(segment, agent):
                return _bound(vnic, segment, PORT_STATUS_DOWN, agent)
    wanted = sorted(
        {str(s.physical_network) for s in candidates if s.network_type in ALLOWED_NETWORK_TYPES}
    )
    mapped = sorted({str(p) for a in alive for p in a.device_mappings})
    return _not_bound(
        "physnet_not_mapped",
        f"segments need physnet {', '.join(wanted)}; "
        f"alive agents map {', '.join(mapped) or 'nothing'}",
    )
