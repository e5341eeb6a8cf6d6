"""`sriovctl plan -f site.yaml` and `sriovctl apply -f site.yaml`: one host against the site.

`-f` is both the spec file (as in `kubectl apply -f`) and, as on every sriovctl command, the
output format: the four words table, json, yaml and value are formats, anything else is
the spec. `--site` and `--format` say it explicitly (a spec file named `json`: --site json).

Exit status: plan 0 (1 when part of the plan is blocked); apply 0 when the host matches the
spec afterwards (changed or not), 1 when it failed and was rolled back, 130 when
interrupted and rolled back, 2 for a bad spec or a spec that does not fit the host.
"""

from __future__ import annotations

from typing import Optional

import click

from sriovctl.cli.common import root_option
from sriovctl.cli.output import FORMATS, emit_document, emit_list

COLUMNS = ("#", "Phase", "Subject", "Change")


def site_options(fn):
    fn = click.option("--force", is_flag=True,
                      help="Take VFs from their users when a resize or rebind needs it.")(fn)
    fn = root_option(fn)
    fn = click.option("--host", "hostname", metavar="NAME",
                      help="Match the site's host patterns as NAME (default: the hostname).")(fn)
    fn = click.option("-c", "--column", "columns", multiple=True, metavar="COLUMN",
                      help="Show only this column (repeatable).")(fn)
    fn = click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
                      help="Output format (also accepted as -f FORMAT).")(fn)
    fn = click.option("--site", "site_path", metavar="SITE.yaml", help="The site spec.")(fn)
    fn = click.option("-f", "f_values", multiple=True, metavar="SITE.yaml|FORMAT",
                      help="The site spec, or the output format (table, json, yaml, value).")(fn)
    return fn


def _resolve(f_values: tuple[str, ...], site_path: Optional[str],
             fmt: Optional[str]) -> tuple[str, str]:
    for value in f_values:
        if value in FORMATS:
            if fmt and fmt != value:
                raise click.UsageError(f"two output formats: {fmt} and {value}")
            fmt = value
        else:
            if site_path and site_path != value:
                raise click.UsageError(f"two site specs: {site_path} and {value}")
            site_path = value
    if not site_path:
        raise click.UsageError("give the site spec: -f site.yaml")
    return site_path, fmt or "table"


def _say(text: str) -> None:
    click.echo(text, err=True)


@click.command("plan")
@site_options
@click.option("--diff", is_flag=True, help="Show each file change as a unified diff.")
def plan(f_values, site_path, fmt, columns, hostname, root, force, diff) -> int:
    """Show what `apply` would change on this host for the site spec, in order, and why:
    kernel arguments (reboot needed), VF counts, VF settings, driver binding, persistence,
    OpenStack config edits, services to restart. Changes nothing."""
    from sriovctl.site.env import site_env
    from sriovctl.site.plan import plan_host
    from sriovctl.site.spec import load_site

    site_path, fmt = _resolve(f_values, site_path, fmt)
    site = load_site(site_path)
    result = plan_host(site, site_env(root, _say), hostname, force=force)
    _show(result, fmt, columns, diff)
    return 1 if result.problems else 0


@click.command("apply")
@site_options
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing.")
@click.option("--timeout", type=float, default=60.0, show_default=True,
              help="Seconds to wait for VFs and their netdevs after a count change.")
def apply(f_values, site_path, fmt, columns, hostname, root, force, dry_run, timeout) -> int:
    """Make this host match the site spec: run the plan in order, read the host back and
    compare (as nmstate does), then restart what reads the changed files. On a failure, a
    mismatch or an interrupt, everything this run changed is undone, and the last line says
    whether the host is as before or as specified."""
    from sriovctl.site.apply import apply_host
    from sriovctl.site.env import site_env
    from sriovctl.site.plan import plan_host
    from sriovctl.site.spec import load_site

    site_path, fmt = _resolve(f_values, site_path, fmt)
    site = load_site(site_path)
    env = site_env(root, _say)
    if dry_run:
        result = plan_host(site, env, hostname, force=force, timeout=timeout)
        _show(result, fmt, columns, diff=True)
        return 1 if result.problems else 0
    outcome = apply_host(site, env, hostname, force=force, timeout=timeout)
    if not emit_document(outcome.to_dict(), fmt):
        for line in outcome.not_run:
            click.echo(f"not run: {line}", err=True)
        click.echo(outcome.message)
    return 0


def _show(result, fmt: str, columns: tuple[str, ...], diff: bool) -> None:
    if not columns and emit_document(result.to_dict(), fmt):
        return
    rows = [{"#": i, "Phase": c.phase, "Subject": c.subject, "Change": c.summary}
            for i, c in enumerate(result.changes, 1)]
    roles = ", ".join(result.roles) or "no role"
    if fmt == "table" and not columns:
        if not result.roles and not result.claims:
            click.echo(f"{result.host}: no role and no group in {result.site}: nothing to do "
                       "(check the hosts patterns)")
            return
        if not result.changes and not result.problems:
            click.echo(f"{result.host} ({roles}) matches {result.site}: nothing to change")
        else:
            reboot = "; reboot needed" if result.reboot_required else ""
            click.echo(f"{result.host} ({roles}): {len(result.changes)} change(s) for "
                       f"{result.site}{reboot}")
    if rows or columns or fmt != "table":
        emit_list(COLUMNS, rows, fmt, columns)
    if fmt == "table" and not columns:
        if diff:
            _diffs(result)
        for note in result.notes:
            click.echo(f"note: {note}")
        for problem in result.problems:
            click.echo(f"blocked: {problem}")


def _diffs(result) -> None:
    import difflib

    for c in result.changes:
        if c.after is None:
            continue
        lines = difflib.unified_diff((c.before or "").splitlines(keepends=True),
                                     c.after.splitlines(keepends=True),
                                     f"{c.subject} (now)", f"{c.subject} (planned)")
        click.echo("".join(lines), nl=False)
