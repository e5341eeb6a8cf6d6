"""`sriovctl fdb add|del|show PF MAC...`: the PF's own FDB entries, over netlink."""

from __future__ import annotations

import click

from sriovctl.cli.output import emit_list, output_options


def _env():
    from sriovctl.vfs import context

    return context.make_env("/", lambda text: click.echo(text, err=True))


@click.group("fdb")
def fdb() -> None:
    """Add, delete and show a PF's FDB entries (neutron's FDB extension, by hand)."""


def _change(dev: str, macs: tuple[str, ...], add: bool, dry_run: bool) -> int:
    from sriovctl.changes.executor import execute
    from sriovctl.vfs.fdb import normalize_macs, plan_fdb

    env = _env()
    try:
        plan = plan_fdb(env, dev, normalize_macs(macs), add)
        if dry_run:
            for line in plan.describe():
                click.echo(f"would: {line}")
        else:
            execute(plan, env.say, env.guard)
            for line in plan.describe():
                click.echo(f"done: {line}")
        for note in plan.notes:
            click.echo(note)
    finally:
        env.netlink.close()
    return 0


@fdb.command("add")
@click.argument("pf")
@click.argument("macs", nargs=-1, required=True)
@click.option("--dry-run", is_flag=True, help="Print the changes; make none.")
def add(pf: str, macs: tuple[str, ...], dry_run: bool) -> int:
    """Add MACs to PF's FDB (`bridge fdb add MAC dev PF self permanent`)."""
    return _change(pf, macs, True, dry_run)


@fdb.command("del")
@click.argument("pf")
@click.argument("macs", nargs=-1, required=True)
@click.option("--dry-run", is_flag=True, help="Print the changes; make none.")
def delete(pf: str, macs: tuple[str, ...], dry_run: bool) -> int:
    """Delete MACs from PF's FDB."""
    return _change(pf, macs, False, dry_run)


@fdb.command("show")
@click.argument("pf")
@output_options()
def show(pf: str, fmt: str, columns: tuple[str, ...]) -> int:
    """PF's FDB entries: MAC, flags (self, master), state (permanent...), VLAN."""
    env = _env()
    try:
        rows = [{"MAC": e.mac, "Dev": e.dev, "Flags": list(e.flags), "State": list(e.state),
                 "VLAN": e.vlan} for e in env.netlink.fdb(pf)]
    finally:
        env.netlink.close()
    emit_list(("MAC", "Dev", "Flags", "State", "VLAN"), rows, fmt, columns)
    return 0
