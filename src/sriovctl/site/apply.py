"""Apply a host's plan: lock, check, run every step through the changes executor, read the
host back, restart services; on a failure, a mismatch or SIGINT/SIGTERM, roll back.

Whatever happens, the last word is a fresh reading of the host, compared with the spec and
with a fingerprint taken before the first write: "as specified", "as before", or, only if
a rollback itself failed, "NEITHER", naming what differs. A second apply of the same spec
plans nothing and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from sriovctl.changes.commands import RunCommand
from sriovctl.changes.executor import execute
from sriovctl.changes.files import LinkFile, WriteFile
from sriovctl.changes.step import Plan
from sriovctl.errors import ChangeFailed, InputError
from sriovctl.site.env import NoKernel, NotRun, SnapshotEnv
from sriovctl.site.model import Site
from sriovctl.site.plan import HostPlan, file_paths, host_name, plan_host
from sriovctl.site.steps import RestartAgain, VerifyHost
from sriovctl.vfs.context import Env

FILE_STEPS = (WriteFile, LinkFile, RunCommand, RestartAgain, VerifyHost)


@dataclass
class ApplyResult:
    host: str
    changed: bool
    message: str
    plan: HostPlan
    done: list[str] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)  # commands, on a root that is not live

    def to_dict(self) -> dict:
        return {"host": self.host, "changed": self.changed, "message": self.message,
                "done": self.done, "not_run": self.not_run,
                "reboot_required": self.plan.reboot_required, "plan": self.plan.to_dict()}


def apply_host(site: Site, env: Env, hostname: Optional[str] = None, force: bool = False,
               timeout: float = 60.0) -> ApplyResult:
    if isinstance(env, SnapshotEnv):
        raise InputError(f"{env.root} is a snapshot tarball: nothing there can change",
                         fix="use plan (or apply --dry-run) with a snapshot")
    name = host_name(env.host(), hostname)
    with env.lock():
        plan = plan_host(site, env, name, force, timeout)  # read again, under the lock
        if plan.problems:
            raise ChangeFailed(f"{name}: cannot apply {site.path}: " + "; ".join(plan.problems),
                               fix="fix what is named; nothing was changed")
        if not plan.changes:
            return ApplyResult(name, False, f"{name} already matches {site.path}: nothing "
                               "changed" + _reboot(plan), plan)
        _refuse_without_kernel(env, plan)
        before = fingerprint(env, plan)
        restarts = [s for c in plan.changes if c.phase == "services" for s in c.steps
                    if isinstance(s, RunCommand)]
        steps = [RestartAgain(restarts)]
        steps += [s for c in plan.host_changes() for s in c.steps]
        steps.append(VerifyHost(lambda: remaining(site, env, name, timeout), name))
        steps += restarts
        run = Plan(f"apply {site.path} to {name}", steps,
                   state=lambda: host_state(site, env, name, before, plan, timeout))
        outcome = execute(run, env.say, env.guard)
    not_run = [" ".join(argv) for argv in env.commands.log] \
        if isinstance(env.commands, NotRun) else []
    message = f"{name} now matches {site.path}: {len(plan.host_changes())} change(s) made"
    if restarts and not not_run:
        message += f", {len(restarts)} service(s) restarted"
    if not_run:
        message += f"; {len(not_run)} command(s) not run ({env.root} is not the live host)"
    return ApplyResult(name, True, message + _reboot(plan), plan, outcome.done, not_run)


def _reboot(plan: HostPlan) -> str:
    return "; a reboot is needed for the kernel arguments" if plan.reboot_required else ""


def _refuse_without_kernel(env: Env, plan: HostPlan) -> None:
    if not isinstance(env.sysfs, NoKernel):
        return
    kernel = [c for c in plan.changes if any(not isinstance(s, FILE_STEPS) for s in c.steps)]
    if kernel:
        raise InputError(f"{env.root} is not the live host, and the plan changes the kernel's "
                         f"devices ({', '.join(f'{c.phase} {c.subject}' for c in kernel)}); "
                         "only files can be changed under --root",
                         fix="run apply on the host itself, or use --dry-run")


def remaining(site: Site, env: Env, name: str, timeout: float) -> list[str]:
    """What a fresh plan still wants (services aside): empty when the host matches."""
    again = plan_host(site, env, name, force=True, timeout=timeout)
    return [f"{c.phase} {c.subject}: {c.summary}" for c in again.host_changes()] + \
        again.problems


def fingerprint(env: Env, plan: HostPlan) -> dict[str, Any]:
    """What the plan can touch, read now: VF counts, VF settings and drivers, files."""
    from sriovctl.vfs.settings import have_fields

    out: dict[str, Any] = {}
    reader = env.reader()
    for claim in plan.claims:
        base = f"/sys/bus/pci/devices/{claim.pf.address}"
        out[f"{claim.name} sriov_numvfs"] = env.sysfs.read(f"{base}/sriov_numvfs")
        try:
            vfs = {s.index: s for s in env.netlink.vfs(claim.name)}
        except OSError:
            vfs = {}
        for index in sorted(claim.vfs):
            fields = have_fields(vfs.get(index))
            out[f"{claim.name} VF {index} settings"] = fields
            out[f"{claim.name} VF {index} driver"] = reader.link_name(
                f"{base}/virtfn{index}/driver")
    for path in file_paths(plan):
        state = env.files.read(path)
        out[f"file {path}"] = (state.content if state else None, env.files.readlink(path))
    return out


def host_state(site: Site, env: Env, name: str, before: dict, plan: HostPlan,
               timeout: float) -> str:
    try:
        left = remaining(site, env, name, timeout)
    except Exception as e:  # noqa: BLE001 - the report must still come out
        left = [f"cannot read it back ({e})"]
    if not left:
        return f"{name} is as specified in {site.path}"
    now = fingerprint(env, plan)
    differ = [k for k in before if before[k] != now.get(k)]
    if not differ:
        return f"{name} is as it was before the apply"
    return (f"{name} is NEITHER as before nor as specified: {', '.join(differ[:4])} "
            f"differ{'...' if len(differ) > 4 else ''} from before")
