"""Moving a VF to vfio-pci and back: `sriovctl vfs bind VF vfio-pci|default`.

The kernel's own mechanism, nothing persistent (nova/libvirt with managed='yes' do the
same at instance start): driver_override names the driver, unbind releases the device,
drivers_probe lets the named driver (or, with the override cleared, the default one) take
it. Undo is the same dance back to the driver the VF had.
"""

from __future__ import annotations

from typing import Optional

from sriovctl.changes.commands import RunCommand
from sriovctl.changes.step import Plan, Step
from sriovctl.changes.wait import wait_until
from sriovctl.errors import ChangeFailed, InputError
from sriovctl.host.model import Host, PciDevice, normalize_address
from sriovctl.vfs.capabilities import caps_for
from sriovctl.vfs.context import Env
from sriovctl.vfs.explain import bind_error
from sriovctl.vfs.usage import vf_users

VFIO = "vfio-pci"
DRIVERS = "/sys/bus/pci/drivers"


def find_vf(host: Host, spec: str) -> PciDevice:
    """A VF by PCI address, VF netdev, or PF/INDEX (enp1s0/3)."""
    if "/" in spec:
        pf_name, _, index = spec.rpartition("/")
        pf = host.find_pf(pf_name)
        if pf is not None and index.isdigit():
            for i, address in pf.virtfns:
                if i == int(index) and address in host.devices:
                    return host.devices[address]
    address = normalize_address(spec)
    dev = host.devices.get(address or "")
    if dev is None:
        dev = next((d for d in host.devices.values() if spec in d.netdevs), None)
    if dev is None or not dev.is_vf:
        raise InputError(f"no VF {spec!r} on this host",
                         fix="give a VF's PCI address (0000:01:10.0), netdev, or PF/INDEX")
    return dev


def default_driver(host: Host, vf: PciDevice) -> Optional[str]:
    pf = host.devices.get(vf.physfn or "")
    return caps_for(pf.driver if pf else None).vf_driver


def load_vfio(env: Env, why: str) -> RunCommand:
    return RunCommand(env.commands, ["modprobe", VFIO], why=why,
                      fix="dmesg and /etc/modprobe.d say why vfio-pci does not load (a "
                          "blacklist or install line; an IOMMU that is off)")


def plan_bind(env: Env, host: Host, vf: PciDevice, target: str, force: bool = False) -> Plan:
    default = default_driver(host, vf)
    driver = VFIO if target == VFIO else default
    label = vf.netdevs[0] if vf.netdevs else vf.address
    plan = Plan(f"{vf.address} -> {target}")
    on_default = vf.driver not in (None, VFIO) and default in (None, vf.driver)
    if (target == VFIO and vf.driver == VFIO) or (target == "default" and on_default):
        plan.notes.append(f"{vf.address} is already bound to {vf.driver}")
        return plan
    pf = host.devices[vf.physfn or ""]
    users = [u for u in vf_users(host, pf, env.reader()) if u.address == vf.address
             and not u.reason.startswith("bound to ")]
    if users and not force:
        raise ChangeFailed(f"refusing to rebind {label}: it " + "; ".join(
            u.reason for u in users), fix="stop that user first, or pass --force")
    if target == VFIO and not env.reader().exists(f"{DRIVERS}/{VFIO}"):
        plan.add(load_vfio(env, "vfio-pci is not loaded"))
    plan.add(Rebind(env, vf.address, driver, vf.driver, vf.driver_override))
    return plan


class Rebind(Step):
    def __init__(self, env: Env, address: str, driver: Optional[str], old_driver: Optional[str],
                 old_override: Optional[str]):
        self.env, self.address, self.driver = env, address, driver
        self.old_driver, self.old_override = old_driver, old_override
        self.base = f"/sys/bus/pci/devices/{address}"
        self.started = False

    def describe(self) -> str:
        override = self.driver if self.driver == VFIO else "(cleared)"
        return (f"{self.address}: driver_override {override}, unbind from "
                f"{self.old_driver or 'no driver'}, drivers_probe -> {self.driver or 'default'}")

    def apply(self) -> None:
        self.started = True
        self._move(self.driver if self.driver == VFIO else "", self.driver)

    def _move(self, override: str, expect: Optional[str]) -> None:
        sysfs = self.env.sysfs
        sysfs.write(f"{self.base}/driver_override", override or "\n", 10)
        current = self.env.reader().link_name(f"{self.base}/driver")
        if current:
            sysfs.write(f"{DRIVERS}/{current}/unbind", self.address, 30)
        sysfs.write("/sys/bus/pci/drivers_probe", self.address, 30)
        wait_until(lambda: self._bound(expect), what=f"{self.address}: waiting for "
                   f"{expect or 'a driver'}", timeout=10, clock=self.env.clock,
                   say=self.env.say, guard=self.env.guard)

    def _bound(self, expect: Optional[str]) -> Optional[str]:
        now = self.env.reader().link_name(f"{self.base}/driver")
        if now and (expect is None or now == expect):
            return None
        return f"bound to {now or 'nothing'}"

    def undo(self) -> None:
        if not self.started:
            return
        now = self.env.reader().link_name(f"{self.base}/driver")
        if now == self.old_driver:
            return
        self._move(self.old_override or "", self.old_driver)

    def explain(self, error: BaseException) -> tuple[str, Optional[str]]:
        if isinstance(error, OSError):
            return bind_error(error, self.address, f"binding to {self.driver or 'default'}")
        return super().explain(error)


def rebind_to(env: Env, address: str, driver: str, override: Optional[str]) -> None:
    """Put a VF back on `driver` (with its old driver_override): the undo of a resize."""
    if env.reader().link_name(f"/sys/bus/pci/devices/{address}/driver") == driver:
        return
    Rebind(env, address, driver, None, None)._move(override or driver, driver)


def vfio_todo(host: Host, pf: PciDevice, indexes: list[int]) -> list[int]:
    """The VFs among `indexes` that are not on vfio-pci now."""
    by_index = dict(pf.virtfns)
    return [i for i in indexes
            if (host.devices.get(by_index.get(i, "")) is None
                or host.devices[by_index[i]].driver != VFIO)]


class BindVfs(Step):
    """Move VFs `indexes` of `pf` to vfio-pci, found by index when the step runs (a resize
    earlier in the plan creates them); each move is the VF lifecycle's Rebind, and undo
    moves them back, newest first."""

    def __init__(self, env: Env, pf: PciDevice, indexes: list[int], force: bool = False):
        self.env, self.pf, self.indexes, self.force = env, pf, indexes, force
        self.name = pf.netdevs[0] if pf.netdevs else pf.address
        self.moved: list[Step] = []

    def describe(self) -> str:
        return f"{self.name}: bind VF {span(self.indexes)} to {VFIO}"

    def refuse_if_used(self, host: Host) -> None:
        """Planning-time check on VFs that exist: rebinding a used VF takes it from its user."""
        addresses = {a for i, a in self.pf.virtfns if i in self.indexes}
        users = [u for u in vf_users(host, self.pf, self.env.reader())
                 if u.address in addresses and not u.reason.startswith("bound to ")]
        if users and not self.force:
            raise ChangeFailed(f"refusing to rebind VFs of {self.name}: "
                               + "; ".join(str(u) for u in users),
                               fix="stop those users first, or pass --force")

    def apply(self) -> None:
        host = self.env.host()
        pf = host.devices[self.pf.address]
        if not self.env.reader().exists(f"/sys/bus/pci/drivers/{VFIO}"):
            load = load_vfio(self.env, "load vfio-pci")
            load.apply()
        for index, address in pf.virtfns:
            vf = host.devices.get(address)
            if index not in self.indexes or vf is None or vf.driver == VFIO:
                continue
            step = Rebind(self.env, address, VFIO, vf.driver, vf.driver_override)
            self.moved.append(step)
            step.apply()

    def verify(self) -> None:
        host = self.env.host()
        wrong = vfio_todo(host, host.devices[self.pf.address], self.indexes)
        if wrong:
            raise ChangeFailed(f"{self.name}: VF {span(wrong)} not on {VFIO} after binding")

    def undo(self) -> None:
        for step in reversed(self.moved):
            step.undo()

    def explain(self, error: BaseException) -> tuple[str, Optional[str]]:
        if self.moved and isinstance(error, OSError):
            return self.moved[-1].explain(error)
        return super().explain(error)


def span(indexes: list[int]) -> str:
    """[0, 1, 2, 5] -> '0-2,5'"""
    ordered, out, i = sorted(indexes), [], 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        out.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(out)
