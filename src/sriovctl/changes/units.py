"""Rendering systemd unit files and udev rules (pure text, written by WriteFile steps).

Kept generic: the VF boot unit, and later site/OpenStack units, are data passed in here, so
the quoting rules live in one place.
"""

from __future__ import annotations

from collections.abc import Sequence

HEADER = "# Written by sriovctl ({what}). Changes here are overwritten by `{command}`.\n"


def render_unit(sections: Sequence[tuple[str, Sequence[tuple[str, str]]]],
                header: str = "") -> str:
    """[Section] Key=Value blocks, in the order given (keys may repeat)."""
    lines = [header.rstrip("\n")] if header else []
    for name, entries in sections:
        if lines:
            lines.append("")
        lines.append(f"[{name}]")
        for key, value in entries:
            if "\n" in value:
                raise ValueError(f"{key}: a unit value cannot span lines")
            lines.append(f"{key}={value}")
    return "\n".join(lines) + "\n"


def exec_line(argv: Sequence[str]) -> str:
    """An ExecStart= value: systemd splits on spaces and honours double quotes."""
    return " ".join(_unit_quote(a) for a in argv)


def _unit_quote(word: str) -> str:
    if word and not any(c in word for c in ' \t"\'\\$%;'):
        return word
    escaped = word.replace("\\", "\\\\").replace('"', '\\"').replace("$", "$$")
    return '"' + escaped.replace("%", "%%") + '"'


def udev_rule(matches: Sequence[tuple[str, str, str]],
              actions: Sequence[tuple[str, str, str]]) -> str:
    """One rule line: KEY=="value" matches, then KEY+="value" / KEY="value" actions."""
    parts = [f'{key}{op}"{_udev_value(value)}"' for key, op, value in (*matches, *actions)]
    return ", ".join(parts)


def _udev_value(value: str) -> str:
    if '"' in value or "\n" in value:
        raise ValueError(f"a udev value cannot contain quotes or newlines: {value!r}")
    return value
