"""What the controller's files would make the services do: removed scheduler filters, a
missing PciPassthroughFilter or sriovnicswitch, neutron-server options it refuses,
deprecated option names. These become explanations with no scenario line; what each
compute host's own files do is in :mod:`sriovctl.twin.host_setup`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sriovctl.openstack.config import ConfigFile, ConfigSet
from sriovctl.openstack.nova_view import NovaPciView
from sriovctl.twin.deployment import PCI_FILTER, REMOVED_FILTERS, Deployment
from sriovctl.twin.explanation import Explanation


def _cs(files: Sequence[ConfigFile], *roles: str) -> ConfigSet:
    return ConfigSet(tuple(f for f in files if set(roles) & set(f.roles)))


def deployment_notes(
    deployment: Deployment, view: NovaPciView, files: Sequence[ConfigFile]
) -> list[Explanation]:
    notes = [
        Explanation("config.deprecated-name", "info", n.message, None, None, evidence=(n.where,))
        for n in view.notes
    ]
    where = deployment.filters_where or "nova default"
    for name in deployment.enabled_filters:
        if name in REMOVED_FILTERS:
            notes.append(
                Explanation(
                    "nova.filter-removed",
                    "warning",
                    f"{name} is in enabled_filters but "
                    f"{REMOVED_FILTERS[name]}: a current nova-scheduler refuses to start "
                    "(SchedulerHostFilterNotFound); the twin ignores it, as the guide's older "
                    "nova did",
                    f"drop {name} from [filter_scheduler] enabled_filters",
                    evidence=(
                        f"{where}: enabled_filters = {', '.join(deployment.enabled_filters)}",
                    ),
                )
            )
    if not deployment.pci_filter:
        notes.append(
            Explanation(
                "nova.no-pci-filter",
                "warning",
                f"{PCI_FILTER} is not in enabled_filters: the "
                "scheduler picks hosts without looking at their VFs; the compute's PCI claim then "
                "fails and nova reschedules until max_attempts is used up",
                f"add {PCI_FILTER} to [filter_scheduler] enabled_filters on the scheduler",
                evidence=(f"{where}: enabled_filters = {', '.join(deployment.enabled_filters)}",),
            )
        )
    ml2 = deployment.ml2
    if "missing" in ml2.where:
        notes.append(
            Explanation(
                "neutron.no-ml2-file",
                "info",
                "no ml2_conf.ini was given: the twin assumes "
                "mechanism_drivers = openvswitch,sriovnicswitch and accepts any physnet",
                "pass neutron-server's ml2_conf.ini with --config to check it too",
            )
        )
    elif "sriovnicswitch" not in ml2.mechanism_drivers:
        notes.append(
            Explanation(
                "neutron.no-sriov-driver",
                "error",
                "sriovnicswitch is not in [ml2] "
                "mechanism_drivers: no driver binds direct/macvtap/direct-physical ports, every "
                "SR-IOV port ends binding_failed",
                "[ml2] mechanism_drivers = openvswitch,sriovnicswitch, then restart neutron-server",
                evidence=(
                    f"{ml2.where.get('mechanism_drivers') or 'default'}: mechanism_drivers = "
                    f"{','.join(ml2.mechanism_drivers)}",
                ),
            )
        )
    return notes + _ml2_errors(files)


def _ml2_errors(files: Sequence[ConfigFile]) -> list[Explanation]:
    from sriovctl.openstack.neutron.config_views import ml2_view

    cs = _cs(files, "ml2", "neutron")
    if not any("ml2" in f.roles for f in cs.files):
        return []
    view = ml2_view(cs)
    settings = (
        view.mechanism_drivers,
        view.type_drivers,
        view.network_vlan_ranges,
        view.flat_networks,
        view.vnic_type_prohibit_list,
    )
    return [
        Explanation(
            "neutron.config-invalid",
            "error",
            "neutron-server stops at start-up on this value; the twin uses the default instead",
            s.error.fix,
            s.error.message,
        )
        for s in settings
        if s.error
    ]
