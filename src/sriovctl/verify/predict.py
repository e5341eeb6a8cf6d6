"""What the twin predicts for one port binding, what neutron answered, and whether they agree.

The prediction is :func:`sriovctl.openstack.neutron.bind_port` (the sriovnicswitch driver,
the same function the twin's neutron model binds with) fed with what the live API shows:
the network's segments, the host's agent rows, the subnets of the port's fixed IPs. One
neutron-server rule outside the driver is added here because real neutron showed it: with
the ``segments`` service plugin, a port whose fixed IP is on a subnet *on a segment*
(a routed network) can only be bound to a host mapped to that segment, else the update is
refused with 409 (``HostNotConnectedToAnySegment`` or ``HostNotCompatibleWithFixedIps``)
before any driver is asked. The segment to host mapping is built from agent rows, alive or
dead, by the driver's own check, as the segments plugin does when a segment is created.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from sriovctl.openstack.neutron import Agent, Segment, bind_port, check_segment_for_agent

#: vif_details keys the driver decides; ``bound_drivers`` is ML2's record of who bound.
COMPARED_DETAILS = ("port_filter", "connectivity", "vlan")
HOST_NOT_COMPATIBLE = "HostNotCompatibleWithFixedIps"
HOST_NOT_CONNECTED = "HostNotConnectedToAnySegment"


@dataclass(frozen=True)
class Outcome:
    """A binding result in the terms both sides share.

    ``bound`` False with ``error`` set means the API refused the update (no binding at all);
    ``bound`` False without it is ``binding_failed``.
    """

    bound: bool
    vif_type: str
    vif_details: Mapping[str, Any] = field(default_factory=dict)
    error: Optional[str] = None
    reason: Optional[str] = None  # the model's NOT_BOUND_REASONS key, predictions only

    def key(self) -> tuple:
        details = tuple((k, str(self.vif_details.get(k))) for k in COMPARED_DETAILS
                        if k in self.vif_details)
        return (self.bound, self.vif_type, details, self.error)

    def text(self) -> str:
        if self.error:
            return f"refused: {self.error}"
        if not self.bound:
            return f"{self.vif_type}" + (f" ({self.reason})" if self.reason else "")
        vlan = self.vif_details.get("vlan")
        return f"{self.vif_type} vlan={vlan}"

    def to_dict(self) -> dict[str, Any]:
        return {"bound": self.bound, "vif_type": self.vif_type,
                "vif_details": dict(self.vif_details), "error": self.error,
                "reason": self.reason}


def agrees(predicted: Outcome, observed: Outcome) -> bool:
    """Same bound-or-not, vif_type, the driver's vif_details and refusal."""
    return predicted.key() == observed.key()


def observed(port: Mapping[str, Any], error: Optional[str] = None) -> Outcome:
    """The outcome of a port as the API returns it (``binding:*`` keys or the SDK's names)."""
    if error:
        return Outcome(False, "unbound", {}, error)
    vif_type = port.get("binding:vif_type", port.get("binding_vif_type")) or "unbound"
    details = port.get("binding:vif_details", port.get("binding_vif_details")) or {}
    bound = vif_type not in ("unbound", "binding_failed")
    return Outcome(bound, vif_type, dict(details) if bound else {})


def segment_host_map(segments: Sequence[Segment], agents: Iterable[Agent]) -> dict[str, set]:
    """segment id -> hosts, as the segments plugin records it from agent rows."""
    mapping: dict[str, set] = {s.id: set() for s in segments}
    rows = list(agents)
    for seg in segments:
        if not seg.physical_network:
            continue
        for agent in rows:
            if check_segment_for_agent(seg, agent):
                mapping[seg.id].add(agent.host)
    return mapping


def routed_refusal(
    segments: Sequence[Segment], agents: Sequence[Agent], host: str,
    port_subnets: Sequence[Mapping[str, Any]], network_subnets: Sequence[Mapping[str, Any]],
) -> Optional[str]:
    """The 409 neutron answers before binding a routed port to ``host``, or None.

    Subnets the host can use are those on segments mapped to it. None at all on a network
    whose subnets sit on segments: ``HostNotConnectedToAnySegment``; some, but not the one
    the port's address is on: ``HostNotCompatibleWithFixedIps`` (neutron's IPAM, checked
    only when the port already has addresses).
    """
    if not any(s.get("segment_id") for s in port_subnets):
        return None
    hosts_of = segment_host_map(segments, agents)
    usable = {s["id"] for s in network_subnets
              if s.get("segment_id") and host in hosts_of.get(s["segment_id"], set())}
    if not usable:
        return HOST_NOT_CONNECTED
    if any(s["id"] not in usable for s in port_subnets):
        return HOST_NOT_COMPATIBLE
    return None


def predict(
    *,
    vnic_type: str,
    profile: Mapping[str, Any],
    segments: Sequence[Segment | Mapping[str, Any]],
    host: str,
    agents: Iterable[Agent | Mapping[str, Any]],
    subnets: Sequence[Mapping[str, Any]] = (),
    prohibit_list: Optional[Sequence[str]] = None,
    network_subnets: Sequence[Mapping[str, Any]] = (),
) -> Outcome:
    """The twin's answer to binding one port on ``host``.

    ``agents`` are all agent rows of the cloud (the routed-network rule needs them all);
    ``subnets`` the subnets of the port's fixed IPs, each with ``id`` and ``segment_id``;
    ``network_subnets`` all the network's subnets (default: ``subnets``).
    """
    segs = [Segment.of(s) for s in segments]
    rows = [Agent.of(a) for a in agents]
    refusal = routed_refusal(segs, rows, host, subnets, network_subnets or subnets)
    if refusal:
        return Outcome(False, "unbound", {}, refusal, "routed network: host not on the segment")
    binding = bind_port(
        vnic_type=vnic_type, profile=profile, segments=segs,
        agents=[a for a in rows if a.host == host], subnets=list(subnets),
        vnic_type_prohibit_list=list(prohibit_list or []),
    )
    if not binding.bound:
        return Outcome(False, "binding_failed", {}, None, binding.reason)
    return Outcome(True, binding.vif_type or "", dict(binding.vif_details or {}))
