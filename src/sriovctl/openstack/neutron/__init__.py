"""Neutron's SR-IOV semantics, re-implemented as pure functions over plain data.

Read from neutron 29.0.0 / neutron-lib 5.0.1 and checked against their unit tests
(``tests/vectors/neutron-sriov.json``). Nothing here talks to OpenStack, runs a
command or writes a file; the sysfs helpers only read below a given root.

The public API, by topic (the submodule in brackets holds the details):

Option parsing, with neutron's error wording (errors are ``NeutronError``: both an
``InputError`` and a ``ValueError``):
    parse_mappings, parse_physical_device_mappings, parse_exclude_devices,
    parse_shared_physical_device_mappings                           [mappings]
    parse_network_vlan_ranges, parse_flat_networks, flat_network_allowed,
    vlan_network_allowed, check_project_network_types,
    supported_vnic_types                                            [ml2]
    parse_rp_bandwidths, parse_rp_inventory_defaults,
    default_rp_hypervisors, device_resource_provider_uuid           [placement]
    parse_agent_config, SriovAgentConfig, l2_extension_problems,
    report_state_configurations                                     [agent_config]
    list_value, dict_value   (oslo.config's ListOpt / DictOpt splitting)  [options]

The ML2 sriovnicswitch driver                                       [mech_driver]
    bind_port -> Binding (bound, vif_type, vif_details, segment, status, reason),
    Segment, Agent, NOT_BOUND_REASONS, get_vif_details, check_segment_for_agent,
    get_standard_device_mappings, responsible_for_ports_allocation

Typed views of the neutron options in config files, with file:line, are in
``config_views`` (ml2_view, sriov_agent_view, l2_agent_view, neutron_services).

The SR-IOV agent (sysfs view, embedded switches, polling cycle, QoS, FDB) lives in
the submodules ``sysfs``, ``pci_lib``, ``eswitch``, ``agent``, ``qos``, ``fdb`` and
``legacy_cli``; import them directly.
"""

from __future__ import annotations

from sriovctl.openstack.neutron.agent_config import (
    SriovAgentConfig,
    l2_extension_problems,
    parse_agent_config,
    report_state_configurations,
)
from sriovctl.openstack.neutron.errors import (
    NetworkVlanRangeError,
    NeutronError,
    PhysicalNetworkNameError,
    ServiceTerminated,
)
from sriovctl.openstack.neutron.mappings import (
    parse_exclude_devices,
    parse_mappings,
    parse_physical_device_mappings,
    parse_shared_physical_device_mappings,
)
from sriovctl.openstack.neutron.mech_driver import (
    NOT_BOUND_REASONS,
    Agent,
    Binding,
    Segment,
    bind_port,
    check_segment_for_agent,
    get_standard_device_mappings,
    get_vif_details,
    responsible_for_ports_allocation,
)
from sriovctl.openstack.neutron.ml2 import (
    check_project_network_types,
    flat_network_allowed,
    parse_flat_networks,
    parse_network_vlan_ranges,
    supported_vnic_types,
    vlan_network_allowed,
)
from sriovctl.openstack.neutron.options import dict_value, list_value
from sriovctl.openstack.neutron.placement import (
    default_rp_hypervisors,
    device_resource_provider_uuid,
    parse_rp_bandwidths,
    parse_rp_inventory_defaults,
)

__all__ = [
    # errors
    "NeutronError",
    "NetworkVlanRangeError",
    "PhysicalNetworkNameError",
    "ServiceTerminated",
    # option values
    "list_value",
    "dict_value",
    # mappings
    "parse_mappings",
    "parse_physical_device_mappings",
    "parse_exclude_devices",
    "parse_shared_physical_device_mappings",
    # ml2
    "parse_network_vlan_ranges",
    "parse_flat_networks",
    "flat_network_allowed",
    "vlan_network_allowed",
    "check_project_network_types",
    "supported_vnic_types",
    # placement
    "parse_rp_bandwidths",
    "parse_rp_inventory_defaults",
    "default_rp_hypervisors",
    "device_resource_provider_uuid",
    # agent config
    "parse_agent_config",
    "SriovAgentConfig",
    "l2_extension_problems",
    "report_state_configurations",
    # mechanism driver
    "bind_port",
    "Binding",
    "Segment",
    "Agent",
    "NOT_BOUND_REASONS",
    "get_vif_details",
    "check_segment_for_agent",
    "get_standard_device_mappings",
    "responsible_for_ports_allocation",
]
