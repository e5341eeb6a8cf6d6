"""The NIC Switch agents neutron-server knows: one per host whose sriov_agent.ini is given.

Each row carries what the agent reports in its heartbeat (``configurations``, built by
:func:`sriovctl.openstack.neutron.report_state_configurations`) and whether it is alive;
:meth:`AgentRow.as_agent` is what ``bind_port`` is handed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sriovctl.openstack.neutron import Agent
from sriovctl.twin.ids import Ids

NIC_SWITCH_AGENT = "NIC Switch agent"


@dataclass
class AgentRow:
    id: str
    host: str
    alive: bool
    configurations: dict[str, Any]
    admin_state_up: bool = True
    agent_type: str = NIC_SWITCH_AGENT
    binary: str = "neutron-sriov-nic-agent"

    def as_agent(self) -> Agent:
        return Agent(
            self.agent_type,
            self.alive,
            self.host,
            self.admin_state_up,
            self.configurations,
            self.id,
        )


def agent_row(setup, ids: Ids) -> AgentRow:
    from sriovctl.openstack.neutron import SriovAgentConfig, report_state_configurations

    agent = setup.agent
    config = SriovAgentConfig(
        device_mappings=agent.device_mappings,
        exclude_devices=agent.exclude_devices,
        rp_bandwidths={},
        rp_inventory_defaults={
            "allocation_ratio": 1.0,
            "min_unit": 1,
            "step_size": 1,
            "reserved": 0,
        },
        rp_hypervisors={d: agent.host for devs in agent.device_mappings.values() for d in devs},
    )
    configurations = report_state_configurations(config, agent.extensions, devices=0)
    return AgentRow(ids.stable("agent", agent.host), agent.host, agent.alive, configurations)
