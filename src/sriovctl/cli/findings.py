"""Findings as rows, for every command that reports them (check, openstack lint)."""

from __future__ import annotations

from collections.abc import Sequence

import click

from sriovctl.cli.output import emit_list

COLUMNS = ("Severity", "ID", "Subject", "Message", "Evidence", "Fix")
SHORT_COLUMNS = ("Severity", "ID", "Subject", "Message", "Fix")  # the table without --long
RANK = {"info": 0, "warning": 1, "error": 2}


def min_severity_option(fn):
    return click.option("--min-severity", type=click.Choice(list(RANK)), default="info",
                        show_default=True, help="Hide findings below this severity.")(fn)


def long_option(fn):
    return click.option("--long", "long_", is_flag=True,
                        help="Table output: add the Evidence column.")(fn)


def at_least(findings: Sequence, min_severity: str) -> list:
    return [f for f in findings if RANK[f.severity] >= RANK[min_severity]]


def emit_findings(findings: Sequence, fmt: str, columns: Sequence[str], long_: bool,
                  skip_empty_table: bool = False) -> None:
    rows = [{
        "Severity": f.severity, "ID": f.id, "Subject": f.subject, "Message": f.message,
        "Evidence": list(f.evidence), "Fix": f.fix,
    } for f in findings]
    if not columns and fmt == "table" and not long_:
        columns = SHORT_COLUMNS
    if rows or fmt != "table" or not skip_empty_table:
        emit_list(COLUMNS, rows, fmt, columns)
