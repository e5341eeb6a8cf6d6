"""nova's PCI and scheduler-filter options, as nova-compute and nova-scheduler read them.

Split out of :mod:`sriovctl.openstack.config` (which reads the files): this module knows
nova's option names, their deprecated spellings and their defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from sriovctl.openstack.config import (
    ConfigSet,
    MultiSetting,
    Note,
    Setting,
    multi_setting,
    setting,
)

#: nova 34.0.0 defaults of the scheduler filter options.
NOVA_AVAILABLE_FILTERS = ("nova.scheduler.filters.all_filters",)
NOVA_ENABLED_FILTERS = (
    "ComputeFilter", "ComputeCapabilitiesFilter", "ImagePropertiesFilter",
    "ServerGroupAntiAffinityFilter", "ServerGroupAffinityFilter",
)  # fmt: skip
_DEVICE_SPEC_OLD = (("pci", "passthrough_whitelist"), ("DEFAULT", "pci_passthrough_whitelist"))
_RENAMES = MappingProxyType(
    {
        ("pci", "passthrough_whitelist"): "renamed [pci] device_spec in Zed (26.0.0); still read",
        ("DEFAULT", "pci_passthrough_whitelist"): "moved to [pci] in Ocata (15.0.0); still read",
        ("DEFAULT", "pci_alias"): "moved to [pci] alias in Ocata (15.0.0); still read",
        (
            "DEFAULT",
            "scheduler_default_filters",
        ): "no longer read: use [filter_scheduler] enabled_filters",
        (
            "DEFAULT",
            "scheduler_available_filters",
        ): "no longer read: use [filter_scheduler] available_filters",
    }
)


@dataclass(frozen=True)
class NovaPciView:
    """nova's PCI and scheduler-filter options as nova-compute / nova-scheduler see them."""

    device_spec: MultiSetting
    alias: MultiSetting
    available_filters: MultiSetting
    enabled_filters: Setting
    notes: tuple[Note, ...] = ()


def nova_view(cs: ConfigSet) -> NovaPciView:
    # Lazy: importing the neutron package loads all of its modules.
    from sriovctl.openstack.neutron.options import list_value  # noqa: PLC0415

    renamed = [
        (v, message)
        for (section, option), message in _RENAMES.items()
        for v in cs.values((section, option))
    ]
    renamed.sort(key=lambda item: (cs.paths.index(item[0].file), item[0].line))
    notes = [Note(v.where, f"{v.name}: {message}") for v, message in renamed]
    return NovaPciView(
        device_spec=multi_setting(cs, ("pci", "device_spec"), deprecated=_DEVICE_SPEC_OLD),
        alias=multi_setting(cs, ("pci", "alias"), deprecated=[("DEFAULT", "pci_alias")]),
        available_filters=multi_setting(
            cs, ("filter_scheduler", "available_filters"), NOVA_AVAILABLE_FILTERS
        ),
        enabled_filters=setting(
            cs, ("filter_scheduler", "enabled_filters"), list_value, list(NOVA_ENABLED_FILTERS)
        ),
        notes=tuple(notes),
    )
