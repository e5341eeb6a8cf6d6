"""Output the way the `openstack` CLI does: -f table|json|yaml|value and -c COLUMN.

Two shapes, as in cliff: a *list* (columns + rows) and a *record* (field -> value).
Commands build plain data and hand it here; they never print tables themselves.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, Callable

import click

FORMATS = ("table", "json", "yaml", "value")


def output_options(default: str = "table") -> Callable:
    """Decorator adding -f/--format and -c/--column to a command."""

    def decorate(fn: Callable) -> Callable:
        fn = click.option(
            "-c", "--column", "columns", multiple=True, metavar="COLUMN",
            help="Show only this column (repeatable).",
        )(fn)
        fn = click.option(
            "-f", "--format", "fmt", type=click.Choice(FORMATS), default=default,
            show_default=True, help="Output format.",
        )(fn)
        return fn

    return decorate


def select_columns(available: Sequence[str], wanted: Sequence[str]) -> list[str]:
    if not wanted:
        return list(available)
    unknown = [c for c in wanted if c not in available]
    if unknown:
        raise click.UsageError(
            f"unknown column {unknown[0]!r}; choose from: {', '.join(available)}"
        )
    return list(wanted)


def _plain(value: Any) -> Any:
    """JSON/YAML-safe copy: tuples to lists, objects with to_dict() to dicts."""
    if hasattr(value, "to_dict"):
        return _plain(value.to_dict())
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def dump_json(data: Any) -> str:
    return json.dumps(_plain(data), indent=2, sort_keys=False)


def dump_yaml(data: Any) -> str:
    import yaml  # lazily: only yaml output needs it

    return yaml.safe_dump(_plain(data), sort_keys=False, default_flow_style=False)


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return "\n".join(cell(v) for v in value)
    if isinstance(value, dict):
        return "\n".join(f"{k}={cell(v)}" for k, v in value.items())
    return str(value)


def render_table(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.ASCII, show_lines=False, header_style="", safe_box=True)
    for name in columns:
        table.add_column(name, overflow="fold")
    for row in rows:
        # Text, not str: rich would read "[pci] device_spec" as markup and drop "[pci]".
        table.add_row(*(Text(cell(v)) for v in row))
    console = Console(width=_width(), no_color=True, highlight=False, soft_wrap=False)
    with console.capture() as cap:
        console.print(table)
    return cap.get().rstrip("\n")


def _width() -> int:
    import shutil

    return max(80, shutil.get_terminal_size((160, 24)).columns)


def emit_list(
    columns: Sequence[str], rows: Sequence[dict], fmt: str, wanted: Sequence[str] = ()
) -> None:
    """Print a list of records. Rows are dicts keyed by column name."""
    cols = select_columns(columns, wanted)
    if fmt == "json":
        click.echo(dump_json([{c: r.get(c) for c in cols} for r in rows]))
    elif fmt == "yaml":
        click.echo(dump_yaml([{c: r.get(c) for c in cols} for r in rows]), nl=False)
    elif fmt == "value":
        for r in rows:
            click.echo(" ".join(cell(r.get(c)).replace("\n", ",") for c in cols))
    else:
        click.echo(render_table(cols, [[r.get(c) for c in cols] for r in rows]))


def emit_record(record: dict, fmt: str, wanted: Sequence[str] = ()) -> None:
    """Print one record, as `openstack ... show` does (Field | Value table)."""
    cols = select_columns(list(record), wanted)
    if fmt == "json":
        click.echo(dump_json({c: record[c] for c in cols}))
    elif fmt == "yaml":
        click.echo(dump_yaml({c: record[c] for c in cols}), nl=False)
    elif fmt == "value":
        for c in cols:
            click.echo(cell(record[c]).replace("\n", ","))
    else:
        click.echo(render_table(["Field", "Value"], [[c, record[c]] for c in cols]))


def emit_document(data: Any, fmt: str) -> bool:
    """Print a whole document as json/yaml. Returns False for table/value (caller renders)."""
    if fmt == "json":
        click.echo(dump_json(data))
        return True
    if fmt == "yaml":
        click.echo(dump_yaml(data), nl=False)
        return True
    return False
