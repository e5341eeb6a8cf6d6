"""The L2 agent's FDB population extension (``[agent] extensions = fdb``), as values.

Purpose: let a VF reach "normal" (OVS) ports on the same host. The NIC's embedded
switch only forwards to the PF for MACs in the PF's FDB, so the OVS agent adds the
MAC of every compute, router-interface and DHCP port of a shared physnet to each PF
listed in ``[FDB] shared_physical_device_mappings``. The extension runs in the OVS
agent only.

Calls come back as ``("add"|"delete", mac, device)``; ``ok`` says whether the kernel
accepted one (neutron's FdbInterface returns a bool), default always.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sriovctl.openstack.neutron.errors import NeutronError, ServiceTerminated
from sriovctl.openstack.neutron.mappings import parse_shared_physical_device_mappings
from sriovctl.openstack.neutron.options import ListValue

PERMITTED_DEVICE_OWNERS = ("compute:", "network:router_interface", "network:dhcp")
FdbCall = tuple[str, str, str]
Outcome = Callable[[FdbCall], bool]


class FdbTableError(NeutronError):
    """neutron's tracker raises KeyError here (a device whose FDB could not be listed)."""

    neutron_name = "KeyError"


@dataclass(frozen=True)
class FdbExtension:
    """The extension's state: mappings, MACs per shared PF, MAC per port id."""

    device_mappings: Mapping[str, tuple[str, ...]]
    device_to_macs: Mapping[str, tuple[str, ...]]
    portid_to_mac: Mapping[str, str]

    @property
    def devices(self) -> list[str]:
        return [dev for devs in self.device_mappings.values() for dev in devs]


def fdb_devices(shared_physical_device_mappings: ListValue) -> list[str]:
    """The PFs whose FDB the extension lists at start, in order."""
    mappings = parse_shared_physical_device_mappings(shared_physical_device_mappings)
    return [dev for devs in mappings.values() for dev in devs]


def fdb_initialize(
    shared_physical_device_mappings: ListValue,
    driver_type: str,
    fdb_tables: Mapping[str, Sequence[str]],
) -> FdbExtension:
    """Start the extension; ``fdb_tables`` holds each PF's current FDB MACs.

    A PF missing from ``fdb_tables`` stands for one whose listing failed: neutron skips
    it (and a later port on it fails). Not the OVS agent, or no PF: the agent exits.
    """
    if driver_type != "ovs":
        raise ServiceTerminated(
            f"FDB extension is only supported for OVS agent, currently uses {driver_type}",
            fix="enable fdb only in the OVS agent ([agent] extensions in openvswitch_agent.ini)",
        )
    mappings = parse_shared_physical_device_mappings(shared_physical_device_mappings)
    devices = [dev for devs in mappings.values() for dev in devs]
    if not devices:
        raise ServiceTerminated(
            "Invalid configuration provided for FDB extension: no physical devices",
            fix="set [FDB] shared_physical_device_mappings = <physnet>:<PF netdev>",
        )
    tables = {dev: tuple(fdb_tables[dev]) for dev in devices if dev in fdb_tables}
    return FdbExtension({k: tuple(v) for k, v in mappings.items()}, tables, {})


def _macs(ext: FdbExtension, device: str) -> tuple[str, ...]:
    if device not in ext.device_to_macs:
        raise FdbTableError(
            f"FDB table of {device} is unknown (listing it failed at start)",
            fix=f"check that {device} exists, then restart the agent",
        )
    return ext.device_to_macs[device]


def _delete(
    ext: FdbExtension, devices: Sequence[str], port_id: str, ok: Outcome
) -> tuple[FdbExtension, list[FdbCall]]:
    mac = ext.portid_to_mac.get(port_id)
    if mac is None:
        return ext, []  # neutron warns: the port has no rule
    calls: list[FdbCall] = []
    for device in devices:
        if mac in _macs(ext, device):
            call = ("delete", mac, device)
            calls.append(call)
            if not ok(call):
                return ext, calls
            tables = dict(ext.device_to_macs)
            tables[device] = tuple(m for m in tables[device] if m != mac)
            ports = dict(ext.portid_to_mac)
            if port_id not in ports:
                # The same MAC on a second shared PF: neutron's `del` raises KeyError here.
                raise FdbTableError(
                    f"port {port_id} already forgotten while deleting {mac} from {device}",
                    fix="neutron cannot delete one MAC from two shared PFs; restart the OVS agent",
                )
            del ports[port_id]
            ext = replace(ext, device_to_macs=tables, portid_to_mac=ports)
    return ext, calls


def _update(
    ext: FdbExtension, device: str, port_id: str, mac: str, ok: Outcome
) -> tuple[FdbExtension, list[FdbCall]]:
    # neutron first compares the device's MAC *list* with the MAC string: never equal,
    # so a repeated handle_port deletes and re-adds the entry.
    ext, calls = _delete(ext, [device], port_id, ok)
    ext = replace(ext, portid_to_mac={**ext.portid_to_mac, port_id: mac})
    if mac in _macs(ext, device):
        return ext, calls
    call = ("add", mac, device)
    calls.append(call)
    if ok(call):
        ext = replace(
            ext, device_to_macs={**ext.device_to_macs, device: (*ext.device_to_macs[device], mac)}
        )
    return ext, calls


def handle_port(
    ext: FdbExtension, details: Mapping[str, Any], ok: Outcome = lambda call: True
) -> tuple[FdbExtension, list[FdbCall]]:
    """A port reported by the agent: add its MAC to every shared PF of its physnet."""
    owner = details.get("device_owner") or ""
    if not owner.startswith(PERMITTED_DEVICE_OWNERS):
        return ext, []
    physnet = details.get("physical_network")
    if not physnet or physnet not in ext.device_mappings:
        return ext, []
    calls: list[FdbCall] = []
    for device in ext.device_mappings[physnet]:
        ext, more = _update(ext, device, details["port_id"], details["mac_address"], ok)
        calls += more
    return ext, calls


def delete_port(
    ext: FdbExtension, details: Mapping[str, Any], ok: Outcome = lambda call: True
) -> tuple[FdbExtension, list[FdbCall]]:
    """A port gone from the host: delete its MAC from every shared PF holding it."""
    return _delete(ext, ext.devices, details["port_id"], ok)
