"""`sriovctl vfs ...`: create, resize, program, show, persist, diff, apply and bind VFs."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Optional

import click

from sriovctl.cli.common import root_option
from sriovctl.cli.output import emit_document, emit_list, output_options
from sriovctl.errors import ChangeFailed, InputError

STATE_HELP = "The state file (default /etc/sriovctl/vfs.json). Env: SRIOVCTL_STATE."


def _say(text: str) -> None:
    click.echo(text, err=True)


def _env(root: str, dry_run: bool):
    from sriovctl.vfs import context

    if root != "/" and not dry_run:
        raise InputError("changes are made to the live host only",
                         fix="drop --root, or add --dry-run to plan against that root")
    return context.make_env(root, _say)


def _state_option(fn):
    return click.option("--state", "state_path", default="/etc/sriovctl/vfs.json",
                        envvar="SRIOVCTL_STATE", show_default=False, metavar="FILE",
                        help=STATE_HELP)(fn)


def _run(env, plan, dry_run: bool) -> int:
    """Print or execute the plan; notes go to stdout, progress to stderr."""
    from sriovctl.changes.executor import execute

    if dry_run:
        for line in plan.describe():
            click.echo(f"would: {line}")
        if not plan:
            click.echo("would change nothing")
    else:
        execute(plan, env.say, env.guard)
        if plan:
            click.echo(f"done: {plan.title} ({len(plan.steps)} step(s))")
        elif not plan.notes:
            click.echo("nothing to change")
    for note in plan.notes:
        click.echo(note)
    return 0


@click.group("vfs")
def vfs() -> None:
    """Create, resize, program and persist SR-IOV VFs safely."""


@vfs.command("set")
@click.argument("pf")
@click.argument("words", nargs=-1, required=True)
@click.option("--force", is_flag=True, help="Resize even though VFs are in use.")
@click.option("--timeout", default=60.0, show_default=True, metavar="SECONDS",
              help="For each sysfs write and the wait for VFs and their netdevs.")
@click.option("--autoprobe/--no-autoprobe", default=None,
              help="Set sriov_drivers_autoprobe (whether drivers bind new VFs).")
@click.option("--dry-run", is_flag=True, help="Print the steps; change nothing.")
@click.option("--no-save", is_flag=True, help="Do not record this in the state file.")
@_state_option
@root_option
def set_cmd(pf: str, words: tuple[str, ...], force: bool, timeout: float,
            autoprobe: Optional[bool], dry_run: bool, no_save: bool, state_path: str,
            root: str) -> int:
    """Set PF's VF count and/or VF settings, `ip link` style.

    \b
      sriovctl vfs set enp1s0 7
      sriovctl vfs set enp1s0 vf 0 mac fa:16:3e:fe:47:d2 vlan 1000 spoofchk on trust on
      sriovctl vfs set enp1s0 3 vf 0 trust on --force

    A count change between two non-zero counts goes through 0, only when no VF is in use
    (vfio-pci or another driver, macvtap/bond/bridge on top, a running libvirt domain) or
    with --force. Settings the PF driver cannot take are refused before anything is written.
    What was set is recorded in the state file for `vfs persist` / `vfs apply`.
    """
    from sriovctl.changes.step import Plan
    from sriovctl.vfs.context import find_pf, pf_label
    from sriovctl.vfs.count import plan_count
    from sriovctl.vfs.program import plan_settings
    from sriovctl.vfs.settings import parse_set_words
    from sriovctl.vfs.state import load_state, recorded, save_step

    try:
        count, configs = parse_set_words(words)
    except ValueError as e:
        raise click.UsageError(str(e)) from None
    env = _env(root, dry_run)
    with env.lock() if not dry_run else nullcontext():
        host = env.host()
        dev = find_pf(host, pf)
        plan = Plan(f"{pf_label(dev)}")
        states = []
        current = (dev.sriov.numvfs or 0) if dev.sriov else 0
        if count is not None or autoprobe is not None:
            sub = plan_count(env, host, dev, current if count is None else count, force=force,
                             timeout=timeout, autoprobe=autoprobe)
            plan.extend(sub)
            states.append(sub.state)
        if configs:
            resized = count is not None and count != current
            sub = plan_settings(env, host, dev, configs, count=count if resized else None)
            plan.extend(sub)
            states.append(sub.state)
        if not no_save:
            state = recorded(load_state(env.files, state_path), dev, numvfs=count,
                             autoprobe=autoprobe, vfs=configs)
            step = save_step(env.files, state, f"record for boot: {state_path}")
            if step:
                plan.add(step)
        plan.state = lambda: "; ".join(s() for s in states if s)
        return _run(env, plan, dry_run)


SHOW_COLUMNS = ("VF", "Address", "Netdev", "Driver", "MAC", "VLAN", "QoS", "Proto",
                "Spoofchk", "Trust", "Link State", "Min TX Rate", "Max TX Rate",
                "RX Packets", "TX Packets", "RX Bytes", "TX Bytes", "Broadcast", "Multicast",
                "RX Dropped", "TX Dropped")
TABLE_COLUMNS = SHOW_COLUMNS[:13] + ("RX Packets", "TX Packets")


@vfs.command("show")
@click.argument("pf")
@root_option
@output_options()
def show(pf: str, root: str, fmt: str, columns: tuple[str, ...]) -> int:
    """PF's VFs as its driver reports them over netlink: settings and counters."""
    from sriovctl.cli.common import load
    from sriovctl.vfs.context import find_pf
    from sriovctl.vfs.report import pf_record, vf_rows

    host = load(root)
    dev = find_pf(host, pf)
    rows = vf_rows(host, dev)
    if fmt in ("json", "yaml") and not columns:
        emit_document({"pf": pf_record(host, dev), "vfs": rows}, fmt)
        return 0
    if fmt == "table" and not columns:
        record = pf_record(host, dev)
        click.echo(f"{record['netdev']} ({record['address']}, {record['driver']}): "
                   f"{record['numvfs']}/{record['totalvfs']} VFs, autoprobe "
                   f"{'on' if record['drivers_autoprobe'] else 'off'}, link "
                   f"{record['operstate'] or 'unknown'}; VF settings from "
                   f"{record['source'] or 'nowhere (netlink unavailable)'}")
        columns = TABLE_COLUMNS
    emit_list(SHOW_COLUMNS, rows, fmt, columns)
    return 0


@vfs.command("diff")
@_state_option
@root_option
@click.option("--exit-code", is_flag=True, help="Exit 1 when the host differs.")
@output_options()
def diff(state_path: str, root: str, exit_code: bool, fmt: str,
         columns: tuple[str, ...]) -> int:
    """What differs between the state file and the host, per PF and VF."""
    from sriovctl.vfs import context
    from sriovctl.vfs.drift import drift
    from sriovctl.vfs.state import load_state

    env = context.make_env(root, _say)
    state = load_state(env.files, state_path)
    rows = [d.to_dict() for d in drift(state, env.host())]
    cols = ("pf", "netdev", "vf", "field", "want", "have")
    if fmt == "table" and not rows and not columns:
        click.echo(f"no drift: the host matches {state_path}" if state.pfs
                   else f"{state_path} records nothing")
    else:
        emit_list(cols, rows, fmt, columns)
    return 1 if exit_code and rows else 0


@vfs.command("apply")
@_state_option
@click.option("--pf", "only", metavar="PF", help="Only this PF (address or netdev).")
@click.option("--wait-pf", default=0.0, metavar="SECONDS",
              help="Wait this long for the PFs to appear first (boot, udev).")
@click.option("--force", is_flag=True, help="Resize even though VFs are in use.")
@click.option("--timeout", default=60.0, show_default=True, metavar="SECONDS")
@click.option("--dry-run", is_flag=True, help="Print the steps; change nothing.")
@root_option
def apply(state_path: str, only: Optional[str], wait_pf: float, force: bool, timeout: float,
          dry_run: bool, root: str) -> int:
    """Make the host match the state file, changing only what differs."""
    from sriovctl.vfs.drift import plan_apply
    from sriovctl.vfs.state import load_state

    env = _env(root, dry_run)
    state = load_state(env.files, state_path)
    if wait_pf:
        _wait_for_pfs(env, state, only, wait_pf)
    with env.lock() if not dry_run else nullcontext():
        plan, skipped = plan_apply(env, state, env.host(), only, force, timeout)
        _run(env, plan, dry_run)
    for problem in skipped:
        click.echo(f"skipped: {problem}", err=True)
    if skipped:
        raise ChangeFailed(f"{len(skipped)} part(s) of {state_path} could not be applied",
                           fix="see the 'skipped:' lines above")
    return 0


def _wait_for_pfs(env, state, only: Optional[str], seconds: float) -> None:
    from sriovctl.changes.wait import wait_until

    wanted = [a for a, p in state.pfs.items() if not only or only in (a, p.netdev)]

    def missing() -> Optional[str]:
        root = env.reader()
        gone = [a for a in wanted if not root.listdir(f"/sys/bus/pci/devices/{a}/net")]
        return f"no netdev yet for {', '.join(gone)}" if gone else None

    try:
        wait_until(missing, what="waiting for the PFs", timeout=seconds, clock=env.clock,
                   say=env.say, guard=env.guard)
    except ChangeFailed as e:
        env.say(f"{e.message}; applying what is there")


@vfs.command("persist")
@click.option("--nm-unmanaged", is_flag=True,
              help="Also install a udev rule keeping NetworkManager off the VFs.")
@click.option("--dry-run", is_flag=True, help="Print the files it would write; change nothing.")
@_state_option
@root_option
def persist(nm_unmanaged: bool, dry_run: bool, state_path: str, root: str) -> int:
    """Re-create the VFs and their settings at boot and when a PF reappears.

    Installs a systemd oneshot (before network-pre.target, NetworkManager, openvswitch) and
    a udev rule per PF, both running `sriovctl vfs apply`. PFs that have VFs now but are not
    in the state file yet are recorded with their current count.
    """
    from sriovctl.changes.files import WriteFile
    from sriovctl.vfs.persist import plan_persist
    from sriovctl.vfs.state import load_state, recorded

    env = _env(root, dry_run)
    with env.lock() if not dry_run else nullcontext():
        host = env.host()
        state = load_state(env.files, state_path)
        for dev in host.pfs():
            if dev.sriov and dev.sriov.numvfs and state.pf(dev.address) is None:
                state = recorded(state, dev, numvfs=dev.sriov.numvfs)
                click.echo(f"{'would record' if dry_run else 'recording'} "
                           f"{dev.netdevs[0] if dev.netdevs else dev.address}: "
                           f"{dev.sriov.numvfs} VFs (its current count)")
        if not state.pfs:
            raise InputError("nothing to persist: no PF has VFs and the state file records none",
                             fix="create VFs first: sriovctl vfs set PF N")
        plan = plan_persist(env, state, host, nm_unmanaged)
        if dry_run:
            for step in plan.steps:
                click.echo(f"would: {step.describe()}")
                if isinstance(step, WriteFile):
                    click.echo("".join(f"    {line}\n" for line in step.content.splitlines()),
                               nl=False)
            for note in plan.notes:
                click.echo(note)
            return 0
        return _run(env, plan, False)


@vfs.command("bind")
@click.argument("vf")
@click.argument("driver", type=click.Choice(["vfio-pci", "default"]))
@click.option("--force", is_flag=True, help="Rebind even though the VF is in use.")
@click.option("--dry-run", is_flag=True, help="Print the steps; change nothing.")
@root_option
def bind(vf: str, driver: str, force: bool, dry_run: bool, root: str) -> int:
    """Bind VF (address, netdev or PF/INDEX) to vfio-pci, or back to its default driver."""
    from sriovctl.vfs.binding import find_vf, plan_bind

    env = _env(root, dry_run)
    with env.lock() if not dry_run else nullcontext():
        host = env.host()
        return _run(env, plan_bind(env, host, find_vf(host, vf), driver, force), dry_run)
