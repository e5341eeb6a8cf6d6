"""The deployment the twin simulates: who reads which config file, on which host.

``--config`` files are shared: the controller's nova.conf (scheduler filters), ml2_conf.ini
and neutron.conf for neutron-server, and any compute-side file that every host uses.
``--host-config NAME=FILE`` adds a file that only host NAME reads (its nova.conf with
``[pci] device_spec``, its sriov_agent.ini); host files are read after the shared ones, so
they win, as a later ``--config-file`` does. Each file's role (nova, ml2, sriov_agent,
ovs_agent...) comes from its sections (:func:`sriovctl.openstack.config.classify`).

Problems the services would have with these files become setup explanations
(``line`` None): a nova-compute that would not start, an agent that exits, a scheduler
filter nova no longer has, a physnet mapped to a PF that does not exist...
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Optional

from sriovctl.errors import InputError
from sriovctl.openstack.config import ConfigFile, ConfigSet, MultiSetting, setting
from sriovctl.openstack.nova_view import nova_view
from sriovctl.twin.explanation import Explanation
from sriovctl.twin.hosts import HostFacts

PCI_FILTER = "PciPassthroughFilter"
NUMA_FILTER = "NUMATopologyFilter"
#: Filters the guides list that current nova no longer ships (the scheduler would not start).
REMOVED_FILTERS = MappingProxyType(
    {
        "AvailabilityZoneFilter": "deprecated since Xena and gone in 2023.2 Bobcat (nova 28.0.0); "
        "placement handles availability zones",
        "RetryFilter": "removed in Ussuri (21.0.0); alternates replaced it",
    }
)


@dataclass(frozen=True)
class Ml2Settings:
    mechanism_drivers: tuple[str, ...]
    type_drivers: tuple[str, ...]
    project_network_types: tuple[str, ...]
    vlan_ranges: Optional[Mapping[str, list[tuple[int, int]]]]  # None: no ml2 file, any physnet
    flat_networks: Optional[tuple[str, ...]]  # None: any physnet
    prohibited_vnic_types: tuple[str, ...]
    where: Mapping[str, Optional[str]] = field(default_factory=dict)  # option -> file:line


@dataclass(frozen=True)
class AgentSetup:
    """One neutron-sriov-nic-agent: its host name, parsed options and files."""

    host: str
    device_mappings: Mapping[str, list[str]]
    exclude_devices: Mapping[str, frozenset[str]]
    extensions: tuple[str, ...]
    files: tuple[str, ...]
    mappings_where: Optional[str] = None
    alive: bool = True


@dataclass(frozen=True)
class HostSetup:
    facts: HostFacts
    nova_host: str  # the host name nova-compute registers ([DEFAULT] host, else NAME)
    device_spec: MultiSetting
    alias: MultiSetting
    agent: Optional[AgentSetup]
    compute_error: Optional[str] = None  # why nova-compute would not start
    spec_list: Any = None  # the parsed DeviceSpecList (None when compute_error)
    trunks: Optional[Mapping[str, frozenset[int]]] = None  # PF netdev -> VLANs on the switch
    vif_plugging_is_fatal: bool = True
    vif_plugging_timeout: int = 300

    @property
    def name(self) -> str:
        return self.facts.name


@dataclass(frozen=True)
class Deployment:
    hosts: tuple[HostSetup, ...]
    ml2: Ml2Settings
    enabled_filters: tuple[str, ...]
    filters_where: Optional[str]
    max_attempts: int
    dhcp_physnets: frozenset[str]  # physnets an OVS agent maps (where a DHCP port can live)
    notes: tuple[Explanation, ...] = ()

    @property
    def pci_filter(self) -> bool:
        return PCI_FILTER in self.enabled_filters

    @property
    def numa_filter(self) -> bool:
        return NUMA_FILTER in self.enabled_filters

    def host(self, name: str) -> Optional[HostSetup]:
        return next((h for h in self.hosts if name in (h.name, h.nova_host)), None)


def as_int(text: str) -> int:
    """An integer option, refused as oslo.config would (an InputError, not a crash)."""
    try:
        return int(text)
    except ValueError:
        raise InputError(f"{text!r} is not an integer", "write a whole number") from None


def parse_vlans(text: str) -> frozenset[int]:
    """``"100-199,1000"`` -> the VLAN ids; what a switch port allows (``all`` = 1-4094)."""
    if text.strip().lower() in ("all", "*"):
        return frozenset(range(1, 4095))
    vlans: set[int] = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        low, _, high = part.partition("-")
        try:
            a, b = int(low), int(high or low)
        except ValueError:
            raise InputError(f"bad VLAN list {text!r}", "write e.g. 100-199,1000") from None
        vlans.update(range(a, b + 1))
    return frozenset(vlans)


def _cs(files: Sequence[ConfigFile], *roles: str) -> ConfigSet:
    return ConfigSet(tuple(f for f in files if set(roles) & set(f.roles)))


def build_deployment(
    shared: Sequence[ConfigFile],
    hosts: Sequence[HostFacts],
    host_files: Mapping[str, Sequence[ConfigFile]] = (),  # type: ignore[assignment]
    dead_agents: Sequence[str] = (),
    trunks: Mapping[str, Mapping[str, frozenset[int]]] = (),  # type: ignore[assignment]
) -> Deployment:
    """Put files and hosts together, as the services on each host would read them."""
    from sriovctl.twin.host_setup import host_setup
    from sriovctl.twin.setup_notes import deployment_notes

    host_files = dict(host_files or {})
    names = {h.name for h in hosts}
    for name in list(host_files) + list(dead_agents) + list(dict(trunks or {})):
        if name not in names:
            raise InputError(f"no host named {name!r}", "name hosts with --host NAME=ROOT")
    nova = _cs(shared, "nova")
    view = nova_view(nova)
    max_attempts = setting(nova, ("scheduler", "max_attempts"), as_int, 3)
    ml2 = ml2_settings(_cs(shared, "ml2", "neutron"), shared)
    setups, notes = [], []
    for h in hosts:
        files = list(shared) + list(host_files.get(h.name, ()))
        setup, host_notes = host_setup(
            h, files, h.name in dead_agents, dict(trunks or {}).get(h.name)
        )
        setups.append(setup)
        notes += host_notes
    ovs = _cs(shared, "ovs_agent")
    deployment = Deployment(
        hosts=tuple(setups),
        ml2=ml2,
        enabled_filters=tuple(view.enabled_filters.value or ()),
        filters_where=view.enabled_filters.where,
        max_attempts=max(1, int(max_attempts.value or 3)),
        dhcp_physnets=frozenset(_bridge_mappings(ovs)),
    )
    notes = deployment_notes(deployment, view, shared) + notes
    return Deployment(**{**deployment.__dict__, "notes": tuple(notes)})


def _bridge_mappings(cs: ConfigSet) -> dict[str, Any]:
    from sriovctl.openstack.neutron import parse_mappings

    found = setting(cs, ("ovs", "bridge_mappings"), parse_mappings, {})
    return dict(found.value or {})


def ml2_settings(cs: ConfigSet, files: Sequence[ConfigFile]) -> Ml2Settings:
    """neutron-server's ML2 options; without any ml2 file, an SR-IOV-ready default."""
    from sriovctl.openstack.neutron.config_views import ml2_view

    if not any("ml2" in f.roles for f in files):
        return Ml2Settings(
            ("openvswitch", "sriovnicswitch"),
            ("flat", "vlan", "vxlan"),
            ("vxlan",),
            None,
            None,
            (),
            {"missing": None},
        )
    view = ml2_view(cs)

    def value(s, default):
        return default if s.error else s.value

    return Ml2Settings(
        mechanism_drivers=tuple(value(view.mechanism_drivers, [])),
        type_drivers=tuple(value(view.type_drivers, [])),
        project_network_types=tuple(value(view.tenant_network_types, [])),
        vlan_ranges=dict(value(view.network_vlan_ranges, {})),
        flat_networks=value(view.flat_networks, None),
        prohibited_vnic_types=tuple(value(view.vnic_type_prohibit_list, [])),
        where={
            "mechanism_drivers": view.mechanism_drivers.where,
            "network_vlan_ranges": view.network_vlan_ranges.where,
            "type_drivers": view.type_drivers.where,
            "vnic_type_prohibit_list": view.vnic_type_prohibit_list.where,
        },
    )
