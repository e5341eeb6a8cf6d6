"""The SR-IOV agent's placement options, parsed as neutron-lib does.

``[sriov_nic] resource_provider_bandwidths`` (``dev:egress:ingress`` kbps, either
number may be empty), ``resource_provider_inventory_defaults`` (placement inventory
fields) and ``resource_provider_hypervisors`` (``dev:hypervisor``). Also the stable
resource-provider UUIDs neutron derives for a device, which nova's allocation in
``binding:profile`` refers to.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Optional, Union

from sriovctl.openstack.neutron.errors import NeutronError
from sriovctl.openstack.neutron.ml2 import NIC_SWITCH_AGENT
from sriovctl.openstack.neutron.model import Agent
from sriovctl.openstack.neutron.options import ListValue, dict_value, list_value

#: uuid5 namespace of the sriovnicswitch mechanism driver's resource providers.
SRIOV_RP_NAMESPACE = uuid.UUID("87f1895c-73bb-11e8-9008-c4d987b2a692")

INVENTORY_OPTIONS = frozenset({"allocation_ratio", "max_unit", "min_unit", "reserved", "step_size"})

#: ``[sriov_nic] resource_provider_inventory_defaults`` when the option is absent.
DEFAULT_INVENTORY = MappingProxyType(
    {"allocation_ratio": 1.0, "min_unit": 1, "step_size": 1, "reserved": 0}
)

_FIX_BW = "write each entry as <device>:<egress kbps>:<ingress kbps>, numbers may be empty"


def _parse_rate(text: str) -> int | None:
    # int() like neutron-lib: it also accepts surrounding blanks and '1_000'.
    try:
        rate = int(text) if text else None
        if rate is not None and rate < 0:
            raise ValueError
    except ValueError:
        raise NeutronError(
            "Cannot parse resource_provider_bandwidths. Cannot parse string value to an "
            f"integer. Expected: non-negative integer value, got: {text}",
            fix=_FIX_BW,
        ) from None
    return rate


def parse_rp_bandwidths(raw: ListValue) -> dict[str, dict[str, int | None]]:
    """``eth0:10000:10000,eth1::,eth2`` -> ``{'eth0': {'egress': 10000, 'ingress': 10000}, ...}``.

    A bare name means ``name::`` (no inventory reported). The device name is *not*
    stripped beyond oslo.config's item stripping, as in neutron-lib.
    """
    result: dict[str, dict[str, int | None]] = {}
    for option in list_value(raw):
        entry = option if ":" in option else option + "::"
        values = entry.split(":")
        if len(values) != 3:
            raise NeutronError(
                "Cannot parse resource_provider_bandwidths. "
                f"Expected a tuple with 3 values, got: {entry}",
                fix=_FIX_BW,
            )
        name = values[0]
        if name in result:
            raise NeutronError(
                "Cannot parse resource_provider_bandwidths. "
                f'Same resource name listed multiple times: "{name}"',
                fix=f"list {name} only once",
            )
        result[name] = {"egress": _parse_rate(values[1]), "ingress": _parse_rate(values[2])}
    return result


def parse_rp_inventory_defaults(raw: str | Mapping | None) -> dict[str, float | int]:
    """``allocation_ratio:1.0,min_unit:1`` -> ``{'allocation_ratio': 1.0, 'min_unit': 1}``.

    ``None`` (option absent) gives neutron's default :data:`DEFAULT_INVENTORY`.
    """
    if raw is None:
        return dict(DEFAULT_INVENTORY)
    values: dict = dict_value(raw) if isinstance(raw, str) else dict(raw)
    unexpected = set(values) - INVENTORY_OPTIONS
    if unexpected:
        raise NeutronError(
            "Cannot parse inventory_defaults. Unexpected options: "
            + ",".join(sorted(str(key) for key in unexpected)),
            fix="use only " + ", ".join(sorted(INVENTORY_OPTIONS)),
        )
    parsed: dict[str, float | int] = dict(values)
    # neutron-lib checks allocation_ratio first, then the ints in this order; the
    # order decides which error an operator sees first.
    for key in ("allocation_ratio", "min_unit", "max_unit", "reserved", "step_size"):
        if key not in values:
            continue
        if key == "allocation_ratio":
            convert, kind = float, "non-negative float"
        else:
            convert, kind = int, "non-negative int"
        shown = values[key]
        try:
            number = convert(values[key])
            shown = number
            if number < 0:
                raise ValueError
        except (ValueError, TypeError):
            raise NeutronError(
                f"Cannot parse inventory_defaults.{key}. Expected: {kind}, got: {shown}",
                fix=f"set {key} to a {kind}",
            ) from None
        parsed[key] = number
    return parsed


def default_rp_hypervisors(
    hypervisors: str | Mapping[str, str] | None,
    device_mappings: Mapping[str, Iterable[str]],
    default_hypervisor: str,
) -> dict[str, str]:
    """The agent's ``resource_provider_hypervisors``: every mapped device -> hypervisor.

    Devices named in the option but not mapped are dropped, as neutron does.
    ``default_hypervisor`` is ``[sriov_nic] resource_provider_default_hypervisor`` or,
    when unset, the host's hypervisor hostname (the caller supplies it: no lookups here).
    """
    configured = (
        dict_value(hypervisors) if isinstance(hypervisors, str) else dict(hypervisors or {})
    )
    devices = {dev for devs in device_mappings.values() for dev in devs}
    return {dev: configured.get(dev) or default_hypervisor for dev in sorted(devices)}


def validate_rp_bandwidth(rp_bandwidths: Iterable[str], device_names: Iterable[str]) -> None:
    """Every device with a bandwidth must be a mapped device (neutron ``validate_rp_bandwidth``)."""
    known = set(device_names)
    for dev_name in rp_bandwidths:
        if dev_name not in known:
            raise NeutronError(
                "Invalid resource_provider_bandwidths: "
                f"Device name {dev_name} is missing from device mappings",
                fix=f"add {dev_name} to physical_device_mappings or drop its bandwidth",
            )


def device_resource_provider_uuid(
    host: str, device: str, namespace: uuid.UUID = SRIOV_RP_NAMESPACE
) -> uuid.UUID:
    """The placement RP of a PF: ``uuid5(namespace, '<host>:<device>')``."""
    return uuid.uuid5(namespace, f"{host}:{device}")


def agent_resource_provider_uuid(host: str, namespace: uuid.UUID = SRIOV_RP_NAMESPACE) -> uuid.UUID:
    """The placement RP of the agent itself: ``uuid5(namespace, host)``."""
    return uuid.uuid5(namespace, host)


def responsible_for_ports_allocation(
    *,
    host: str,
    profile: Optional[Mapping[str, Any]],
    agents: Iterable[Union[Agent, Mapping[str, Any]]],
) -> bool:
    """Does sriovnicswitch own every resource provider in ``binding:profile.allocation``?

    Considered agents: NIC Switch agents on ``host`` with admin_state_up. A device RP
    is ``uuid5(ns, '<host>:<device>')`` for each device in the agent's
    ``resource_provider_bandwidths``; the packet-processing options give the agent RP.
    Two agents claiming one group is a misconfiguration: not responsible.
    """
    allocation = (profile or {}).get("allocation")
    if allocation is None:
        return False
    try:
        wanted = {group: uuid.UUID(str(rp)) for group, rp in allocation.items()}
    except ValueError:
        raise NeutronError(
            f"binding:profile.allocation holds a value that is not a UUID: {allocation!r}",
            fix="allocation maps request groups to resource provider UUIDs (set by nova)",
        ) from None
    reported: dict[str, list[Agent]] = {}
    for agent in (Agent.of(a) for a in agents):
        if agent.agent_type != NIC_SWITCH_AGENT or agent.host != host or not agent.admin_state_up:
            continue
        conf = agent.configurations
        for device in conf.get("resource_provider_bandwidths", {}) or {}:
            rp = device_resource_provider_uuid(agent.host, device)
            for group, rp_uuid in wanted.items():
                if rp == rp_uuid:
                    reported.setdefault(group, []).append(agent)
        if any(key in conf for key in _PP_KEYS):
            for group, rp_uuid in wanted.items():
                if agent_resource_provider_uuid(agent.host) == rp_uuid:
                    reported.setdefault(group, []).append(agent)
    if any(len(claimed) != 1 for claimed in reported.values()):
        return False
    return len(reported) >= 1 and len(reported) == len(allocation)


_PP_KEYS = (
    "resource_provider_packet_processing_without_direction",
    "resource_provider_packet_processing_with_direction",
)
