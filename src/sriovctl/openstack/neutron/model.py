"""The plain records ML2 hands a mechanism driver: a network segment and an agent row."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional, Union

from sriovctl.openstack.neutron.ml2 import NIC_SWITCH_AGENT


@dataclass(frozen=True)
class Segment:
    """One network segment as ML2 hands it to a mechanism driver."""

    id: str
    network_type: str
    physical_network: Optional[str] = None
    segmentation_id: Optional[int] = None
    network_id: Optional[str] = None

    @classmethod
    def of(cls, value: Union[Segment, Mapping[str, Any]]) -> Segment:
        if isinstance(value, Segment):
            return value
        return cls(
            id=value.get("id", ""),
            network_type=value.get("network_type", ""),
            physical_network=value.get("physical_network"),
            segmentation_id=value.get("segmentation_id"),
            network_id=value.get("network_id"),
        )


@dataclass(frozen=True)
class Agent:
    """One row of ``openstack network agent list`` as the driver sees it."""

    agent_type: str = NIC_SWITCH_AGENT
    alive: bool = True
    host: str = ""
    admin_state_up: bool = True
    configurations: Mapping[str, Any] = field(default_factory=dict)
    id: Optional[str] = None

    @classmethod
    def of(cls, value: Union[Agent, Mapping[str, Any]]) -> Agent:
        if isinstance(value, Agent):
            return value
        return cls(
            agent_type=value.get("agent_type", NIC_SWITCH_AGENT),
            alive=bool(value.get("alive", True)),
            host=value.get("host", ""),
            admin_state_up=bool(value.get("admin_state_up", True)),
            configurations=dict(value.get("configurations") or {}),
            id=value.get("id"),
        )

    @property
    def device_mappings(self) -> Mapping[str, Any]:
        """``configurations.device_mappings`` (``{}`` when the agent reports none)."""
        return self.configurations.get("device_mappings", {})
