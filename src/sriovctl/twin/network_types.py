"""ML2's type drivers: which provider networks neutron accepts, and the segment they get.

``openstack network create --provider-network-type vlan --provider-physical-network P
--provider-segment N`` is checked as the vlan type driver checks it: the physnet must be a
key of ``[ml2_type_vlan] network_vlan_ranges``, the tag valid and free. A network without
provider options gets the first ``project_network_types`` type that has room.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Optional

from sriovctl.openstack.neutron import Segment
from sriovctl.twin.deployment import Ml2Settings
from sriovctl.twin.explanation import ApiError, Explanation, bad_request, conflict

TUNNEL_TYPES = ("vxlan", "gre", "geneve")
MAX_TUNNEL_ID = MappingProxyType({"vxlan": 2**24 - 1, "geneve": 2**24 - 1, "gre": 2**32 - 1})
Used = set[tuple[str, Optional[str], Optional[int]]]


def _invalid(message: str, explanations: Optional[list[Explanation]] = None) -> ApiError:
    return bad_request(f"Invalid input for operation: {message}.", explanations)


def allocate_segment(
    ml2: Ml2Settings,
    used: Used,
    network_id: str,
    network_type: Optional[str],
    physnet: Optional[str],
    segment: Optional[str],
) -> Segment:
    seg_id = network_id + "-seg"
    if network_type is None and physnet is None and segment is None:
        return _project_segment(ml2, used, network_id, seg_id)
    if network_type is None:
        raise _invalid("network_type required")
    if network_type not in ml2.type_drivers:
        raise _invalid(f"network_type value '{network_type}' not supported")
    tag = _int(segment) if segment is not None else None
    if network_type == "vlan":
        return _vlan(ml2, used, network_id, seg_id, physnet, tag)
    if network_type == "flat":
        if physnet is None:
            raise _invalid("physical_network required for flat provider network")
        if tag is not None:
            raise _invalid("segmentation_id prohibited for flat provider network")
        if ml2.flat_networks is not None and physnet not in ml2.flat_networks:
            raise _invalid(f"physical_network '{physnet}' unknown for flat provider network")
        if ("flat", physnet, None) in used:
            raise conflict(
                f"Unable to create the flat network. Physical network {physnet} is in use."
            )
        return Segment(seg_id, "flat", physnet, None, network_id)
    if network_type in TUNNEL_TYPES:
        if physnet is not None:
            raise _invalid(
                f"provider:physical_network specified for {network_type.upper()} network"
            )
        tag = tag if tag is not None else _next_tunnel(used, network_type)
        if not 1 <= tag <= MAX_TUNNEL_ID[network_type]:
            raise _invalid(f"{network_type.upper()} network segmentation_id out of range")
        if (network_type, None, tag) in used:
            raise conflict(f"Unable to create the network. The tunnel ID {tag} is in use.")
        return Segment(seg_id, network_type, None, tag, network_id)
    return Segment(seg_id, "local", None, None, network_id)


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise _invalid(f"'{text}' is not an integer") from None


def _vlan(
    ml2: Ml2Settings,
    used: Used,
    network_id: str,
    seg_id: str,
    physnet: Optional[str],
    tag: Optional[int],
) -> Segment:
    ranges = ml2.vlan_ranges
    if physnet is None:
        return _allocate_vlan(ml2, used, network_id, seg_id) or _no_tenant_network()
    if ranges is not None and physnet not in ranges:
        where = ml2.where.get("network_vlan_ranges") or "ml2_conf.ini (option not set)"
        known = ", ".join(ranges) or "none"
        raise _invalid(
            f"physical_network '{physnet}' unknown for VLAN provider network",
            [
                Explanation(
                    "neutron.physnet-unknown",
                    "error",
                    f"neutron-server only accepts VLAN "
                    f"networks on physnets listed in [ml2_type_vlan] network_vlan_ranges; "
                    f"{physnet} is not there (listed: {known})",
                    f"[ml2_type_vlan] network_vlan_ranges = {physnet} (or {physnet}:<min>:<max>), "
                    "then restart neutron-server; the name must equal the one in "
                    "physical_device_mappings and device_spec",
                    subject=physnet,
                    evidence=(f"{where}: network_vlan_ranges = {','.join(ranges) or '(empty)'}",),
                )
            ],
        )
    if tag is None:
        tag = next(
            (
                v
                for lo, hi in (ranges or {}).get(physnet, [(1, 4094)])
                for v in range(lo, hi + 1)
                if ("vlan", physnet, v) not in used
            ),
            None,
        )
        if tag is None:
            return _no_tenant_network()
    if not 1 <= tag <= 4094:
        raise _invalid("segmentation_id out of range (1 through 4094)")
    if ("vlan", physnet, tag) in used:
        raise conflict(
            f"Unable to create the network. The VLAN {tag} on physical network {physnet} is in use."
        )
    return Segment(seg_id, "vlan", physnet, tag, network_id)


def _allocate_vlan(ml2: Ml2Settings, used: Used, network_id: str, seg_id: str) -> Optional[Segment]:
    for physnet, spans in (ml2.vlan_ranges or {}).items():
        for low, high in spans:
            for vlan in range(low, high + 1):
                if ("vlan", physnet, vlan) not in used:
                    return Segment(seg_id, "vlan", physnet, vlan, network_id)
    return None


def _next_tunnel(used: Used, network_type: str) -> int:
    taken = {tag for kind, _, tag in used if kind == network_type and tag is not None}
    return next(n for n in range(1, len(taken) + 2) if n not in taken)


def _no_tenant_network() -> Segment:
    raise ApiError(
        "Unable to create the network. No tenant network is available for allocation.",
        "ServiceUnavailable",
        503,
    )


def _project_segment(ml2: Ml2Settings, used: Used, network_id: str, seg_id: str) -> Segment:
    for network_type in ml2.project_network_types:
        if network_type == "vlan":
            seg = _allocate_vlan(ml2, used, network_id, seg_id)
            if seg:
                return seg
        elif network_type in TUNNEL_TYPES:
            return Segment(seg_id, network_type, None, _next_tunnel(used, network_type), network_id)
        elif network_type == "local":
            return Segment(seg_id, "local", None, None, network_id)
    return _no_tenant_network()
