"""One host's plan: the changes that make it match the site, in the order they are safe to
make, each made of sriovctl.changes steps. Building a plan writes nothing.

The order, and why:
  kernel-args       boot configuration only; active after a reboot, so first and harmless
  vf-count          sriov_numvfs (through 0 when resizing; refused if a VF is in use)
  vf-settings       vlan/spoofchk/trust/link state/rates, on the VFs the count created
  driver            VFs a group wants on vfio-pci
  persistence       the state file, unit and udev rules that re-create all of it at boot
  openstack-config  nova/neutron files, once the devices they name exist
  services          restarts, last: a service reads its files and sees its VFs once
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from sriovctl.changes.commands import RunCommand
from sriovctl.changes.files import LinkFile, WriteFile
from sriovctl.changes.step import Plan, Step
from sriovctl.errors import ChangeFailed, InputError
from sriovctl.host.model import Host
from sriovctl.site.claims import PfClaim, claims_for
from sriovctl.site.kernel import plan_kernel
from sriovctl.site.model import Site
from sriovctl.site.openstack import file_edits
from sriovctl.vfs.binding import BindVfs, vfio_todo
from sriovctl.vfs.context import Env

PHASES = ("kernel-args", "vf-count", "vf-settings", "driver", "persistence",
          "openstack-config", "services")


@dataclass
class Change:
    phase: str
    subject: str
    summary: str
    steps: list[Step]
    reboot: bool = False
    before: Optional[str] = None  # file contents, for a diff
    after: Optional[str] = None

    def to_dict(self) -> dict:
        return {"phase": self.phase, "subject": self.subject, "summary": self.summary,
                "reboot": self.reboot, "steps": [s.describe() for s in self.steps]}


@dataclass
class HostPlan:
    host: str
    roles: tuple[str, ...]
    site: str
    claims: list[PfClaim] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # why parts cannot be planned
    reboot_pending: bool = False  # configured kernel arguments the running kernel lacks

    @property
    def reboot_required(self) -> bool:
        return self.reboot_pending or any(c.reboot for c in self.changes)

    def host_changes(self) -> list[Change]:
        """What makes the host match; restarts only follow from these."""
        return [c for c in self.changes if c.phase != "services"]

    def to_dict(self) -> dict:
        return {"host": self.host, "roles": list(self.roles), "site": self.site,
                "in_sync": not self.changes and not self.problems,
                "reboot_required": self.reboot_required,
                "pfs": [{"pf": c.name, "address": c.pf.address, "physnet": c.physnet,
                         "num_vfs": c.num_vfs, "groups": [g.name for g in c.groups]}
                        for c in self.claims],
                "changes": [c.to_dict() for c in self.changes],
                "notes": self.notes, "problems": self.problems}


def host_name(host: Host, given: Optional[str]) -> str:
    name = given or host.hostname
    if not name:
        raise InputError(f"{host.label} has no hostname to match the site's host patterns",
                         fix="name it with --host NAME")
    return name.strip()


def plan_host(site: Site, env: Env, hostname: Optional[str] = None, force: bool = False,
              timeout: float = 60.0, host: Optional[Host] = None) -> HostPlan:
    host = host or env.host()
    name = host_name(host, hostname)
    plan = HostPlan(name, site.roles_of(name), site.path)
    plan.claims = claims_for(site, host, name)  # refuses an ambiguous spec: nothing runs
    if not plan.roles and not plan.claims:
        plan.notes.append(f"{name} has no role and no group in {site.path}: nothing to do "
                          "(check the hosts patterns)")
        return plan
    if "compute" in plan.roles or plan.claims:
        kernel = _phase(plan, "kernel-args", "boot configuration", reboot=True,
                        make=lambda: plan_kernel(env, host, site.kernel_iommu, site.kernel_args))
        plan.reboot_pending = kernel is not None and any("reboot to activate" in n
                                                         for n in kernel.notes)
    resized = []
    for claim in plan.claims:
        _plan_pf(plan, env, host, claim, force, timeout, resized)
    _phase(plan, "persistence", "boot-time re-creation", lambda: _persist(env, host, plan.claims))
    roles_changed: set[str] = set()
    if site.configure_openstack:
        try:
            for edit in file_edits(site, plan.roles, plan.claims, env.files.read):
                plan.notes += [f"{edit.path}: {n}" for n in edit.notes]
                if edit.changed:
                    roles_changed.update(edit.roles)
                    plan.changes.append(Change(
                        "openstack-config", edit.path,
                        "; ".join(edit.changes) or "new file",
                        [WriteFile(env.files, edit.path, edit.after, edit.mode,
                                   why=f"{'/'.join(edit.roles)} SR-IOV settings")],
                        before=edit.before.decode() if edit.before is not None else "",
                        after=edit.after))
        except InputError as e:
            plan.problems.append(e.one_line())
    for service, why in _restarts(site, plan.roles, roles_changed, bool(resized)):
        plan.changes.append(Change("services", service, f"restart {service} ({why})", [
            RunCommand(env.commands, ["systemctl", "restart", service], why=why,
                       fix=f"see why it did not start: journalctl -u {service} -n 50")]))
    return plan


def _phase(plan: HostPlan, phase: str, subject: str, make, reboot: bool = False) -> Optional[Plan]:
    """Run one of the VF lifecycle's planners; its refusals become this plan's problems."""
    try:
        sub = make()
    except (InputError, ChangeFailed) as e:
        plan.problems.append(f"{phase} {subject}: {e.one_line()}")
        return None
    plan.notes += _compact(sub.notes)
    if sub.steps:
        plan.changes.append(Change(phase, subject, _summary(sub.describe()), list(sub.steps),
                                   reboot=reboot))
    return sub


def _summary(lines: list[str]) -> str:
    if len(lines) <= 3:
        return "; ".join(lines)
    return "; ".join(lines[:2]) + f"; and {len(lines) - 2} more steps"


def _compact(notes: list[str]) -> list[str]:
    """One line for "VF n already has ..." notes: on a 64-VF PF they would bury the rest."""
    same = [n for n in notes if " VF " in n and " already has " in n]
    if len(same) <= 2:
        return notes
    pf = same[0].split(" VF ")[0]
    rest = [n for n in notes if n not in same]
    return rest + [f"{pf}: {len(same)} VFs already have their settings"]


def _plan_pf(plan: HostPlan, env: Env, host: Host, claim: PfClaim, force: bool,
             timeout: float, resized: list[str]) -> None:
    from sriovctl.vfs.count import plan_count
    from sriovctl.vfs.program import plan_settings
    from sriovctl.vfs.settings import VfConfig

    pf = claim.pf
    have = (pf.sriov.numvfs if pf.sriov else 0) or 0
    counted = _phase(plan, "vf-count", claim.name, lambda: plan_count(
        env, host, pf, claim.num_vfs, force=force, timeout=timeout))
    new_count = claim.num_vfs if have != claim.num_vfs else None
    if counted is None or new_count is not None:
        resized.append(claim.name)
    if counted is None:
        return  # settings and drivers of VFs that may not come are not planned
    wanted = {i: VfConfig(**g.vf.to_dict()) for i, g in claim.vfs.items() if g.vf.to_dict()}
    if wanted:
        _phase(plan, "vf-settings", claim.name,
               lambda: plan_settings(env, host, pf, wanted, count=new_count))
    vfio = sorted(i for i, g in claim.vfs.items() if g.driver == "vfio-pci")
    if vfio:
        todo = vfio if new_count is not None else vfio_todo(host, pf, vfio)
        if todo:
            def bind() -> Plan:
                step = BindVfs(env, pf, todo, force=force)
                step.refuse_if_used(host)
                return Plan("driver", [step])

            _phase(plan, "driver", claim.name, bind)


def _persist(env: Env, host: Host, claims: list[PfClaim]) -> Plan:
    from sriovctl.vfs.persist import plan_persist
    from sriovctl.vfs.settings import VfConfig
    from sriovctl.vfs.state import PfState, load_state

    if not claims:
        return Plan("persist")
    state = load_state(env.files)
    for c in claims:
        state = state.with_pf(PfState(
            address=c.pf.address, netdev=c.pf.netdevs[0] if c.pf.netdevs else None,
            device=c.pf.vendor_device, numvfs=c.num_vfs,
            vfs={i: VfConfig(**g.vf.to_dict()) for i, g in sorted(c.vfs.items())
                 if g.vf.to_dict()},
            vfio=tuple(i for i, g in sorted(c.vfs.items()) if g.driver == "vfio-pci")))
    return plan_persist(env, state, host)


def _restarts(site: Site, roles: tuple[str, ...], changed: set[str],
              resized: bool) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for role in roles:
        for service in site.roles[role].services:
            if role in changed:
                why = f"reads the changed {role} files"
            elif role == "compute" and resized and "sriov" in service:
                why = "the SR-IOV agent finds VFs only when it starts"
            else:
                continue
            if service not in (s for s, _ in out):
                out.append((service, why))
    return out


def file_paths(plan: HostPlan) -> list[str]:
    """Every file or link the plan writes, for the before/after comparison."""
    return [s.path for c in plan.changes for s in c.steps if isinstance(s, (WriteFile, LinkFile))]
