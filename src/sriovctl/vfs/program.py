"""Programming VF settings through the PF over netlink: `sriovctl vfs vf PF N mac ... vlan ...`.

Checked whole before anything is sent: the VF exists, the PF has a netdev, and the driver's
capability table allows every setting; then one step per VF that differs, each one
RTM_SETLINK carrying only the changed attributes, verified by reading them back, undone by
setting the previous values.
"""

from __future__ import annotations

from typing import Any, Optional

from sriovctl.changes.step import Plan, Step
from sriovctl.errors import ChangeFailed, InputError
from sriovctl.host.model import Host, PciDevice, VfSettings
from sriovctl.vfs.capabilities import ZERO_MAC, caps_for, refusals
from sriovctl.vfs.context import Env, pf_label
from sriovctl.vfs.explain import vf_setting_error
from sriovctl.vfs.settings import VfConfig, differences, have_fields, show, wanted_fields


def plan_settings(env: Env, host: Host, pf: PciDevice, wanted: dict[int, VfConfig],
                  count: Optional[int] = None) -> Plan:
    """`count` is the VF count the plan will have made (when it runs after a resize)."""
    name = pf_label(pf)
    if not pf.netdevs:
        raise InputError(f"{pf.address} has no netdev: VF settings go through the PF's netdev",
                         fix="bind the PF to its network driver (is it passed to a guest?)")
    numvfs = count if count is not None else (pf.sriov.numvfs if pf.sriov else 0) or 0
    bad = sorted(i for i in wanted if not 0 <= i < numvfs)
    if bad:
        raise InputError(f"{name} has {numvfs} VFs; there is no VF {bad[0]}",
                         fix=f"use VF 0..{numvfs - 1}" if numvfs else
                         f"create VFs first: sriovctl vfs set {name} N")
    caps = caps_for(pf.driver)
    netdev = host.netdevs.get(name)
    link_up = None if netdev is None or netdev.operstate is None else netdev.operstate == "up"
    problems = []
    for index, config in sorted(wanted.items()):
        problems += [f"VF {index}: {r}" for r in refusals(caps, config.to_dict(), link_up)]
    if problems:
        raise InputError(f"{name} ({caps.driver}) cannot take these settings, nothing was "
                         f"written: {'; '.join(problems)}")
    current = {s.index: s for s in host.vf_settings.get(name, ())} if count is None else {}
    plan = Plan(f"{name}: VF settings", state=lambda: settings_state(env, pf, wanted))
    for index, config in sorted(wanted.items()):
        delta = differences(config, current.get(index))
        if not delta:
            plan.notes.append(f"{name} VF {index} already has "
                              + " ".join(f"{k} {show(v)}" for k, v in config.to_dict().items()))
            continue
        plan.add(SetVf(env, pf, index, config, current.get(index)))
    return plan


def request_for(config: VfConfig, delta_keys: set[str], have: Optional[VfSettings]
                ) -> dict[str, Any]:
    """The attributes to send for the changed keys of `config`."""
    values = dict(have_fields(have), **wanted_fields(config))
    return with_partners(values, delta_keys)


def with_partners(values: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    """`keys` taken from `values`, plus their netlink partners: vlan travels with its qos and
    proto (IFLA_VF_VLAN), and IFLA_VF_RATE carries both rates."""
    send = {k: values.get(k) for k in keys}
    if keys & {"vlan", "qos", "vlan_proto"}:
        send.update(vlan=values.get("vlan") or 0, qos=values.get("qos") or 0,
                    vlan_proto=values.get("vlan_proto"))
    if keys & {"min_tx_rate", "max_tx_rate"}:
        send.update(min_tx_rate=values.get("min_tx_rate") or 0,
                    max_tx_rate=values.get("max_tx_rate") or 0)
    return send


class SetVf(Step):
    def __init__(self, env: Env, pf: PciDevice, index: int, config: VfConfig,
                 before: Optional[VfSettings]):
        self.env, self.pf, self.index, self.config, self.before = env, pf, index, config, before
        self.name = pf_label(pf)
        self.sent: dict[str, Any] = {}

    def describe(self) -> str:
        words = " ".join(f"{k} {show(v)}" for k, v in self.config.to_dict().items())
        return f"{self.name}: vf {self.index} {words}"

    def apply(self) -> None:
        if self.before is None:  # planned before the VF existed: read it now
            self.before = _vf(self.env, self.name, self.index)
        delta = differences(self.config, self.before)
        self.sent = request_for(self.config, set(delta), self.before)
        if self.sent:
            self.env.netlink.set_vf(self.name, self.index, self.sent)

    def verify(self) -> None:
        now = have_fields(_vf(self.env, self.name, self.index))
        wrong = [f"{k} is {show(now.get(k))}, not {show(v)}"
                 for k, v in wanted_fields(self.config).items()
                 if now.get(k) is not None and now.get(k) != v]
        if wrong:
            raise ChangeFailed(f"{self.name} VF {self.index}: the driver accepted the settings "
                               f"but reports {'; '.join(wrong)}")

    def undo(self) -> None:
        if not self.sent or self.before is None:
            return
        old = have_fields(self.before)
        if old.get("mac") == ZERO_MAC and not caps_for(self.pf.driver).zero_mac:
            old.pop("mac")  # the driver cannot take the zero MAC back; leave the new one
        current = have_fields(_vf(self.env, self.name, self.index))
        changed = {k for k in self.sent if old.get(k) is not None and current.get(k) != old[k]}
        if changed:
            self.env.netlink.set_vf(self.name, self.index, with_partners(old, changed))

    def explain(self, error: BaseException) -> tuple[str, Optional[str]]:
        if isinstance(error, OSError):
            return vf_setting_error(error, self.name, self.index, sorted(self.sent),
                                    self.pf.driver)
        return super().explain(error)


def _vf(env: Env, pf: str, index: int) -> Optional[VfSettings]:
    return next((s for s in env.netlink.vfs(pf) if s.index == index), None)


def settings_state(env: Env, pf: PciDevice, wanted: dict[int, VfConfig]) -> str:
    name = pf_label(pf)
    vfs = {s.index: s for s in env.netlink.vfs(name)}
    parts = []
    for index in sorted(wanted):
        have = have_fields(vfs.get(index))
        keys = wanted_fields(wanted[index])
        parts.append(f"VF {index} " + " ".join(f"{k} {show(have.get(k))}" for k in keys))
    return f"{name}: " + "; ".join(parts)
