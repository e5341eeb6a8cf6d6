"""What the configuration files say the live cloud should show, read the way the lint reads them.

From the same files ``sriovctl openstack lint`` takes: the SR-IOV agent's
``physical_device_mappings`` (which the agent reports as ``device_mappings``), and from
neutron-server's ML2 files the ``vnic_type_prohibit_list`` (the twin needs it to predict)
and ``network_vlan_ranges`` (to say when a ``--vlan`` is outside them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Optional


@dataclass(frozen=True)
class Expectations:
    device_mappings: Optional[Mapping[str, tuple[str, ...]]] = None  # None: not given
    prohibit_list: Optional[tuple[str, ...]] = None
    vlan_ranges: Mapping[str, list] = field(default_factory=dict)
    sources: tuple[str, ...] = ()


def from_files(paths: Sequence[str], roles: Optional[dict] = None) -> Expectations:
    """Read ``paths`` as the lint does (roles guessed from sections unless given)."""
    if not paths:
        return Expectations()
    from sriovctl.openstack.lint.inputs import read_inputs
    from sriovctl.openstack.lint.neutron import services
    from sriovctl.openstack.neutron.config_views import ml2_view, sriov_agent_view

    by_service = services(read_inputs(list(paths), roles))
    mappings = prohibit = None
    ranges: dict = {}
    if "neutron-sriov-nic-agent" in by_service:
        view = sriov_agent_view(by_service["neutron-sriov-nic-agent"])
        value = view.physical_device_mappings.value or {}
        mappings = {physnet: tuple(devs) for physnet, devs in value.items()}
    if "neutron-server" in by_service:
        ml2 = ml2_view(by_service["neutron-server"])
        prohibit = tuple(ml2.vnic_type_prohibit_list.value or ())
        ranges = dict(ml2.network_vlan_ranges.value or {})
    return Expectations(mappings, prohibit, ranges, tuple(paths))


def compare_mappings(
    expected: Mapping[str, Sequence[str]], reported: Mapping[str, Sequence[str]]
) -> list[str]:
    """Differences between the agent file's mappings and what a live agent reports."""
    problems = []
    for physnet in sorted(set(expected) | set(reported)):
        want = sorted(expected.get(physnet, ()))
        have = sorted(reported.get(physnet, ()))
        if physnet not in reported:
            problems.append(f"{physnet}: expected {','.join(want)}, the agent does not map it")
        elif physnet not in expected:
            problems.append(f"{physnet}: mapped to {','.join(have)}, not in the agent file")
        elif want != have:
            problems.append(f"{physnet}: expected {','.join(want)}, reported {','.join(have)}")
    return problems


def vlan_in_ranges(ranges: Mapping[str, list], physnet: str, vlan: int) -> Optional[bool]:
    """True/False when the files give ranges for ``physnet``; None when they say nothing."""
    if physnet not in ranges:
        return None
    return any(lo <= vlan <= hi for lo, hi in ranges[physnet])
