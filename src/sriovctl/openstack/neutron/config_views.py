"""Typed views of neutron's SR-IOV options, read from a ``config.ConfigSet``.

Each option is a :class:`~sriovctl.openstack.config.Setting`: the value parsed with
neutron's own parser (or the default when unset), the ``Value`` it came from
(file:line), and, when the value does not parse, neutron's complaint as ``error``.
A view never raises for a bad value, so one lint run can report all of them.

Which files make up the ConfigSet is the caller's business: neutron-server reads
``neutron.conf`` + ``ml2_conf.ini``; the SR-IOV agent ``neutron.conf`` +
``sriov_agent.ini``; the OVS agent ``neutron.conf`` + ``openvswitch_agent.ini``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Optional

from sriovctl.errors import InputError
from sriovctl.openstack.config import ConfigSet, Setting, setting
from sriovctl.openstack.neutron.agent_config import AGENT_DEFAULTS, parse_agent_config
from sriovctl.openstack.neutron.mappings import (
    parse_exclude_devices,
    parse_physical_device_mappings,
    parse_shared_physical_device_mappings,
)
from sriovctl.openstack.neutron.ml2 import (
    DEFAULT_PROJECT_NETWORK_TYPES,
    DEFAULT_TYPE_DRIVERS,
    SRIOV_VNIC_TYPES,
    parse_flat_networks,
    parse_network_vlan_ranges,
    supported_vnic_types,
)
from sriovctl.openstack.neutron.options import dict_value, list_value
from sriovctl.openstack.neutron.placement import parse_rp_bandwidths, parse_rp_inventory_defaults


@dataclass(frozen=True)
class Ml2View:
    """neutron-server's ML2 options; ``supported_vnic_types`` = built-in minus prohibited."""

    mechanism_drivers: Setting
    type_drivers: Setting
    tenant_network_types: Setting
    network_vlan_ranges: Setting
    flat_networks: Setting
    vnic_type_prohibit_list: Setting
    supported_vnic_types: Setting


def ml2_view(cs: ConfigSet) -> Ml2View:
    prohibit = setting(cs, ("sriov_driver", "vnic_type_prohibit_list"), list_value, [])
    supported = setting(
        cs,
        ("sriov_driver", "vnic_type_prohibit_list"),
        supported_vnic_types,
        list(SRIOV_VNIC_TYPES),
    )
    return Ml2View(
        mechanism_drivers=setting(cs, ("ml2", "mechanism_drivers"), list_value, []),
        type_drivers=setting(cs, ("ml2", "type_drivers"), list_value, list(DEFAULT_TYPE_DRIVERS)),
        # The option's current name is project_network_types; tenant_network_types still works.
        tenant_network_types=setting(
            cs,
            ("ml2", "project_network_types"),
            list_value,
            list(DEFAULT_PROJECT_NETWORK_TYPES),
            deprecated=[("ml2", "tenant_network_types")],
        ),
        network_vlan_ranges=setting(
            cs, ("ml2_type_vlan", "network_vlan_ranges"), parse_network_vlan_ranges, {}
        ),
        flat_networks=setting(cs, ("ml2_type_flat", "flat_networks"), parse_flat_networks, None),
        vnic_type_prohibit_list=prohibit,
        supported_vnic_types=Setting(
            "supported vnic types", supported.value, supported.source, supported.error
        ),
    )


@dataclass(frozen=True)
class SriovAgentView:
    """``neutron-sriov-nic-agent``'s options. ``cross_check`` is the agent's start-up check
    (excluded and bandwidth devices must be mapped); its error stops the agent."""

    physical_device_mappings: Setting
    exclude_devices: Setting
    resource_provider_bandwidths: Setting
    resource_provider_inventory_defaults: Setting
    resource_provider_hypervisors: Setting
    resource_provider_default_hypervisor: Setting
    firewall_driver: Setting
    extensions: Setting
    cross_check: Optional[InputError] = None


def sriov_agent_view(cs: ConfigSet) -> SriovAgentView:
    def sriov(option, parse, default):
        return setting(cs, ("sriov_nic", option), parse, default)

    view = SriovAgentView(
        physical_device_mappings=sriov(
            "physical_device_mappings", parse_physical_device_mappings, {}
        ),
        exclude_devices=sriov("exclude_devices", parse_exclude_devices, {}),
        resource_provider_bandwidths=sriov("resource_provider_bandwidths", parse_rp_bandwidths, {}),
        resource_provider_inventory_defaults=sriov(
            "resource_provider_inventory_defaults",
            parse_rp_inventory_defaults,
            dict(AGENT_DEFAULTS["sriov_nic.resource_provider_inventory_defaults"]),
        ),
        resource_provider_hypervisors=sriov("resource_provider_hypervisors", dict_value, {}),
        resource_provider_default_hypervisor=sriov(
            "resource_provider_default_hypervisor", None, None
        ),
        firewall_driver=setting(cs, ("securitygroup", "firewall_driver"), None, None),
        extensions=setting(cs, ("agent", "extensions"), list_value, []),
    )
    parts = (view.physical_device_mappings, view.exclude_devices, view.resource_provider_bandwidths)
    if any(part.error for part in parts):
        return view  # each option's own error is already reported
    try:
        parse_agent_config(
            physical_device_mappings=_raw(view.physical_device_mappings),
            exclude_devices=_raw(view.exclude_devices),
            resource_provider_bandwidths=_raw(view.resource_provider_bandwidths),
        )
    except InputError as e:
        where = (
            next((p.where for p in parts[1:] if p.source), None)
            or view.physical_device_mappings.where
        )
        prefix = f"{where}: " if where else ""
        return replace(view, cross_check=InputError(prefix + e.message, e.fix))
    return view


def _raw(s: Setting):
    return s.source.value if s.source else None


@dataclass(frozen=True)
class L2AgentView:
    """An OVS (or historical linuxbridge) agent's FDB-related options."""

    extensions: Setting
    shared_physical_device_mappings: Setting


def l2_agent_view(cs: ConfigSet) -> L2AgentView:
    return L2AgentView(
        extensions=setting(cs, ("agent", "extensions"), list_value, []),
        shared_physical_device_mappings=setting(
            cs,
            ("fdb", "shared_physical_device_mappings"),
            parse_shared_physical_device_mappings,
            {},
        ),
    )


#: Which file roles each neutron service reads, besides neutron.conf (role "neutron").
_SERVICE_ROLES = MappingProxyType(
    {
        "neutron-server": "ml2",
        "neutron-sriov-nic-agent": "sriov_agent",
        "neutron-openvswitch-agent": "ovs_agent",
        "neutron-linuxbridge-agent": "linuxbridge_agent",
    }
)


def neutron_services(cs: ConfigSet) -> dict[str, ConfigSet]:
    """Split a bag of neutron files into what each service would read, order kept.

    A service is listed only when its own file is there: ``neutron.conf`` (role
    ``neutron``) plus ``ml2_conf.ini`` for the server, ``sriov_agent.ini`` for the
    SR-IOV agent, and so on.
    """
    services = {}
    for service, role in _SERVICE_ROLES.items():
        files = tuple(f for f in cs.files if role in f.roles or "neutron" in f.roles)
        if any(role in f.roles for f in files):
            services[service] = ConfigSet(files)
    return services
