"""Drift between the state file and the host: `vfs diff` shows it, `vfs apply` removes it.

Both walk the state the same way, so what diff reports is exactly what apply would change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from sriovctl.changes.step import Plan
from sriovctl.errors import InputError
from sriovctl.host.model import Host, PciDevice
from sriovctl.vfs.binding import VFIO, BindVfs, vfio_todo
from sriovctl.vfs.context import Env
from sriovctl.vfs.count import plan_count
from sriovctl.vfs.program import plan_settings
from sriovctl.vfs.settings import differences
from sriovctl.vfs.state import PfState, State


@dataclass(frozen=True)
class Drift:
    pf: str  # PCI address
    netdev: Optional[str]
    vf: Optional[int]  # None: a PF-level field
    field: str
    want: Any
    have: Any

    def to_dict(self) -> dict:
        return {"pf": self.pf, "netdev": self.netdev, "vf": self.vf, "field": self.field,
                "want": self.want, "have": self.have}


def pf_problem(host: Host, want: PfState) -> Optional[str]:
    """Why this state entry cannot be applied to the host as it is, if it cannot."""
    dev = host.devices.get(want.address)
    label = f"PF {want.address}" + (f" ({want.netdev})" if want.netdev else "")
    if dev is None:
        return f"{label} is not on this host"
    if want.device and dev.vendor_device != want.device:
        return (f"{label} is now a {dev.vendor_device}, not the {want.device} recorded: "
                "a different card? re-record it with `sriovctl vfs set`")
    if dev.sriov is None:
        return f"{label} has no SR-IOV attributes (driver {dev.driver or 'none'} bound?)"
    return None


def drift(state: State, host: Host, only: Optional[str] = None) -> list[Drift]:
    rows: list[Drift] = []
    for address, want in sorted(state.pfs.items()):
        if only and only not in (address, want.netdev):
            continue
        problem = pf_problem(host, want)
        if problem:
            rows.append(Drift(address, want.netdev, None, "present", True, problem))
            continue
        pf = host.devices[address]
        assert pf.sriov is not None
        name = pf.netdevs[0] if pf.netdevs else want.netdev
        if want.numvfs is not None and want.numvfs != (pf.sriov.numvfs or 0):
            rows.append(Drift(address, name, None, "numvfs", want.numvfs, pf.sriov.numvfs))
        if (want.drivers_autoprobe is not None
                and want.drivers_autoprobe != pf.sriov.drivers_autoprobe):
            rows.append(Drift(address, name, None, "drivers_autoprobe", want.drivers_autoprobe,
                              pf.sriov.drivers_autoprobe))
        have = {s.index: s for s in host.vf_settings.get(name or "", ())}
        resized = want.numvfs is not None and want.numvfs != (pf.sriov.numvfs or 0)
        for index, config in sorted(want.vfs.items()):
            # a resize resets every VF: all pinned settings will be applied again
            delta = differences(config, None if resized else have.get(index))
            for key, (w, h) in _fold_vlan(delta).items():
                rows.append(Drift(address, name, index, key, w, None if resized else h))
        drivers = dict(pf.virtfns)
        for index in want.vfio:
            vf = None if resized else host.devices.get(drivers.get(index, ""))
            if vf is None or vf.driver != VFIO:
                rows.append(Drift(address, name, index, "driver", VFIO,
                                  vf.driver if vf else None))
    return rows


def _fold_vlan(delta: dict[str, tuple[Any, Any]]) -> dict[str, tuple[Any, Any]]:
    """vlan, qos and proto as one row, spelled as `ip link` does: "1000 qos 3 proto 802.1ad"."""
    keys = ("vlan", "qos", "vlan_proto")
    if not any(k in delta for k in keys):
        return delta
    want = {k: delta[k][0] for k in keys if k in delta}
    have = {k: delta[k][1] for k in keys if k in delta}
    out = {k: v for k, v in delta.items() if k not in keys}
    out["vlan"] = (_vlan_text(want), _vlan_text(have))
    return out


def _vlan_text(v: dict[str, Any]) -> Optional[str]:
    if v.get("vlan") is None and v.get("qos") is None:
        return None
    text = str(v.get("vlan", "")) if v.get("vlan") is not None else ""
    if v.get("qos"):
        text += f" qos {v['qos']}"
    if v.get("vlan_proto") not in (None, "802.1Q"):
        text += f" proto {v['vlan_proto']}"
    return text.strip() or None


def plan_apply(env: Env, state: State, host: Host, only: Optional[str] = None,
               force: bool = False, timeout: float = 60.0) -> tuple[Plan, list[str]]:
    """The plan that makes the host match the state, and the PFs it had to skip."""
    plan = Plan(f"apply {state.path}")
    skipped, states = [], []
    for address, want in sorted(state.pfs.items()):
        if only and only not in (address, want.netdev):
            continue
        problem = pf_problem(host, want)
        if problem:
            skipped.append(problem)
            continue
        sub = _plan_pf(env, host, host.devices[address], want, force, timeout, skipped)
        plan.extend(sub)
        if sub.state is not None:
            states.append(sub.state)
    if states:
        plan.state = lambda: "; ".join(s() for s in states)
    return plan, skipped


def _plan_pf(env: Env, host: Host, pf: PciDevice, want: PfState, force: bool,
             timeout: float, skipped: list[str]) -> Plan:
    assert pf.sriov is not None
    plan = Plan(f"{pf.address}")
    count = None
    if want.numvfs is not None or want.drivers_autoprobe is not None:
        target = want.numvfs if want.numvfs is not None else (pf.sriov.numvfs or 0)
        sub = plan_count(env, host, pf, target, force=force, timeout=timeout,
                         autoprobe=want.drivers_autoprobe)
        plan.extend(sub)
        plan.state = sub.state
        if target != (pf.sriov.numvfs or 0):
            count = target
    for index, config in sorted(want.vfs.items()):
        if not config:
            continue
        try:
            sub = plan_settings(env, host, pf, {index: config}, count=count)
        except InputError as e:
            # e.g. igb's max_tx_rate while the PF link is still down at boot: the VFs and
            # the other settings are applied; this one is reported, for a later `vfs apply`
            skipped.append(e.message)
            continue
        plan.extend(sub)
        plan.state = plan.state or sub.state
    todo = list(want.vfio) if count is not None else vfio_todo(host, pf, list(want.vfio))
    if todo:
        bind = BindVfs(env, pf, todo, force=force)
        bind.refuse_if_used(host)
        plan.add(bind)
    return plan
