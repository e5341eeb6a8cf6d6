"""One compute host's services, read from its files: nova-compute's device_spec and the
SR-IOV agent's options, and what they would complain about.

:func:`host_setup` builds the host's :class:`~sriovctl.twin.deployment.HostSetup` and
the problems found on the way (a nova-compute that would not start, an agent that exits,
a physnet mapped to a PF that is not there, VFs nova offers that the agent does not
watch). They become explanations with no scenario line: true before the first command.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Optional

from sriovctl.errors import InputError
from sriovctl.openstack.config import ConfigFile, ConfigSet, setting
from sriovctl.openstack.nova import DeviceSpecList, NovaPciError
from sriovctl.openstack.nova_view import NovaPciView, nova_view
from sriovctl.twin.deployment import (
    AgentSetup,
    HostSetup,
    as_int,
)
from sriovctl.twin.explanation import Explanation
from sriovctl.twin.hosts import HostFacts


def _cs(files: Sequence[ConfigFile], *roles: str) -> ConfigSet:
    return ConfigSet(tuple(f for f in files if set(roles) & set(f.roles)))


def _bool(text: str) -> bool:
    from sriovctl.openstack.nova.strutils import bool_from_string

    try:
        return bool_from_string(text, strict=True)
    except ValueError as e:
        raise InputError(str(e), "write true or false") from None


def host_setup(
    facts: HostFacts,
    files: Sequence[ConfigFile],
    agent_dead: bool,
    trunks: Optional[Mapping[str, frozenset[int]]],
) -> tuple[HostSetup, list[Explanation]]:
    notes: list[Explanation] = []
    nova = _cs(files, "nova")
    view = nova_view(nova)
    nova_host = setting(nova, ("DEFAULT", "host")).value or facts.name
    spec_list, error = _device_specs(facts, view)
    if error:
        notes.append(
            Explanation(
                "nova.device-spec-invalid",
                "error",
                f"nova-compute on {facts.name} stops at "
                "start-up: it cannot parse [pci] device_spec, so the host offers no PCI devices "
                "and takes no servers",
                "fix the entry (one JSON dict or list per line)",
                error,
                host=facts.name,
            )
        )
    fatal = setting(nova, ("DEFAULT", "vif_plugging_is_fatal"), _bool, True)
    timeout = setting(nova, ("DEFAULT", "vif_plugging_timeout"), as_int, 300)
    agent = _agent(facts, files, agent_dead, notes)
    setup = HostSetup(
        facts=facts,
        nova_host=str(nova_host),
        device_spec=view.device_spec,
        alias=view.alias,
        agent=agent,
        compute_error=error,
        spec_list=spec_list,
        trunks=trunks,
        vif_plugging_is_fatal=fatal.value is not False,
        vif_plugging_timeout=timeout.value or 300,
    )
    if spec_list is not None:
        notes += _pool_notes(setup)
    if not facts.iommu_active and facts.vfs:
        notes.append(
            Explanation(
                "host.iommu-off",
                "error",
                f"the IOMMU is off on {facts.name}: vfio cannot assign "
                "any VF, every SR-IOV server scheduled there fails to spawn",
                "boot with intel_iommu=on iommu=pt (amd_iommu=on on AMD) and enable VT-d/AMD-Vi "
                "in the BIOS; `sriovctl check --root ...` shows the details",
                host=facts.name,
                evidence=(f"{facts.source}: /sys/kernel/iommu_groups is empty",),
            )
        )
    return setup, notes


def _device_specs(facts: HostFacts, view: NovaPciView) -> tuple[Any, Optional[str]]:
    values = view.device_spec.values
    try:
        return DeviceSpecList(view.device_spec.strings, host=facts.lookup), None
    except NovaPciError as e:
        origin = getattr(e, "origin", None)
        where = values[origin.line].where if origin is not None and values else "nova.conf"
        return None, f"{where}: {e.message}"


def _agent(
    facts: HostFacts, files: Sequence[ConfigFile], dead: bool, notes: list[Explanation]
) -> Optional[AgentSetup]:
    from sriovctl.openstack.neutron import l2_extension_problems
    from sriovctl.openstack.neutron.config_views import sriov_agent_view

    agent_files = _cs(files, "sriov_agent")
    if not agent_files.files:
        return None
    cs = _cs(files, "sriov_agent", "neutron")
    view = sriov_agent_view(cs)
    errors = [
        s.error
        for s in (
            view.physical_device_mappings,
            view.exclude_devices,
            view.resource_provider_bandwidths,
        )
        if s.error
    ]
    errors += [view.cross_check] if view.cross_check else []
    fatal = [p for p in l2_extension_problems(view.extensions.value or [], "sriov") if p.fatal]
    for problem in errors:
        notes.append(_agent_exits(facts, problem.message, problem.fix))
    for problem in fatal:
        notes.append(_agent_exits(facts, problem.message, problem.fix))
    if errors or fatal:
        return None
    mappings = dict(view.physical_device_mappings.value or {})
    agent = AgentSetup(
        host=str(setting(cs, ("DEFAULT", "host")).value or facts.name),
        device_mappings=mappings,
        exclude_devices={k: frozenset(v) for k, v in (view.exclude_devices.value or {}).items()},
        extensions=tuple(view.extensions.value or ()),
        files=agent_files.paths,
        mappings_where=view.physical_device_mappings.where,
        alive=not dead,
    )
    pf_names = ", ".join(p.netdev or p.address for p in facts.pfs.values())
    for physnet, devs in mappings.items():
        for dev in devs:
            if facts.pf_by_netdev(dev) is None:
                notes.append(
                    Explanation(
                        "agent.pf-missing",
                        "warning",
                        f"the SR-IOV agent on {facts.name} maps "
                        f"{physnet} to {dev}, but {facts.name} has no SR-IOV PF named {dev}: the "
                        "agent starts, skips it and manages no VF there, so ports on that physnet "
                        "bind but never go ACTIVE",
                        f"map the PF's real name: physical_device_mappings = {physnet}:<PF netdev> "
                        f"(PFs here: {pf_names})",
                        host=facts.name,
                        subject=dev,
                        evidence=(f"{agent.mappings_where}: {physnet}:{dev}",),
                    )
                )
    if view.firewall_driver.source is not None:
        notes.append(
            Explanation(
                "agent.firewall-driver",
                "info",
                "the SR-IOV agent ignores [securitygroup] "
                f"firewall_driver ({view.firewall_driver.value}): it never filters VF traffic",
                None,
                host=facts.name,
                evidence=(f"{view.firewall_driver.where}",),
            )
        )
    return agent


def _agent_exits(facts: HostFacts, message: str, fix: Optional[str]) -> Explanation:
    return Explanation(
        "agent.exits",
        "error",
        f"neutron-sriov-nic-agent on {facts.name} exits at start-up "
        '("Agent terminated!"): no NIC Switch agent registers, so every SR-IOV port bound '
        "to this host fails with binding_failed",
        fix,
        message,
        host=facts.name,
    )


def _pool_notes(setup: HostSetup) -> list[Explanation]:
    facts, notes = setup.facts, []
    matched = [(dev, spec) for dev, spec in setup.spec_list.assign(facts.devices) if spec]
    vfs = [(dev, spec) for dev, spec in matched if dev.get("dev_type") == "type-VF"]
    if setup.device_spec.values and not matched:
        evidence = [f"{v.where}: {v.value}" for v in setup.device_spec.values]
        evidence += [
            f"{facts.source}: VF {v.address} {v.vendor_device}"
            for v in list(facts.vfs.values())[:8]
        ]
        notes.append(
            Explanation(
                "nova.device-spec-matches-nothing",
                "warning",
                f"[pci] device_spec matches no device on {facts.name}: nova offers no VF there",
                "fix the address glob or "
                "vendor/product ids so they select the VFs listed in the evidence",
                host=facts.name,
                evidence=tuple(evidence),
            )
        )
    agent = setup.agent
    if agent is None:
        return notes
    for dev, spec in vfs:
        physnet = spec.get_tags().get("physical_network")
        vf = facts.vfs.get(dev["address"])
        if physnet is None or vf is None:
            continue
        managed = vf.pf_netdev in agent.device_mappings.get(physnet, [])
        excluded = dev["address"] in agent.exclude_devices.get(vf.pf_netdev or "", ())
        if managed and not excluded:
            continue
        mapped = ", ".join(agent.device_mappings.get(physnet, [])) or "nothing"
        why = (
            f"{vf.pf_netdev} excludes it in exclude_devices"
            if managed
            else f"the agent maps {physnet} to {mapped}"
        )
        notes.append(
            Explanation(
                "agent.vf-not-managed",
                "warning",
                f"nova offers VF {dev['address']} (PF "
                f"{vf.pf_netdev}) on physnet {physnet}, but {why}: a port given this VF binds yet "
                "never goes ACTIVE, and the boot fails after vif_plugging_timeout",
                f"make them agree: physical_device_mappings = {physnet}:{vf.pf_netdev}, or narrow "
                "[pci] device_spec to the mapped PF's VFs",
                host=facts.name,
                subject=dev["address"],
                evidence=(
                    f"{agent.mappings_where}: device_mappings {dict(agent.device_mappings)}",
                ),
            )
        )
    return notes
