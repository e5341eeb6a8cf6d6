"""nova's side: device_spec against each host, option names per release, scheduler filters.

nova-compute reads ``[pci]``; nova-scheduler reads ``[filter_scheduler]``. Either may be
absent from what the operator passed: then its checks are skipped, not failed.
"""

from __future__ import annotations

from sriovctl.checks.finding import Finding
from sriovctl.openstack.lint.devspec import (
    Entry,
    SpecMatch,
    match_findings,
    match_host,
    parse_entries,
    static_findings,
)
from sriovctl.openstack.lint.hosts import HostFacts
from sriovctl.openstack.lint.inputs import LintInputs
from sriovctl.openstack.nova import NovaPciError, parse_aliases
from sriovctl.openstack.nova_view import nova_view
from sriovctl.openstack.releases import ZED, Release

# nova 34.0.0's scheduler filters (nova/scheduler/filters/*), class name -> module.
_F = "nova.scheduler.filters."
NOVA_FILTERS = {
    "AggregateImagePropertiesIsolation": "aggregate_image_properties_isolation",
    "AggregateInstanceExtraSpecsFilter": "aggregate_instance_extra_specs",
    "AggregateIoOpsFilter": "io_ops_filter",
    "AggregateMultiTenancyIsolation": "aggregate_multitenancy_isolation",
    "AggregateNumInstancesFilter": "num_instances_filter",
    "AggregateTypeAffinityFilter": "type_filter", "AllHostsFilter": "all_hosts_filter",
    "ComputeCapabilitiesFilter": "compute_capabilities_filter", "ComputeFilter": "compute_filter",
    "DifferentHostFilter": "affinity_filter", "ImagePropertiesFilter": "image_props_filter",
    "IoOpsFilter": "io_ops_filter", "IsolatedHostsFilter": "isolated_hosts_filter",
    "JsonFilter": "json_filter", "MetricsFilter": "metrics_filter",
    "NUMATopologyFilter": "numa_topology_filter", "NumInstancesFilter": "num_instances_filter",
    "PciPassthroughFilter": "pci_passthrough_filter", "SameHostFilter": "affinity_filter",
    "ServerGroupAffinityFilter": "affinity_filter",
    "ServerGroupAntiAffinityFilter": "affinity_filter",
    "SimpleCIDRAffinityFilter": "affinity_filter",
}  # fmt: skip
ALL_FILTERS = _F + "all_filters"
PCI_FILTER = "PciPassthroughFilter"


def check_compute(inputs: LintInputs, hosts: list[HostFacts], release: Release
                  ) -> tuple[list[Finding], list[SpecMatch], list[Entry] | None]:
    """Findings, what each entry selects per host, and the entries (None: no nova-compute file)."""
    files = inputs.with_role("nova-compute")
    if not files:
        return [], [], None
    view = nova_view(inputs.config("nova-compute"))
    values = view.device_spec.values
    findings: list[Finding] = []
    if not values:
        findings.append(Finding(
            "devspec.missing", "error", files[-1].anchor("pci"),
            "[pci] device_spec is not set: nova-compute tracks no PCI device, so no SR-IOV "
            "port can be scheduled to this node", (),
            "sriovctl openstack render --physnet PHYSNET=PF prints the line for this host",
        ))  # fmt: skip
    findings += _names(values, release)
    entries, errors = parse_entries(values)
    findings += errors + static_findings(entries)
    seen = {(f.id, f.subject, f.message) for f in findings}
    matches: list[SpecMatch] = []
    for facts in hosts:
        host_entries, host_errors = parse_entries(values, facts.lookup, facts.label)
        # Report only what the host adds (e.g. a devname it lacks), not the syntax again.
        new = [f for f in host_errors if f.subject not in {e.subject for e in errors}]
        host_matches, match_errors = match_host(host_entries, facts)
        matches += host_matches
        for f in new + match_errors + match_findings(host_matches, facts):
            if (f.id, f.subject, f.message) not in seen:
                seen.add((f.id, f.subject, f.message))
                findings.append(f)
    findings += _nothing_matched(matches, len(hosts))
    findings += _aliases(inputs)
    return findings, matches, entries


def _names(values, release: Release) -> list[Finding]:
    out = []
    for v in values:
        if v.option == "device_spec" and release.order < ZED.order:
            out.append(Finding(
                "devspec.unknown-name", "error", v.where,
                f"nova before Zed ({release.label}) has no [pci] device_spec: it ignores "
                "this line and tracks no device from it", (f"{v.name} = {v.value}",),
                "rename it to [pci] passthrough_whitelist for this release",
            ))  # fmt: skip
        elif v.option != "device_spec" and release.order >= ZED.order:
            out.append(Finding(
                "config.deprecated-name", "warning", v.where,
                f"{v.name} is an old name of [pci] device_spec (renamed in Zed, 26.0.0); "
                "still read, and read before any device_spec line of the same file",
                (f"{v.name} = {v.value}",),
                "rename it to device_spec (sriovctl openstack apply does this)",
            ))  # fmt: skip
    return out


def _nothing_matched(matches: list[SpecMatch], host_count: int) -> list[Finding]:
    by_entry: dict[str, list[SpecMatch]] = {}
    for m in matches:
        by_entry.setdefault(m.entry.label, []).append(m)
    out = []
    for label, ms in by_entry.items():
        empty = [m.host for m in ms if not m.devices]
        e = ms[0].entry
        if len(empty) == host_count:
            out.append(Finding(
                "devspec.matches-nothing", "error", e.where,
                f"{label} selects no PCI device on {', '.join(empty)}",
                (f"{e.value.name} = {e.value.value}",),
                "check the address/vendor_id/product_id against sriovctl inspect, and that "
                "the VFs exist (sriov_numvfs)",
            ))  # fmt: skip
        elif empty:
            out.append(Finding(
                "devspec.matches-nothing-on-host", "warning", e.where,
                f"{label} selects no PCI device on {', '.join(empty)} (it does elsewhere)",
                (f"{e.value.name} = {e.value.value}",),
                "fine if that host is not meant to offer this physnet; else see sriovctl inspect",
            ))  # fmt: skip
    return out


def _aliases(inputs: LintInputs) -> list[Finding]:
    view = nova_view(inputs.config("nova-compute", "nova-scheduler"))
    out = []
    for v in view.alias.values:
        try:
            parse_aliases([v.value])
        except NovaPciError as e:
            out.append(Finding(
                "alias.invalid", "error", v.where,
                f"nova refuses this [pci] alias: {e.nova_exception}: {e.message}",
                (f"{v.name} = {v.value}",), e.fix,
            ))  # fmt: skip
    return out


def check_scheduler(inputs: LintInputs, release: Release) -> list[Finding]:
    files = inputs.with_role("nova-scheduler")
    if not files:
        return []
    view = nova_view(inputs.config("nova-scheduler"))
    findings = [
        Finding("config.deprecated-name", "warning", n.where, n.message, (),
                "use the current name shown")
        for n in view.notes if "passthrough_whitelist" not in n.message
    ]  # fmt: skip
    enabled = view.enabled_filters
    where = enabled.where or files[-1].anchor("filter_scheduler")
    if enabled.error:
        return findings + [Finding("scheduler.invalid", "error", where, enabled.error.message,
                                   (), enabled.error.fix)]
    names = list(enabled.value or [])
    shown = (f"[filter_scheduler] enabled_filters = {', '.join(names)}"
             + ("" if enabled.where else " (nova's default)"),)
    if PCI_FILTER not in names:
        findings.append(Finding(
            "scheduler.pci-filter-disabled", "error", where,
            "PciPassthroughFilter is not in enabled_filters: nova-scheduler may place an "
            "SR-IOV port's instance on a host without a free VF (it then fails to build)",
            shown, f"enabled_filters = {', '.join([*_kept(names, release), PCI_FILTER])}",
        ))  # fmt: skip
    available = [v.value for v in view.available_filters.values] or list(
        view.available_filters.default)
    a_where = (view.available_filters.values[-1].where if view.available_filters.values
               else where)
    known = set(NOVA_FILTERS) if ALL_FILTERS in available else set()
    known |= {a.rsplit(".", 1)[-1] for a in available if a != ALL_FILTERS}
    foreign = any(not a.startswith(_F) for a in available)
    missing = [n for n in [*names, PCI_FILTER] if n in NOVA_FILTERS and n not in known]
    if missing:
        findings.append(Finding(
            "scheduler.filter-not-available", "error", a_where,
            f"{', '.join(dict.fromkeys(missing))} missing from available_filters: an enabled "
            "filter that is not available stops nova-scheduler with SchedulerHostFilterNotFound: "
            f"Scheduler Host Filter {missing[0]} could not be found.",
            tuple(f"[filter_scheduler] available_filters = {a}" for a in available),
            f"available_filters = {ALL_FILTERS}",
        ))  # fmt: skip
    unknown = [n for n in names if n not in known and n not in NOVA_FILTERS and not foreign]
    for name in unknown:
        az = name == "AvailabilityZoneFilter"
        if az and release.nova < 28:  # nova 28.0.0 (2023.2 Bobcat) dropped it
            findings.append(Finding(
                "scheduler.deprecated-filter", "info", where,
                "AvailabilityZoneFilter is deprecated since Xena and gone in 2023.2 Bobcat "
                "(nova-scheduler then stops with SchedulerHostFilterNotFound)",
                shown, "remove it before upgrading; placement handles availability zones",
            ))  # fmt: skip
            continue
        why = " (deprecated in Xena, removed in 2023.2 Bobcat)" if az else ""
        findings.append(Finding(
            "scheduler.unknown-filter", "error", where,
            f"nova has no scheduler filter {name}{why}: nova-scheduler stops with "
            f"SchedulerHostFilterNotFound: Scheduler Host Filter {name} could not be found.",
            shown, f"remove {name} from enabled_filters",
        ))  # fmt: skip
    return findings


def _kept(names: list[str], release: Release) -> list[str]:
    """The enabled filters worth keeping in a suggested line: those nova has."""
    return [n for n in names if n in NOVA_FILTERS
            or (n == "AvailabilityZoneFilter" and release.nova < 28)]
