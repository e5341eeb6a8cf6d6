"""One polling cycle of ``neutron-sriov-nic-agent`` and its RPC handlers, as values.

Every ``polling_interval`` the agent compares the assigned VFs it sees (``current``)
with those it already reported (``registered``), asks neutron-server for the details
of new or updated ones, programs spoofcheck and link state, and reports them up or
down. A port's device is the pair (MAC, PCI slot): a VF whose MAC differs from the
port's is "absent", so the port stays DOWN and the cycle ends in a resync.

The functions take what the agent would have learnt (RPC replies, whether a device
exists) and return what it would do, so a twin or a test can drive them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional

from sriovctl.openstack.neutron.eswitch import DeviceInfo

#: ``{network_id: ((port_id, device), ...)}``: the agent's record of bound VFs.
NetworkPorts = Mapping[str, tuple[tuple[str, DeviceInfo], ...]]
#: Errors of ``set_device_state`` the agent shrugs off (NIC cannot change link state).
TOLERATED_STATE_ERRORS = frozenset({"InterfaceOperationNotSupported"})


def _devices(items: Iterable[Any]) -> frozenset[DeviceInfo]:
    return frozenset(DeviceInfo(*item) for item in items)


@dataclass(frozen=True)
class DeviceScan:
    current: frozenset[DeviceInfo]
    added: frozenset[DeviceInfo]
    removed: frozenset[DeviceInfo]
    updated: frozenset[DeviceInfo]

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def scan_devices(
    registered: Iterable[Any], updated: Iterable[Any], current: Iterable[Any]
) -> DeviceScan:
    """Split the assigned VFs into added / removed / updated (updates of gone VFs dropped)."""
    reg, upd, cur = _devices(registered), _devices(updated), _devices(current)
    removed = reg - cur
    return DeviceScan(cur, cur - reg, removed, upd & (cur - removed))


def process_activated_bindings(scan: DeviceScan, activated: Iterable[Any]) -> DeviceScan:
    """Ports whose binding was activated here (live migration) count as just added."""
    return DeviceScan(
        scan.current, scan.added | (_devices(activated) & scan.current), scan.removed, scan.updated
    )


def update_network_ports(ports: NetworkPorts, network_id: str, port_id: str, device: Any) -> dict:
    """Record ``device`` under ``network_id``, first removing it from wherever it was."""
    cleaned, _ = clean_network_ports(ports, device)
    result = dict(cleaned)
    result[network_id] = (*result.get(network_id, ()), (port_id, DeviceInfo(*device)))
    return result


def clean_network_ports(ports: NetworkPorts, device: Any) -> tuple[dict, Optional[str]]:
    """Forget the first record of ``device``; return the new map and its port id (or None)."""
    dev = DeviceInfo(*device)
    result = {net: tuple(entries) for net, entries in ports.items()}
    for net, entries in result.items():
        for entry in entries:
            if entry[1] == dev:
                remaining = tuple(e for e in entries if e is not entry)
                if remaining:
                    result[net] = remaining
                else:
                    del result[net]  # neutron drops networks left without ports
                return result, entry[0]
    return result, None


@dataclass(frozen=True)
class TreatDevice:
    ok: bool
    spoofcheck: Optional[tuple[str, Optional[str], bool]] = None
    state: Optional[tuple[str, Optional[str], bool, bool]] = None


def treat_device(
    device: Any,
    admin_state_up: bool,
    spoofcheck: bool = True,
    propagate_uplink_status: bool = False,
    *,
    device_exists: bool,
    set_state_error: Optional[str] = None,
) -> TreatDevice:
    """Program one VF: spoofcheck (failures only logged), then link state.

    ``set_state_error`` names the error setting the link state raised, if any:
    InterfaceOperationNotSupported is tolerated, anything else fails the device.
    """
    dev = DeviceInfo(*device)
    if not device_exists:
        return TreatDevice(False)
    ok = set_state_error is None or set_state_error in TOLERATED_STATE_ERRORS
    return TreatDevice(
        ok,
        spoofcheck=(dev.mac, dev.pci_slot, spoofcheck),
        state=(dev.mac, dev.pci_slot, admin_state_up, propagate_uplink_status),
    )


@dataclass(frozen=True)
class AddedUpdated:
    resync: bool
    network_ports: Mapping
    spoofcheck_calls: tuple = ()
    state_calls: tuple = ()
    devices_up: frozenset[DeviceInfo] = frozenset()
    devices_down: frozenset[DeviceInfo] = frozenset()
    handled_ports: tuple[Mapping[str, Any], ...] = ()
    reported: bool = False


def treat_devices_added_updated(
    rpc_details: Optional[Sequence[Mapping[str, Any]]],
    network_ports: NetworkPorts,
    device_exists: Callable[[DeviceInfo], bool],
    set_state_errors: Optional[Mapping[Any, str]] = None,
) -> AddedUpdated:
    """Handle the server's ``get_devices_details_list`` reply (``None`` = the RPC failed).

    Replies without ``port_id`` (unbound port, or ``no_active_binding``) are skipped.
    Every handled port is recorded under its network and passed to the extensions
    (``handled_ports``), even when programming the VF failed; then one
    ``update_device_list(up, down)`` is sent (``reported``).
    """
    if rpc_details is None:
        return AddedUpdated(resync=True, network_ports=network_ports)
    errors = {DeviceInfo(*k): v for k, v in (set_state_errors or {}).items()}
    ports, spoof, state, handled = network_ports, [], [], []
    up: set[DeviceInfo] = set()
    down: set[DeviceInfo] = set()
    resync = False
    for details in rpc_details:
        if "port_id" not in details:
            continue
        dev = DeviceInfo(details["device"], (details.get("profile") or {}).get("pci_slot"))
        outcome = treat_device(
            dev,
            details["admin_state_up"],
            details.get("port_security_enabled", True),
            details.get("propagate_uplink_status", False),
            device_exists=device_exists(dev),
            set_state_error=errors.get(dev),
        )
        spoof += [outcome.spoofcheck] if outcome.spoofcheck else []
        state += [outcome.state] if outcome.state else []
        if outcome.ok:
            (up if details["admin_state_up"] else down).add(dev)
        else:
            resync = True
        ports = update_network_ports(ports, details["network_id"], details["port_id"], dev)
        handled.append(details)
    return AddedUpdated(
        resync,
        ports,
        tuple(spoof),
        tuple(state),
        frozenset(up),
        frozenset(down),
        tuple(handled),
        True,
    )


@dataclass(frozen=True)
class Removed:
    resync: bool
    network_ports: Mapping
    extension_deletes: tuple[Mapping[str, Any], ...] = ()
    device_down_calls: tuple[DeviceInfo, ...] = ()


def treat_devices_removed(
    devices: Iterable[Any],
    network_ports: NetworkPorts,
    update_device_down: Callable[[DeviceInfo], Mapping[str, Any]],
) -> Removed:
    """Forget gone VFs, tell the extensions, report each down; a failing RPC -> resync.

    ``update_device_down`` stands for the RPC; whatever it raises marks a resync and the
    loop continues with the next device, as in neutron.
    """
    ports, deletes, calls, resync = network_ports, [], [], False
    for dev in sorted(_devices(devices), key=lambda d: (d.mac, str(d.pci_slot))):
        ports, port_id = clean_network_ports(ports, dev)
        if port_id:
            deletes.append(
                {"port_id": port_id, "device": dev.mac, "profile": {"pci_slot": dev.pci_slot}}
            )
        calls.append(dev)
        try:
            update_device_down(dev)
        except Exception:  # noqa: BLE001 - neutron treats any failure here as "resync"
            resync = True
    return Removed(resync, ports, tuple(deletes), tuple(calls))


@dataclass(frozen=True)
class Processed:
    """One ``process_network_devices``: what was treated and whether to resync."""

    resync: bool
    network_ports: Mapping
    added_updated: Optional[AddedUpdated] = None
    removed: Optional[Removed] = None


def process_network_devices(
    scan: DeviceScan,
    network_ports: NetworkPorts,
    get_devices_details: Callable[[frozenset[DeviceInfo]], Optional[Sequence[Mapping[str, Any]]]],
    device_exists: Callable[[DeviceInfo], bool],
    update_device_down: Callable[[DeviceInfo], Mapping[str, Any]],
) -> Processed:
    """Added and updated VFs are treated together (a set union), then removed ones.

    ``get_devices_details`` stands for the RPC (None = it failed). Either half asking
    for a resync makes the whole cycle resync; both halves always run.
    """
    ports: Mapping = network_ports
    treated = removed = None
    resync = False
    devices = scan.added | scan.updated
    if devices:
        treated = treat_devices_added_updated(get_devices_details(devices), ports, device_exists)
        ports, resync = treated.network_ports, treated.resync
    if scan.removed:
        removed = treat_devices_removed(scan.removed, ports, update_device_down)
        ports, resync = removed.network_ports, resync or removed.resync
    return Processed(resync, ports, treated, removed)


def port_update(port: Mapping[str, Any]) -> Optional[DeviceInfo]:
    """``port_update`` RPC: the device to re-process, or None (PF port, or no pci_slot yet)."""
    if port.get("binding:vnic_type") == "direct-physical":
        return None
    pci_slot = (port.get("binding:profile") or {}).get("pci_slot")
    return DeviceInfo(port["mac_address"], pci_slot) if pci_slot else None


def network_update(network_ports: NetworkPorts, network_id: str) -> frozenset[DeviceInfo]:
    """``network_update`` RPC: every device the agent recorded on that network."""
    return frozenset(DeviceInfo(*dev) for _, dev in network_ports.get(network_id, ()))


@dataclass(frozen=True)
class BindingActivation:
    device: Optional[DeviceInfo] = None
    warning: Optional[str] = None


def binding_activate(
    agent_host: str,
    host: Optional[str],
    port_id: str,
    network_ports: NetworkPorts,
    get_device_details: Callable[[str], Mapping[str, Any]],
) -> BindingActivation:
    """``binding_activate`` RPC: only for this host and only for a port the agent knows."""
    if host != agent_host:
        return BindingActivation()
    if not any(pid == port_id for entries in network_ports.values() for pid, _ in entries):
        return BindingActivation(
            warning=f"This port is not SRIOV, skip binding for port {port_id}."
        )
    details = get_device_details(port_id)
    profile = details.get("profile")
    if not profile:
        return BindingActivation(warning=f"binding_profile not found for port {port_id}.")
    return BindingActivation(DeviceInfo(details.get("mac_address"), profile.get("pci_slot")))
