"""neutron-server's ML2 options, parsed and validated as neutron does at start-up.

``[ml2_type_vlan] network_vlan_ranges``, ``[ml2_type_flat] flat_networks``,
``[ml2] type_drivers / tenant_network_types / mechanism_drivers`` and
``[sriov_driver] vnic_type_prohibit_list``. A value neutron-server rejects raises the
error neutron raises, with its message; problems neutron tolerates (an unknown
out-of-tree mechanism driver, a listed-twice driver) are left to the lint.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Optional, Union

from sriovctl.openstack.neutron.errors import (
    NetworkVlanRangeError,
    NeutronError,
    PhysicalNetworkNameError,
    ServiceTerminated,
)
from sriovctl.openstack.neutron.options import ListValue, list_value

MIN_VLAN_TAG = 1
MAX_VLAN_TAG = 4094
VLAN_VALID_RANGE = (MIN_VLAN_TAG, MAX_VLAN_TAG)

#: Defaults of neutron-server's ``[ml2]`` options (neutron 29.0.0).
DEFAULT_TYPE_DRIVERS = ("local", "flat", "vlan", "gre", "vxlan", "geneve")
DEFAULT_PROJECT_NETWORK_TYPES = ("local",)
#: ``[ml2_type_flat] flat_networks`` default: any physnet may carry a flat network.
DEFAULT_FLAT_NETWORKS = ("*",)

#: Mechanism drivers shipped in neutron 29.0.0 (entry points, test-only ones left out).
#: ``linuxbridge`` is gone: it was removed from neutron before 29.0.0.
IN_TREE_MECHANISM_DRIVERS = frozenset(
    {"l2population", "logger", "macvtap", "openvswitch", "ovn", "ovn-sync", "sriovnicswitch"}
)
IN_TREE_TYPE_DRIVERS = frozenset({"flat", "geneve", "gre", "local", "vlan", "vxlan"})

#: vnic types the sriovnicswitch driver binds, in neutron's order.
SRIOV_VNIC_TYPES = ("direct", "macvtap", "direct-physical", "accelerator-direct")
NIC_SWITCH_AGENT = "NIC Switch agent"

#: ``{physnet: [(min, max), ...]}``; a bare physnet maps to ``[(1, 4094)]``.
VlanRanges = dict[str, list[tuple[int, int]]]
#: ``None`` means any physnet (``*``); an empty tuple means flat networks are disabled.
FlatNetworks = Optional[tuple[str, ...]]


def _range_text(vlan_range: Union[str, tuple[int, int]]) -> str:
    return vlan_range if isinstance(vlan_range, str) else f"{vlan_range[0]:d}:{vlan_range[1]:d}"


def _vlan_error(vlan_range: Union[str, tuple[int, int]], error: str) -> NetworkVlanRangeError:
    return NetworkVlanRangeError(
        f"Invalid network VLAN range: '{_range_text(vlan_range)}' - '{error}'.",
        fix="write <physnet> or <physnet>:<min>:<max> with 1 <= min <= max <= 4094",
    )


def is_valid_vlan_tag(vlan: object) -> bool:
    """neutron-lib: an int (or its text, booleans refused) in 1..4094."""
    try:
        return MIN_VLAN_TAG <= int(str(vlan)) <= MAX_VLAN_TAG
    except (ValueError, TypeError):
        return False


def verify_vlan_range(vlan_range: tuple[int, int]) -> None:
    """Both ends valid tags, end not before start."""
    for tag in vlan_range:
        if not is_valid_vlan_tag(tag):
            raise _vlan_error(vlan_range, f"{tag} is not a valid VLAN tag")
    if vlan_range[1] < vlan_range[0]:
        raise _vlan_error(vlan_range, "End of VLAN range is less than start of VLAN range")


def parse_network_vlan_range(entry_text: str) -> tuple[str, tuple[int, int] | None]:
    """One ``network_vlan_ranges`` entry -> ``(physnet, (min, max) or None)``.

    ``physnet`` gives ``('physnet', None)``; ``physnet:10:20`` gives ``('physnet', (10, 20))``.
    Only the whole entry is stripped: ``physnet :10:20`` keeps the blank in the name.
    """
    entry = entry_text.strip()
    if ":" not in entry:
        return entry, None
    if entry.count(":") != 2:
        raise _vlan_error(entry, "Need exactly two values for VLAN range")
    network, low_text, high_text = entry.split(":")
    if not network:
        raise PhysicalNetworkNameError(
            "Empty physical network name.", fix="put the physnet name before the first ':'"
        )
    bounds = []
    for text in (low_text, high_text):
        try:
            bounds.append(int(text))
        except ValueError:
            raise _vlan_error(entry, f"{text} is not a valid VLAN tag") from None
    vlan_range = (bounds[0], bounds[1])
    verify_vlan_range(vlan_range)
    return network, vlan_range


def parse_network_vlan_ranges(raw: ListValue) -> VlanRanges:
    """``[ml2_type_vlan] network_vlan_ranges``, neutron-lib ``parse_network_vlan_ranges``.

    A physnet listed bare gets the whole range 1..4094 (project networks may then be
    allocated from any VLAN; before neutron-lib 2.10.0 a bare physnet was for provider
    networks only) and later ranges for it are ignored; several ranges for one physnet
    accumulate in order, overlaps included.
    """
    networks: VlanRanges = {}
    for entry in list_value(raw):
        network, vlan_range = parse_network_vlan_range(entry)
        if vlan_range:
            if networks.get(network) == [VLAN_VALID_RANGE]:
                continue
            networks.setdefault(network, []).append(vlan_range)
        else:
            networks[network] = [VLAN_VALID_RANGE]
    return networks


def parse_flat_networks(raw: ListValue) -> FlatNetworks:
    """``[ml2_type_flat] flat_networks``: ``None`` for ``*`` (any physnet), else the names.

    ``*`` anywhere in the list wins. An empty value disables flat networks (``()``);
    the option absent means the default ``*``.
    """
    entries = list_value(DEFAULT_FLAT_NETWORKS if raw is None else raw)
    if "*" in entries:
        return None
    return tuple(entries)


def flat_network_allowed(flat_networks: FlatNetworks, physnet: str) -> bool:
    """Would neutron accept a flat provider network on ``physnet``?"""
    if not physnet:
        return False
    return flat_networks is None or physnet in flat_networks


def vlan_network_allowed(
    vlan_ranges: VlanRanges, physnet: str, segmentation_id: int | None = None
) -> bool:
    """Would neutron accept a VLAN provider network on ``physnet`` (and this VLAN id)?

    The physnet must be a key of ``network_vlan_ranges`` (else neutron answers
    "physical_network '<name>' unknown for VLAN provider network"); the id may lie
    outside the configured ranges but must be a valid tag (1..4094).
    """
    if physnet not in vlan_ranges:
        return False
    return segmentation_id is None or is_valid_vlan_tag(segmentation_id)


def check_project_network_types(project_network_types: ListValue, type_drivers: ListValue) -> None:
    """neutron-server exits unless every project network type has a type driver."""
    drivers = list_value(DEFAULT_TYPE_DRIVERS if type_drivers is None else type_drivers)
    types = (
        DEFAULT_PROJECT_NETWORK_TYPES if project_network_types is None else project_network_types
    )
    for network_type in list_value(types):
        if network_type not in drivers:
            raise ServiceTerminated(
                f"No type driver for project network_type: {network_type}. Service terminated!",
                fix=f"add {network_type} to [ml2] type_drivers or drop it from the project types",
            )


def supported_vnic_types(
    prohibit_list: ListValue = None, vnic_types: Iterable[str] = SRIOV_VNIC_TYPES
) -> list[str]:
    """The vnic types sriovnicswitch binds: built-in list minus ``vnic_type_prohibit_list``.

    neutron-server refuses to load the driver when an item is not one of the built-in
    types or when nothing is left.
    """
    builtin = list(vnic_types)
    prohibited = list_value(prohibit_list)
    if not prohibited:
        return builtin
    if not all(item in builtin for item in prohibited):
        raise NeutronError(
            "Not all of the items from vnic_type_prohibit_list are valid vnic_types for "
            f"{NIC_SWITCH_AGENT} mechanism driver. The valid values are: {builtin}.",
            fix="prohibit only " + ", ".join(builtin),
        )
    remaining = [vnic for vnic in builtin if vnic not in prohibited]
    if not remaining:
        raise NeutronError(
            f"All possible vnic_types were prohibited for {NIC_SWITCH_AGENT} mechanism driver!",
            fix="allow at least one vnic type, or drop sriovnicswitch from mechanism_drivers",
        )
    return remaining
