"""Changing a PF's VF count: `sriovctl vfs set PF N`.

The PCI core refuses a change between two non-zero counts (EBUSY: "7 VFs already enabled.
Disable before enabling 3 VFs"), so a resize is 0 then N, and 0 destroys every VF. Hence:
nothing is written when the count is already N; before a 0 the VFs' users are listed and the
command refuses unless --force; the 0 step's undo re-creates the old count and puts the VF
settings back, so a failed or interrupted resize ends where it started; after N the command
waits for the virtfn links and the VF netdevs, with a deadline and progress.
"""

from __future__ import annotations

from typing import Optional

from sriovctl.changes.step import Plan, Step
from sriovctl.changes.sysfs import SysfsWrite
from sriovctl.changes.wait import wait_until
from sriovctl.errors import ChangeFailed, InputError
from sriovctl.host.model import Host, PciDevice, VfSettings
from sriovctl.vfs.binding import rebind_to
from sriovctl.vfs.capabilities import ZERO_MAC, caps_for
from sriovctl.vfs.context import Env, pf_label, sysfs_dir
from sriovctl.vfs.explain import numvfs_error
from sriovctl.vfs.program import with_partners
from sriovctl.vfs.settings import have_fields
from sriovctl.vfs.usage import vf_users

DEFAULT_WAIT = 60.0


def plan_count(env: Env, host: Host, pf: PciDevice, want: int, *, force: bool = False,
               timeout: float = DEFAULT_WAIT, autoprobe: Optional[bool] = None) -> Plan:
    assert pf.sriov is not None
    name, base = pf_label(pf), sysfs_dir(pf)
    total, current = pf.sriov.totalvfs, pf.sriov.numvfs or 0
    if want < 0:
        raise InputError(f"{want} is not a VF count")
    if total is not None and want > total:
        raise InputError(f"{name} offers at most {total} VFs (sriov_totalvfs); {want} asked",
                         fix=f"ask for 0..{total}; the driver caps TotalVFs below what the "
                         "config space may say")
    plan = Plan(f"{name}: {current} -> {want} VFs", state=lambda: count_state(env, pf))
    if autoprobe is not None and autoprobe != pf.sriov.drivers_autoprobe:
        plan.add(SysfsWrite(env.sysfs, f"{base}/sriov_drivers_autoprobe", "1" if autoprobe
                            else "0", f"{name}: sriov_drivers_autoprobe -> "
                            f"{'1' if autoprobe else '0'} (drivers bind new VFs: "
                            f"{'yes' if autoprobe else 'no'})"))
        if current == want:
            plan.notes.append(f"{name}: autoprobe applies to VFs created from now on")
    if current == want:
        plan.notes.append(f"{name} already has {want} VFs; sriov_numvfs not written")
        return plan
    if current:
        users = vf_users(host, pf, env.reader())
        if users and not force:
            raise ChangeFailed(
                f"refusing to change {name} from {current} to {want} VFs: the kernel only "
                f"resizes through 0, which would take VFs from their users: "
                + "; ".join(str(u) for u in users),
                fix="stop or move those users first, or pass --force to take the VFs anyway")
        if users:
            plan.notes.append("--force: taking VFs from " + "; ".join(str(u) for u in users))
        before = {s.index: s for s in host.vf_settings.get(name, ())}
        plan.add(RemoveVfs(env, pf, current, before, timeout, guest_drivers(host, pf)))
    if want:
        plan.add(SysfsWrite(
            env.sysfs, f"{base}/sriov_numvfs", str(want), f"{name}: sriov_numvfs -> {want}",
            timeout=timeout, undo_value="0",
            explain_errno=lambda e: numvfs_error(e, name, want, total)))
        probe = autoprobe if autoprobe is not None else pf.sriov.drivers_autoprobe
        plan.add(WaitForVfs(env, pf, want, timeout, netdevs=probe is not False))
    return plan


def guest_drivers(host: Host, pf: PciDevice) -> dict[str, tuple[str, Optional[str]]]:
    """VF address -> (driver, driver_override) for VFs not on the PF's usual VF driver
    (vfio-pci for a DPDK guest, pci-stub): re-creation binds every VF to the default one."""
    default = caps_for(pf.driver).vf_driver
    out = {}
    for _, address in pf.virtfns:
        vf = host.devices.get(address)
        if vf is not None and vf.driver and vf.driver != default:
            out[address] = (vf.driver, vf.driver_override)
    return out


class RemoveVfs(Step):
    """sriov_numvfs -> 0 and wait until the VFs are gone; undo brings them back as they were:
    the count, the settings, and the drivers of VFs that were on vfio-pci or the like."""

    def __init__(self, env: Env, pf: PciDevice, count: int, before: dict[int, VfSettings],
                 timeout: float, drivers: Optional[dict[str, tuple[str, Optional[str]]]] = None):
        self.env, self.pf, self.count, self.before, self.timeout = env, pf, count, before, timeout
        self.drivers = drivers or {}
        self.path = f"{sysfs_dir(pf)}/sriov_numvfs"

    def describe(self) -> str:
        return (f"{pf_label(self.pf)}: sriov_numvfs -> 0 (the kernel resizes only through 0; "
                f"removes {self.count} VFs and resets their settings)")

    def apply(self) -> None:
        self.env.sysfs.write(self.path, "0", self.timeout)
        wait_for_count(self.env, self.pf, 0, self.timeout, netdevs=False)

    def undo(self) -> None:
        if _numvfs(self.env, self.pf) == self.count:
            return
        if _numvfs(self.env, self.pf):
            self.env.sysfs.write(self.path, "0", self.timeout)
        self.env.sysfs.write(self.path, str(self.count), self.timeout)
        wait_for_count(self.env, self.pf, self.count, self.timeout, netdevs=True)
        restore_settings(self.env, self.pf, self.before)
        for address, (driver, override) in sorted(self.drivers.items()):
            rebind_to(self.env, address, driver, override)  # VF addresses survive re-creation

    def explain(self, error: BaseException) -> tuple[str, Optional[str]]:
        if isinstance(error, OSError):
            return numvfs_error(error, pf_label(self.pf), 0, None)
        return super().explain(error)


class WaitForVfs(Step):
    changes = False

    def __init__(self, env: Env, pf: PciDevice, count: int, timeout: float, netdevs: bool):
        self.env, self.pf, self.count, self.timeout, self.netdevs = env, pf, count, timeout, netdevs

    def describe(self) -> str:
        what = "virtfn links and VF netdevs" if self.netdevs else "virtfn links"
        return f"{pf_label(self.pf)}: wait for {self.count} {what} (up to {self.timeout:.0f} s)"

    def apply(self) -> None:
        wait_for_count(self.env, self.pf, self.count, self.timeout, self.netdevs)


def wait_for_count(env: Env, pf: PciDevice, count: int, timeout: float, netdevs: bool) -> None:
    vf_driver = caps_for(pf.driver).vf_driver
    wait_until(lambda: vf_readiness(env, pf, count, netdevs, vf_driver),
               what=f"{pf_label(pf)}: waiting for {count} VFs", timeout=timeout,
               clock=env.clock, say=env.say, guard=env.guard,
               fix="check dmesg for the VF driver; raise --timeout (some NICs take minutes)")


def vf_readiness(env: Env, pf: PciDevice, count: int, netdevs: bool,
                 vf_driver: Optional[str]) -> Optional[str]:
    """None when the PF has exactly `count` VFs, each with a netdev (or a non-netdev driver)."""
    root, base = env.reader(), sysfs_dir(pf)
    links = [n for n in root.listdir(base) if n.startswith("virtfn")]
    if len(links) != count:
        return f"{len(links)}/{count} virtfn links"
    if not netdevs:
        return None
    missing, unnamed = [], []
    udev = root.exists("/run/udev/control")
    for link in sorted(links, key=lambda n: int(n[6:])):
        driver = root.link_name(f"{base}/{link}/driver")
        names = root.listdir(f"{base}/{link}/net")
        if names:
            # udev renames ethN to enp1s0vN asynchronously; its database entry for the
            # interface is written when it has finished with it, rename included
            index = root.read_int(f"{base}/{link}/net/{names[0]}/ifindex")
            if udev and index is not None and not root.exists(f"/run/udev/data/n{index}"):
                unnamed.append(names[0])
            continue
        if driver and vf_driver and driver != vf_driver:
            continue  # bound to vfio-pci or similar at creation: it will have no netdev
        missing.append(f"VF {link[6:]}" + ("" if driver else " (no driver yet)"))
    if missing:
        return f"{count - len(missing)}/{count} VF netdevs; waiting for {', '.join(missing[:4])}"
    if unnamed:
        return f"udev still handling {', '.join(unnamed[:4])}"
    return None


def _numvfs(env: Env, pf: PciDevice) -> int:
    text = env.sysfs.read(f"{sysfs_dir(pf)}/sriov_numvfs")
    return int(text) if text and text.isdigit() else 0


def count_state(env: Env, pf: PciDevice) -> str:
    root, base = env.reader(), sysfs_dir(pf)
    links = len([n for n in root.listdir(base) if n.startswith("virtfn")])
    return f"{pf_label(pf)} has {_numvfs(env, pf)} VFs (sriov_numvfs; {links} virtfn links)"


def restore_settings(env: Env, pf: PciDevice, before: dict[int, VfSettings]) -> None:
    """Put VF settings back after re-creation (0 -> N resets them all)."""
    name, caps = pf_label(pf), caps_for(pf.driver)
    now = {s.index: s for s in env.netlink.vfs(name)} if before else {}
    for index, old in sorted(before.items()):
        values = have_fields(old)
        if values.get("mac") == ZERO_MAC:
            values.pop("mac")  # re-created VFs start without one; some drivers refuse zero
        if not caps.link_state:
            values.pop("link_state", None)
        current = have_fields(now.get(index))
        changed = {k for k, v in values.items() if v is not None and current.get(k) != v}
        if changed:
            env.netlink.set_vf(name, index, with_partners(values, changed))
