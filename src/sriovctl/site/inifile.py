"""Editing an OpenStack ini file by lines, so everything not edited stays byte for byte:
comments, order, spacing, options sriovctl knows nothing about.

Reads follow oslo.config's parser rules that matter for an edit: `key = value` or
`key: value`, continuation lines start with whitespace, `#` and `;` start comment lines
only (no inline comments), section names are case-insensitive except DEFAULT, and a section
may appear several times (its options merge). The edited text is parsed again with oslo's
own parser by the caller (sriovctl.site.openstack) before anything is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

_SECTION = re.compile(r"^\[\s*([^\]]+?)\s*\]\s*$")
_OPTION = re.compile(r"^([^=:\s][^=:]*?)\s*[=:]\s?(.*)$")


def section_key(name: str) -> str:
    return "DEFAULT" if name == "DEFAULT" else name.lower()


@dataclass
class _Entry:
    section: str  # normalized
    option: str
    first: int  # line index of `key = value`
    last: int  # last continuation line, inclusive
    value: str


class IniText:
    def __init__(self, text: str):
        self.lines = text.splitlines(keepends=True)
        if self.lines and not self.lines[-1].endswith("\n"):
            self.lines[-1] += "\n"

    def text(self) -> str:
        return "".join(self.lines)

    def _scan(self) -> tuple[list[_Entry], dict[str, int]]:
        """Option entries, and each section's last line (where a new option goes)."""
        entries: list[_Entry] = []
        ends: dict[str, int] = {}
        section: Optional[str] = None
        for i, line in enumerate(self.lines):
            body = line.rstrip("\r\n")
            if not body.strip() or body.lstrip()[:1] in ("#", ";"):
                continue
            if body[:1].isspace() and entries and entries[-1].last == i - 1 \
                    and entries[-1].section == section:
                entries[-1].last = i
                entries[-1].value += "\n" + body.strip()
                ends[section] = i  # type: ignore[index]
                continue
            m = _SECTION.match(body)
            if m:
                section = section_key(m.group(1))
                ends[section] = i
                continue
            m = _OPTION.match(body.strip())
            if m and section is not None:
                entries.append(_Entry(section, m.group(1).strip(), i, i, m.group(2).strip()))
                ends[section] = i
        return entries, ends

    def values(self, section: str, option: str) -> list[str]:
        key = section_key(section)
        return [e.value for e in self._scan()[0] if e.section == key and e.option == option]

    def get(self, section: str, option: str) -> Optional[str]:
        """The value oslo uses for a single-valued option: the last one."""
        found = self.values(section, option)
        return found[-1] if found else None

    def set(self, section: str, option: str, value: str) -> None:
        self.set_all(section, option, [value])

    def set_all(self, section: str, option: str, values: list[str]) -> None:
        """Make `option` occur exactly with `values` (one line each), where it first was;
        a multi-valued option (device_spec) keeps every value, in order."""
        key = section_key(section)
        entries, ends = self._scan()
        mine = [e for e in entries if e.section == key and e.option == option]
        new = [f"{option} = {v}\n" for v in values]
        if mine:
            at = mine[0].first
            for e in reversed(mine):
                del self.lines[e.first:e.last + 1]
            self.lines[at:at] = new
        elif key in ends:
            self.lines[ends[key] + 1:ends[key] + 1] = new
        elif new:
            if self.lines and self.lines[-1].strip():
                self.lines.append("\n")
            self.lines += [f"[{section}]\n", *new]
