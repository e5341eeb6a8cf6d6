"""`sriovctl explain "<error text>"`: cause, evidence from the host, fix.

Exit 0 when the text is recognized, 1 when it is not (nothing to explain).
"""

from __future__ import annotations

import click

from sriovctl.cli.output import emit_document, emit_list, emit_record, output_options

COLUMNS = ("ID", "Matched", "Cause", "Evidence", "Fix")


@click.command("explain")
@click.argument("text", nargs=-1, required=True)
@click.option(
    "--root",
    default=None,
    metavar="DIR|TARBALL",
    envvar="SRIOVCTL_ROOT",
    help="Read evidence from this host: / (live), a snapshot directory or tarball. "
    "Without it, only the cause and the fix are given.",
)
@output_options()
def explain(text, root, fmt, columns) -> int:
    """Explain an SR-IOV error message: kernel (EBUSY, ENOMEM, ENOSPC), vfio ("group N is
    not viable"), the PF driver ("VF is not trusted"), nova ("No valid host was found",
    "PCI device request ... failed") or neutron (PortBindingFailed).

    Example: sriovctl explain --root / "vfio 0000:0b:10.5: group 3 is not viable"
    """
    from sriovctl.twin.explain import explain as run
    from sriovctl.twin.explain import known_ids

    host = None
    if root:
        from sriovctl.cli.common import load

        host = load(root)
    message = " ".join(text)
    results = run(message, host)
    if not results:
        click.echo(f"not recognized; known messages: {', '.join(known_ids())}", err=True)
        return 1
    if not columns and emit_document(results, fmt):
        return 0
    rows = [
        {
            "ID": r["id"],
            "Matched": r["matched"],
            "Cause": r["cause"],
            "Evidence": r["evidence"],
            "Fix": r["fix"],
        }
        for r in results
    ]
    if columns or fmt == "value":
        emit_list(COLUMNS, rows, fmt, columns)
        return 0
    for row in rows:
        emit_record(row, "table")
    return 0
