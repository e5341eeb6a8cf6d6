"""`sriovctl check`: the readiness doctor. Exit 0 ready, 1 when any finding is an error."""

from __future__ import annotations

import click

from sriovctl.cli.common import load, root_option
from sriovctl.cli.findings import at_least, emit_findings, long_option, min_severity_option
from sriovctl.cli.output import emit_document, output_options


@click.command("check")
@root_option
@click.option("--pf", "pfs", multiple=True, metavar="NAME|ADDRESS",
              help="Only this PF (repeatable).")
@click.option("--vf", "vfs", multiple=True, metavar="ADDRESS", help="Only this VF (repeatable).")
@min_severity_option
@long_option
@output_options()
def check(root, pfs, vfs, min_severity, long_, fmt, columns) -> int:
    """Decide whether the host is ready for SR-IOV passthrough in OpenStack, and why not.

    Every finding has an id, a severity, the subject, the evidence read and the fix.
    """
    from sriovctl.checks import Scope, run_checks, summarize
    from sriovctl.host.model import normalize_address

    host = load(root)
    pf_addrs, vf_addrs = set(), set()
    for name in pfs:
        pf = host.find_pf(name)
        if pf is None:
            raise click.BadParameter(f"no SR-IOV PF {name!r} on this host", param_hint="--pf")
        pf_addrs.add(pf.address)
    for name in vfs:
        addr = normalize_address(name)
        if addr is None or addr not in host.devices or not host.devices[addr].is_vf:
            raise click.BadParameter(f"no VF {name!r} on this host", param_hint="--vf")
        vf_addrs.add(addr)
    findings = run_checks(host, Scope(frozenset(pf_addrs), frozenset(vf_addrs)))
    summary = summarize(findings)
    shown = at_least(findings, min_severity)
    doc = {"host": host.label, "hostname": host.hostname, "summary": summary,
           "findings": [f.to_dict() for f in shown]}
    if columns or not emit_document(doc, fmt):
        emit_findings(shown, fmt, columns, long_)
    verdict = "ready" if summary["ready"] else "NOT ready"
    click.echo(
        f"{host.label}: {verdict} for SR-IOV passthrough: {summary['error']} errors, "
        f"{summary['warning']} warnings, {summary['info']} notes",
        err=True,
    )
    return 0 if summary["ready"] else 1
