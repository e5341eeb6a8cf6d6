"""``sriov_agent.ini`` as ``neutron-sriov-nic-agent`` reads it at start-up.

:func:`parse_agent_config` is the agent's ``SriovNicAgentConfigParser.parse``: each
option parsed with neutron's parser, then the cross-checks (every excluded or
bandwidth-bearing device must be a mapped PF). Any error here makes the real agent
log "Failed on Agent configuration parse. Agent terminated!" and exit 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Optional, Union

from sriovctl.openstack.neutron.errors import NeutronError
from sriovctl.openstack.neutron.mappings import (
    parse_exclude_devices,
    parse_physical_device_mappings,
)
from sriovctl.openstack.neutron.options import ListValue, list_value
from sriovctl.openstack.neutron.placement import (
    default_rp_hypervisors,
    parse_rp_bandwidths,
    parse_rp_inventory_defaults,
    validate_rp_bandwidth,
)

#: Option defaults of neutron-sriov-nic-agent (neutron 29.0.0), keyed "section.option".
#: Read-only: lists are tuples and dicts mapping proxies; copy before changing.
AGENT_DEFAULTS: Mapping[str, Any] = MappingProxyType(
    {
        "sriov_nic.physical_device_mappings": (),
        "sriov_nic.exclude_devices": (),
        "sriov_nic.resource_provider_bandwidths": (),
        "sriov_nic.resource_provider_hypervisors": MappingProxyType({}),
        "sriov_nic.resource_provider_default_hypervisor": None,
        "sriov_nic.resource_provider_inventory_defaults": MappingProxyType(
            {"allocation_ratio": 1.0, "min_unit": 1, "step_size": 1, "reserved": 0}
        ),
        "agent.polling_interval": 2,
        "agent.report_interval": 30.0,
        "agent.extensions": (),
    }
)

#: L2 agent extensions shipped with neutron 29.0.0 (``neutron.agent.l2.extensions``).
KNOWN_L2_EXTENSIONS = frozenset(
    {"dhcp", "dns_forwarder", "fdb", "local_ip", "log", "metadata_path", "qos"}
)
AGENT_BINARY = "neutron-sriov-nic-agent"


@dataclass(frozen=True)
class SriovAgentConfig:
    """The parsed ``[sriov_nic]`` options, as the running agent holds them."""

    device_mappings: Mapping[str, list[str]]
    exclude_devices: Mapping[str, frozenset[str]]
    rp_bandwidths: Mapping[str, Mapping[str, Optional[int]]]
    rp_inventory_defaults: Mapping[str, Union[int, float]]
    rp_hypervisors: Mapping[str, str] = field(default_factory=dict)

    @property
    def devices(self) -> frozenset[str]:
        """Every mapped PF netdev."""
        return frozenset(dev for devs in self.device_mappings.values() for dev in devs)


def parse_agent_config(
    physical_device_mappings: ListValue = None,
    exclude_devices: ListValue = None,
    resource_provider_bandwidths: ListValue = None,
    resource_provider_inventory_defaults: Union[str, Mapping, None] = None,
    resource_provider_hypervisors: Union[str, Mapping[str, str], None] = None,
    default_hypervisor: str = "",
) -> SriovAgentConfig:
    """Parse and cross-check the agent's options; raises what would stop the agent.

    ``default_hypervisor`` stands for ``resource_provider_default_hypervisor`` or, when
    unset, the host's hypervisor hostname (neutron asks the resolver; we do not).
    """
    device_mappings = parse_physical_device_mappings(physical_device_mappings)
    exclude = parse_exclude_devices(exclude_devices)
    rp_bandwidths = parse_rp_bandwidths(resource_provider_bandwidths)
    inventory = parse_rp_inventory_defaults(resource_provider_inventory_defaults)
    hypervisors = default_rp_hypervisors(
        resource_provider_hypervisors, device_mappings, default_hypervisor
    )
    mapped = {dev for devs in device_mappings.values() for dev in devs}
    for dev_name in exclude:
        if dev_name not in mapped:
            raise NeutronError(
                f"Invalid exclude_devices: Device name {dev_name} is missing from "
                "physical_device_mappings",
                fix=f"map {dev_name} in physical_device_mappings or drop it from exclude_devices",
            )
    validate_rp_bandwidth(rp_bandwidths, mapped)
    return SriovAgentConfig(
        device_mappings=device_mappings,
        exclude_devices={dev: frozenset(slots) for dev, slots in exclude.items()},
        rp_bandwidths=rp_bandwidths,
        rp_inventory_defaults=inventory,
        rp_hypervisors=hypervisors,
    )


@dataclass(frozen=True)
class ExtensionProblem:
    """One ``[agent] extensions`` entry the agent will not run; ``fatal`` stops the agent."""

    name: str
    fatal: bool
    message: str
    fix: str


def l2_extension_problems(extensions: ListValue, driver_type: str) -> tuple[ExtensionProblem, ...]:
    """What an L2 agent of ``driver_type`` (``sriov``/``ovs``) does with ``[agent] extensions``.

    An unknown name is only a warning ("Could not load <name>", from stevedore) and the
    agent runs without it. ``fdb`` outside the OVS agent is fatal: the SR-IOV agent logs
    "FDB extension is only supported for OVS agent" and exits 1.
    """
    problems = []
    for name in list_value(extensions):
        if name not in KNOWN_L2_EXTENSIONS:
            problems.append(
                ExtensionProblem(
                    name,
                    False,
                    f"Could not load {name}",
                    "known extensions: " + ", ".join(sorted(KNOWN_L2_EXTENSIONS)),
                )
            )
        elif name == "fdb" and driver_type != "ovs":
            problems.append(
                ExtensionProblem(
                    name,
                    True,
                    f"FDB extension is only supported for OVS agent, currently uses {driver_type}",
                    "enable fdb in the OVS agent's [agent] extensions, not in sriov_agent.ini",
                )
            )
    return tuple(problems)


def report_state_configurations(
    config: SriovAgentConfig, extensions: Iterable[str] = (), devices: Optional[int] = None
) -> dict[str, Any]:
    """``configurations`` of the agent's heartbeat (``openstack network agent show``).

    ``devices`` (assigned VFs seen in the last scan) appears only after a first scan.
    """
    configurations: dict[str, Any] = {
        "device_mappings": {k: list(v) for k, v in config.device_mappings.items()},
        "resource_provider_bandwidths": {k: dict(v) for k, v in config.rp_bandwidths.items()},
        "resource_provider_inventory_defaults": dict(config.rp_inventory_defaults),
        "resource_provider_hypervisors": dict(config.rp_hypervisors),
        "extensions": list(extensions),
    }
    if devices is not None:
        configurations["devices"] = devices
    return configurations
