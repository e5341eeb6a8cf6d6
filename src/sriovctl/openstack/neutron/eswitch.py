"""neutron's embedded-switch bookkeeping (``EmbSwitch``, ``ESwitchManager``) as values.

The agent keeps, per physnet, the PFs it manages and, per VF PCI slot, the PF that
owns it. A PF is taken on only when all its VFs have appeared (``sriov_numvfs`` equals
the number of ``virtfn`` links); a PF with 0 VFs is accepted on its second sighting;
a PF whose ``device`` directory vanished (passed through whole) is dropped. Here that
state is an immutable :class:`ESwitch`, each step returns a new one, and changes to a
VF come back as requests instead of being sent. ``view`` is anything shaped like
:class:`~sriovctl.openstack.neutron.sysfs.SysfsView`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple, Optional, Protocol

from sriovctl.openstack.neutron.errors import InvalidPciSlotError
from sriovctl.openstack.neutron.pci_lib import (
    RATE_TYPES,
    VfInfo,
    get_assigned_macs,
    get_vf_state,
    rates_to_set,
    set_vf_spoofcheck_request,
    set_vf_state_request,
)


class DeviceInfo(NamedTuple):
    """A port's device as the agent identifies it: the VF's MAC *and* PCI slot."""

    mac: str
    pci_slot: Optional[str]


class HostView(Protocol):
    def pf_device_exists(self, pf: str) -> bool: ...
    def scan_vf_devices(self, pf: str) -> list[tuple[str, int]]: ...
    def get_numvfs(self, pf: str) -> int: ...
    def is_assigned_vf_direct(self, pf: str, vf_index: int) -> bool: ...
    def get_vf_macvtap_upper_devs(self, pf: str, vf_index: int) -> list[str]: ...
    def get_vfs(self, pf: str) -> Mapping[int, VfInfo]: ...
    def link_address(self, netdev: str) -> Optional[str]: ...


@dataclass(frozen=True)
class EmbSwitch:
    """One managed PF: its scanned VFs and the non-excluded ones by PCI slot."""

    dev_name: str
    scanned: tuple[tuple[str, int], ...]
    pci_slot_map: Mapping[str, int]


@dataclass(frozen=True)
class VfRequest:
    """A VF change the agent would send: ``payload`` is the RTM_SETLINK ``vf`` attribute."""

    pf: str
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class RateChange:
    """A rate change at the ESwitchManager level, still in kbps (see emb_set_device_rate)."""

    pf: str
    pci_slot: str
    rates_kbps: Mapping[str, int]


@dataclass(frozen=True)
class ESwitch:
    """``ESwitchManager`` state: PFs per physnet, owning PF per VF slot, PFs skipped once."""

    emb_switches_map: Mapping[str, tuple[EmbSwitch, ...]] = field(default_factory=dict)
    pci_slot_map: Mapping[str, EmbSwitch] = field(default_factory=dict)
    skipped_devices: frozenset[str] = frozenset()


def make_emb_switch(view: HostView, dev_name: str, exclude: Iterable[str] = ()) -> EmbSwitch:
    """Scan a PF; raises InvalidDeviceError when its ``device`` directory is missing."""
    scanned = tuple(view.scan_vf_devices(dev_name))
    excluded = set(exclude)
    return EmbSwitch(
        dev_name, scanned, {slot: index for slot, index in scanned if slot not in excluded}
    )


def vf_index(emb: EmbSwitch, pci_slot: str) -> int:
    """The VF index of a managed slot; unknown or excluded slot -> InvalidPciSlotError."""
    index = emb.pci_slot_map.get(pci_slot)
    if index is None:
        raise InvalidPciSlotError(
            f"Invalid pci slot {pci_slot}",
            fix=f"{pci_slot} is not a managed VF of {emb.dev_name} (excluded, or not a VF)",
        )
    return index


def emb_get_pci_device(view: HostView, emb: EmbSwitch, pci_slot: str) -> Optional[str]:
    """The MAC of an *assigned* VF, else ``None``.

    Direct-assigned (no host netdev): the administrative MAC the PF reports.
    macvtap: the macvtap netdev's own address. Otherwise (VF idle in the host): None.
    """
    if not view.pf_device_exists(emb.dev_name):
        return None
    index = emb.pci_slot_map.get(pci_slot)
    if index is None:
        return None
    if view.is_assigned_vf_direct(emb.dev_name, index):
        return get_assigned_macs(view.get_vfs(emb.dev_name), [index]).get(index)
    uppers = view.get_vf_macvtap_upper_devs(emb.dev_name, index)
    if uppers:
        return view.link_address(uppers[0])
    return None


def emb_get_assigned_devices_info(view: HostView, emb: EmbSwitch) -> list[DeviceInfo]:
    """``(mac, pci_slot)`` of every assigned VF of the PF (an empty MAC string is not)."""
    devices = []
    for pci_slot in emb.pci_slot_map:
        mac = emb_get_pci_device(view, emb, pci_slot)
        if mac:
            devices.append(DeviceInfo(mac, pci_slot))
    return devices


def emb_get_device_state(view: HostView, emb: EmbSwitch, pci_slot: str) -> str:
    return get_vf_state(view.get_vfs(emb.dev_name), vf_index(emb, pci_slot))


def emb_set_device_state(emb: EmbSwitch, pci_slot: str, state: bool, propagate: bool) -> VfRequest:
    return VfRequest(
        emb.dev_name, set_vf_state_request(vf_index(emb, pci_slot), state, auto=propagate)
    )


def emb_set_device_spoofcheck(emb: EmbSwitch, pci_slot: str, enabled: bool) -> VfRequest:
    return VfRequest(emb.dev_name, set_vf_spoofcheck_request(vf_index(emb, pci_slot), enabled))


def emb_set_device_rate(
    view: HostView, emb: EmbSwitch, pci_slot: str, rates_kbps: Mapping[str, int]
) -> tuple[int, dict[str, int]]:
    """``(vf_index, rates in Mbps)`` neutron passes to ``set_vf_rate``."""
    index = vf_index(emb, pci_slot)
    # Only a missing rate type needs the VF's current value (see rates_to_set).
    missing = set(RATE_TYPES) - set(rates_kbps)
    current = view.get_vfs(emb.dev_name).get(index) if missing else None
    return index, rates_to_set(rates_kbps, current)


def create_emb_switch(
    state: ESwitch, view: HostView, physnet: str, dev_name: str, exclude: Iterable[str] = ()
) -> ESwitch:
    """Take a PF on, or remember that it is not ready yet."""
    emb = make_emb_switch(view, dev_name, exclude)
    numvfs = view.get_numvfs(dev_name)
    if numvfs == 0 and dev_name not in state.skipped_devices:
        # sriov_numvfs may still be 0 while the device comes up: one more chance.
        return replace(state, skipped_devices=state.skipped_devices | {dev_name})
    if 0 <= numvfs and numvfs > len(emb.scanned):
        # Not all VFs are visible yet; retried on the next polling cycle.
        return replace(state, skipped_devices=state.skipped_devices | {dev_name})
    switches = dict(state.emb_switches_map)
    switches[physnet] = (*switches.get(physnet, ()), emb)
    slots = dict(state.pci_slot_map)
    slots.update({slot: emb for slot in emb.pci_slot_map})
    return ESwitch(switches, slots, state.skipped_devices - {dev_name})


def process_emb_switch_map(
    state: ESwitch,
    view: HostView,
    physnet: str,
    dev_name: str,
    exclude: Mapping[str, Iterable[str]],
) -> ESwitch:
    """One (physnet, PF) of one polling cycle: keep, drop a vanished PF, or take a new one."""
    known = state.emb_switches_map.get(physnet, ())
    for emb in known:
        if emb.dev_name == dev_name:
            if view.pf_device_exists(dev_name):
                return state
            # The PF went to a VM whole. neutron leaves its slots in pci_slot_map.
            switches = dict(state.emb_switches_map)
            switches[physnet] = tuple(e for e in known if e is not emb)
            return replace(state, emb_switches_map=switches)
    if view.pf_device_exists(dev_name):
        return create_emb_switch(state, view, physnet, dev_name, exclude.get(dev_name, ()))
    return state


def discover_devices(
    state: ESwitch,
    view: HostView,
    device_mappings: Mapping[str, Iterable[str]],
    exclude_devices: Optional[Mapping[str, Iterable[str]]] = None,
) -> ESwitch:
    """What the agent does at start and at the top of every polling cycle."""
    for physnet, dev_names in device_mappings.items():
        for dev_name in dev_names:
            state = process_emb_switch_map(state, view, physnet, dev_name, exclude_devices or {})
    return state


def get_emb_eswitch(state: ESwitch, view: HostView, mac: str, pci_slot: str) -> Optional[EmbSwitch]:
    """The PF owning ``pci_slot`` if the VF currently carries ``mac``, else None."""
    emb = state.pci_slot_map.get(pci_slot)
    if emb is not None and emb_get_pci_device(view, emb, pci_slot) != mac:
        return None  # neutron logs "device pci mismatch: <mac> - <pci>"
    return emb


def device_exists(state: ESwitch, view: HostView, mac: str, pci_slot: str) -> bool:
    return get_emb_eswitch(state, view, mac, pci_slot) is not None


def get_assigned_devices_info(
    state: ESwitch, view: HostView, physnet: Optional[str] = None
) -> set[DeviceInfo]:
    """Every assigned ``(mac, pci_slot)`` on managed PFs (of one physnet if given)."""
    if physnet:
        switches: Iterable[EmbSwitch] = state.emb_switches_map.get(physnet, ())
    else:
        switches = [emb for embs in state.emb_switches_map.values() for emb in embs]
    return {device for emb in switches for device in emb_get_assigned_devices_info(view, emb)}


def get_device_state(state: ESwitch, view: HostView, mac: str, pci_slot: str) -> str:
    emb = get_emb_eswitch(state, view, mac, pci_slot)
    return emb_get_device_state(view, emb, pci_slot) if emb else "disable"


def set_device_state(
    state: ESwitch, view: HostView, mac: str, pci_slot: str, admin_state_up: bool, propagate: bool
) -> Optional[VfRequest]:
    emb = get_emb_eswitch(state, view, mac, pci_slot)
    return emb_set_device_state(emb, pci_slot, admin_state_up, propagate) if emb else None


def set_device_spoofcheck(
    state: ESwitch, view: HostView, mac: str, pci_slot: str, enabled: bool
) -> Optional[VfRequest]:
    emb = get_emb_eswitch(state, view, mac, pci_slot)
    return emb_set_device_spoofcheck(emb, pci_slot, enabled) if emb else None


def set_device_rate(
    state: ESwitch, view: HostView, mac: str, pci_slot: str, rate_type: str, kbps: int
) -> Optional[RateChange]:
    """``set_device_max_rate`` (``max_tx_rate``) / ``set_device_min_tx_rate`` (``min_tx_rate``)."""
    emb = get_emb_eswitch(state, view, mac, pci_slot)
    return RateChange(emb.dev_name, pci_slot, {rate_type: kbps}) if emb else None


def clear_rate(
    state: ESwitch, view: HostView, pci_slot: str, rate_type: str
) -> Optional[RateChange]:
    """Reset one rate of a released VF by slot; skipped while the VF is assigned."""
    emb = state.pci_slot_map.get(pci_slot)
    if emb is None or emb_get_pci_device(view, emb, pci_slot) is not None:
        return None
    return RateChange(emb.dev_name, pci_slot, {rate_type: 0})
