"""neutron's side: the ML2 server, the SR-IOV agent (against each host) and the FDB extension.

Every option goes through neutron's own parser (:mod:`sriovctl.openstack.neutron`), so a
bad value is reported in neutron's words with the file:line it came from; a value that
stops a service says so, because that is what the operator will see: a dead agent.
"""

from __future__ import annotations

from sriovctl.checks.finding import Finding
from sriovctl.errors import InputError
from sriovctl.openstack.config import ConfigSet, Setting
from sriovctl.openstack.lint.hosts import HostFacts
from sriovctl.openstack.lint.inputs import LintInputs
from sriovctl.openstack.neutron.config_views import (
    L2AgentView,
    Ml2View,
    SriovAgentView,
    l2_agent_view,
    ml2_view,
    neutron_services,
    sriov_agent_view,
)
from sriovctl.openstack.neutron.ml2 import check_project_network_types

SRIOV_TYPES = ("vlan", "flat")
NOOP_DRIVERS = ("noop", "neutron.agent.firewall.NoopFirewallDriver")


def services(inputs: LintInputs) -> dict[str, ConfigSet]:
    roles = ("neutron", "ml2", "sriov_agent", "ovs_agent", "linuxbridge_agent")
    return neutron_services(inputs.config(*roles))


def _shown(s: Setting) -> tuple[str, ...]:
    return (f"{s.source.name} = {s.source.value}",) if s.source else ()


def _bad(setting: Setting, service: str, what: str) -> Finding:
    err = setting.error
    assert err is not None and setting.source is not None
    message = err.message.removeprefix(f"{setting.where}: ")
    return Finding(f"{service}.invalid", "error", setting.where,
                   f"{what} stops: {message}", _shown(setting), err.fix)


def _anchor(inputs: LintInputs, cs: ConfigSet, role: str, section: str) -> str:
    files = [inputs.file(f.path) for f in cs.files if role in f.roles]
    return files[-1].anchor(section) if files else "(none):1"


def check_server(inputs: LintInputs, view: Ml2View, cs: ConfigSet) -> list[Finding]:
    out = [_bad(s, "ml2", "neutron-server")
           for s in (view.mechanism_drivers, view.type_drivers, view.tenant_network_types,
                     view.network_vlan_ranges, view.flat_networks, view.vnic_type_prohibit_list)
           if s.error]  # fmt: skip
    mech = view.mechanism_drivers
    if not mech.error and "sriovnicswitch" not in (mech.value or []):
        out.append(Finding(
            "ml2.no-sriovnicswitch", "error", mech.where or _anchor(inputs, cs, "ml2", "ml2"),
            "sriovnicswitch is not in [ml2] mechanism_drivers: no SR-IOV port binds "
            "(binding:vif_type stays binding_failed)", _shown(mech),
            f"mechanism_drivers = {','.join([*(mech.value or []), 'sriovnicswitch'])}",
        ))  # fmt: skip
    types, drivers = view.tenant_network_types, view.type_drivers
    if types.error or drivers.error:
        return out
    try:
        check_project_network_types(types.value, drivers.value)
    except InputError as e:
        out.append(Finding("ml2.no-type-driver", "error", types.where or drivers.where or
                           _anchor(inputs, cs, "ml2", "ml2"),
                           f"neutron-server stops: {e.message}", _shown(types) + _shown(drivers),
                           e.fix))
    if not set(drivers.value) & set(SRIOV_TYPES):
        out.append(Finding(
            "ml2.no-vlan-or-flat", "error", drivers.where or _anchor(inputs, cs, "ml2", "ml2"),
            "neither vlan nor flat is in [ml2] type_drivers: SR-IOV ports bind only to flat "
            "and vlan segments", _shown(drivers), "add vlan to type_drivers",
        ))  # fmt: skip
    elif types.source and not set(types.value) & set(SRIOV_TYPES):
        out.append(Finding(
            "ml2.tunnel-only-project-types", "warning", types.where,
            f"project networks are {', '.join(types.value) or 'none'} only: SR-IOV ports "
            "cannot bind to them (neutron binds SR-IOV on flat and vlan segments only)",
            _shown(types), "create the SR-IOV network as a provider network "
            "(--provider-network-type vlan --provider-physical-network PHYSNET), or add vlan "
            "to tenant_network_types",
        ))  # fmt: skip
    prohibited = view.vnic_type_prohibit_list
    if not prohibited.error and "direct" in (prohibited.value or []):
        out.append(Finding(
            "ml2.direct-prohibited", "warning", prohibited.where,
            "vnic type direct is prohibited for sriovnicswitch: direct ports will not bind",
            _shown(prohibited), "remove direct from [sriov_driver] vnic_type_prohibit_list",
        ))  # fmt: skip
    return out


def check_sriov_agent(inputs: LintInputs, view: SriovAgentView, cs: ConfigSet,
                      hosts: list[HostFacts]) -> list[Finding]:
    agent = "neutron-sriov-nic-agent"
    parts = (view.physical_device_mappings, view.exclude_devices,
             view.resource_provider_bandwidths, view.resource_provider_inventory_defaults,
             view.resource_provider_hypervisors, view.extensions)
    out = [_bad(s, "agent", agent) for s in parts if s.error]
    if view.cross_check is not None:
        err = view.cross_check
        where = err.message.split(": ", 1)[0] if ": " in err.message else view.exclude_devices.where
        out.append(Finding("agent.exclude-unmapped", "error", where or "(none):1",
                           f"{agent} stops: {err.message.removeprefix(f'{where}: ')}",
                           _shown(view.exclude_devices) + _shown(view.physical_device_mappings),
                           err.fix))
    mappings = view.physical_device_mappings
    if not mappings.error and not mappings.value:
        out.append(Finding(
            "agent.no-mappings", "error",
            mappings.where or _anchor(inputs, cs, "sriov_agent", "sriov_nic"),
            "[sriov_nic] physical_device_mappings is empty: the agent reports no physnet, so "
            "no SR-IOV port binds to this host", _shown(mappings),
            "physical_device_mappings = PHYSNET:PF_NETDEV",
        ))  # fmt: skip
    if not view.extensions.error and "fdb" in (view.extensions.value or []):
        out.append(Finding(
            "agent.fdb-in-sriov-agent", "error", view.extensions.where,
            f"{agent} cannot load the fdb extension (only the OVS agent can) and exits",
            _shown(view.extensions),
            "remove fdb here; put [agent] extensions = fdb and [FDB] in openvswitch_agent.ini",
        ))  # fmt: skip
    fw = view.firewall_driver
    if fw.source and fw.value not in NOOP_DRIVERS:
        out.append(Finding(
            "agent.firewall-ignored", "info", fw.where,
            f"firewall_driver = {fw.value}: security groups are not applied to SR-IOV ports "
            "(the VF bypasses the host's firewall); the agent implements none",
            _shown(fw), "firewall_driver = noop (older guides), or leave it unset",
        ))  # fmt: skip
    if not mappings.error and mappings.value:
        for facts in hosts:
            out += _mapped_on_host(view, facts)
    return out


def _mapped_on_host(view: SriovAgentView, facts: HostFacts) -> list[Finding]:
    mappings = view.physical_device_mappings
    where, shown, out = mappings.where, _shown(mappings), []
    host = facts.host
    for physnet, names in mappings.value.items():
        for name in names:
            dev = next((d for d in host.devices.values() if name in d.netdevs), None)
            if name not in host.netdevs and dev is None:
                out.append(Finding(
                    "agent.mapped-missing", "warning", where,
                    f"{physnet}:{name}: {facts.label} has no interface {name}; the agent waits "
                    "for it and binds nothing on this physnet meanwhile", shown,
                    "map the PF's netdev name (sriovctl inspect lists them)"))
            elif dev is None or not dev.is_pf:
                kind = "a VF" if dev is not None and dev.is_vf else "not an SR-IOV PF"
                out.append(Finding(
                    "agent.mapped-not-pf", "error", where,
                    f"{physnet}:{name}: {name} is {kind} on {facts.label}; the agent manages "
                    "the VFs of the PFs it is given", shown,
                    "map the PF's netdev (sriovctl inspect lists PFs)"))
            elif not dev.virtfns:
                out.append(Finding(
                    "agent.mapped-no-vfs", "error", where,
                    f"{physnet}:{name}: PF {name} ({dev.address}) has no VFs on {facts.label} "
                    "(sriov_numvfs = 0): nothing to give to ports", shown,
                    f"create VFs: echo N > /sys/class/net/{name}/device/sriov_numvfs, and "
                    "make it persistent"))
    excluded = view.exclude_devices
    for name, addrs in (excluded.value or {}).items():
        pf = next((d for d in host.devices.values() if name in d.netdevs and d.is_pf), None)
        vfs = {a for _, a in pf.virtfns} if pf else set()
        stray = sorted(a for a in addrs if pf and a not in vfs)
        if stray:
            out.append(Finding(
                "agent.exclude-not-vf", "warning", excluded.where,
                f"{name}: {', '.join(stray)} are not VFs of {name} on {facts.label}; the "
                "exclusion has no effect", _shown(excluded), "list VF addresses of that PF"))
    return out


def check_l2_agent(view: L2AgentView, cs: ConfigSet, role: str,
                   sriov: SriovAgentView | None) -> list[Finding]:
    service = "neutron-openvswitch-agent" if role == "ovs_agent" else "neutron-linuxbridge-agent"
    out = [_bad(s, "fdb", service) for s in (view.extensions, view.shared_physical_device_mappings)
           if s.error]
    if view.extensions.error or "fdb" not in (view.extensions.value or []):
        return out
    if role == "linuxbridge_agent":
        out.append(Finding(
            "fdb.linuxbridge", "warning", view.extensions.where,
            "the linuxbridge agent was removed from neutron; on current releases only the OVS "
            "agent loads the fdb extension", _shown(view.extensions),
            "move [agent] extensions = fdb and [FDB] to openvswitch_agent.ini"))
    shared = view.shared_physical_device_mappings
    if not shared.error and not shared.value:
        out.append(Finding(
            "fdb.no-devices", "error", view.extensions.where,
            f"{service} loads fdb with an empty [FDB] shared_physical_device_mappings: the "
            "extension logs an error and the agent exits", _shown(view.extensions),
            "[FDB] shared_physical_device_mappings = PHYSNET:PF_NETDEV (as in sriov_agent.ini)"))
    elif not shared.error and sriov is not None and not sriov.physical_device_mappings.error:
        agent_map = sriov.physical_device_mappings.value or {}
        for physnet, devs in shared.value.items():
            wrong = [d for d in devs if d not in agent_map.get(physnet, [])]
            if wrong:
                out.append(Finding(
                    "fdb.mapping-differs", "warning", shared.where,
                    f"FDB shares {physnet}:{','.join(wrong)}, which the SR-IOV agent does not "
                    f"map for {physnet}", _shown(shared) + _shown(sriov.physical_device_mappings),
                    "use the same PHYSNET:PF pairs as physical_device_mappings"))
    return out


def check_neutron(inputs: LintInputs, hosts: list[HostFacts]) -> tuple[list[Finding], dict]:
    """All neutron findings, and the parsed views (the physnet cross-check needs them)."""
    found, views = [], {}
    for service, cs in services(inputs).items():
        if service == "neutron-server":
            views["ml2"] = ml2_view(cs)
            found += check_server(inputs, views["ml2"], cs)
        elif service == "neutron-sriov-nic-agent":
            views["sriov_agent"] = sriov_agent_view(cs)
            found += check_sriov_agent(inputs, views["sriov_agent"], cs, hosts)
    for service, cs in services(inputs).items():
        role = {"neutron-openvswitch-agent": "ovs_agent",
                "neutron-linuxbridge-agent": "linuxbridge_agent"}.get(service)
        if role:
            found += check_l2_agent(l2_agent_view(cs), cs, role, views.get("sriov_agent"))
    return found, views

