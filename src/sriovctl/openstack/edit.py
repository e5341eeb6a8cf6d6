"""Minimal-diff edits of oslo.config ini files: change the SR-IOV options, touch nothing else.

Operators' nova.conf and ml2_conf.ini are long, commented and hand-ordered; rewriting
them through a config library would lose all of that. Here the file stays a list of
lines: an option is found the way oslo.config's parser finds it (section headers,
``key = value`` or ``key: value``, indented continuation lines, ``#``/``;`` comments),
and only the lines of the assignments we change are replaced. A new option goes after
the last assignment of its section; a new section at the end of the file.

The edits (:class:`OptionEdit`) say *what* must hold, not which text to write, so
applying them twice changes nothing the second time:

- ``set``: a single-valued option takes ``values[0]`` (the effective, i.e. last,
  occurrence is rewritten);
- ``items``: a comma-separated list gains the missing ``values`` (starting from the
  service's default when the option is unset); with ``key_sep`` an entry counts as
  present when its part before ``key_sep`` matches (``sriovnet1:1000:2000`` has physnet
  ``sriovnet1``);
- ``multi``: a repeated option (``[pci] device_spec``) gets the ``values`` lines; existing
  lines for which ``drop`` is true are removed, and lines under ``old_names`` are renamed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Optional

from sriovctl.openstack.config import normalize_section
from sriovctl.openstack.neutron.options import list_value


@dataclass(frozen=True)
class OptionEdit:
    section: str
    option: str
    kind: str  # "set" | "items" | "multi"
    values: tuple[str, ...]
    default: tuple[str, ...] = ()  # items: the service's default when the option is unset
    only_if_set: bool = False  # items, multi: an unset option's default already does
    key_sep: Optional[str] = None  # items: compare entries by their part before this
    old_names: tuple[str, ...] = ()  # multi: deprecated names, renamed to ``option``
    drop: Optional[Callable[[str], bool]] = None  # multi: remove existing values it accepts
    why: str = ""  # shown as a comment by render
    example: tuple[str, ...] = ()  # items: shown before ``values`` by render (not applied)
    accept: tuple[str, ...] = ()  # set: other values that already mean the same


@dataclass
class _Assignment:
    section: str  # normalized
    key: str
    start: int  # first line index
    end: int  # one past the last continuation line
    value: str  # as oslo.config sees it (continuations joined by newlines)


class IniText:
    """A file's lines plus the assignments oslo.config would see in them."""

    def __init__(self, text: str):
        self.lines = text.splitlines(keepends=True)

    def text(self) -> str:
        return "".join(self.lines)

    # -- reading ------------------------------------------------------------------
    def _scan(self) -> tuple[list[_Assignment], dict[str, tuple[int, int]]]:
        """Assignments, and each section's (header index, index after its last assignment)."""
        found: list[_Assignment] = []
        sections: dict[str, tuple[int, int]] = {}
        section, current = None, None
        for i, raw in enumerate(self.lines):
            line = raw.rstrip()
            if not line:
                current = None
                continue
            if line.startswith((" ", "\t")):
                if current is not None:
                    current.end = i + 1
                    current.value += "\n" + line.lstrip()
                    sections[current.section] = (sections[current.section][0], i + 1)
                continue
            current = None
            if line.startswith("["):
                section = normalize_section(line[1:-1])
                sections.setdefault(section, (i, i + 1))
            elif not line.startswith(("#", ";")) and section is not None:
                key, value = _split(line)
                current = _Assignment(section, key, i, i + 1, value)
                found.append(current)
                sections[section] = (sections[section][0], i + 1)
        return found, sections

    def find(self, section: str, option: str) -> list[_Assignment]:
        sec = normalize_section(section)
        return [a for a in self._scan()[0] if a.section == sec and a.key == option]

    def values(self, section: str, option: str) -> list[str]:
        """Every value of the option, in file order (a MultiStrOpt keeps them all)."""
        return [a.value for a in self.find(section, option)]

    def get(self, section: str, option: str) -> Optional[str]:
        """The value oslo.config uses for a single-valued option: the last one."""
        found = self.values(section, option)
        return found[-1] if found else None

    # -- writing ------------------------------------------------------------------
    def replace(self, a: _Assignment, value: str, key: Optional[str] = None) -> None:
        first = self.lines[a.start]
        ending = "\n" if first.endswith("\n") or a.end < len(self.lines) else ""
        prefix = _prefix(first, a.key)
        if key is not None:
            prefix = prefix.replace(a.key, key, 1)
        self.lines[a.start:a.end] = [f"{prefix}{value}{ending}"]

    def delete(self, a: _Assignment) -> None:
        del self.lines[a.start:a.end]

    def set_all(self, section: str, option: str, values: list[str]) -> None:
        """Make the option occur exactly with `values` (one line each) where it first was,
        or at the end of its section when it was not set."""
        mine = self.find(section, option)
        if not mine:
            self.add(section, option, values)
            return
        at = mine[0].start
        for a in reversed(mine):
            self.delete(a)
        self.lines[at:at] = [f"{option} = {v}\n" for v in values]

    def set(self, section: str, option: str, value: str) -> None:
        self.set_all(section, option, [value])

    def add(self, section: str, option: str, values: list[str]) -> None:
        new = [f"{option} = {v}\n" for v in values]
        _, sections = self._scan()
        sec = normalize_section(section)
        if sec in sections:
            at = sections[sec][1]
            self.lines[at:at] = new
            return
        if self.lines and not self.lines[-1].endswith("\n"):
            self.lines[-1] += "\n"
        gap = ["\n"] if self.lines and self.lines[-1].strip() else []
        self.lines += [*gap, f"[{section}]\n", *new]


def _split(line: str) -> tuple[str, str]:
    # oslo.config's rule: the first ':' or '=', whichever comes first; quotes stripped.
    colon, equal = line.find(":"), line.find("=")
    cut = equal if colon < 0 or (0 <= equal < colon) else colon
    key, value = line[:cut].strip(), line[cut + 1:].strip()
    if value and value[0] == value[-1] and value.startswith(("'", '"')):
        value = value[1:-1]
    return key, value


def _prefix(line: str, key: str) -> str:
    """``"key = "`` as written (spacing and separator kept) for a rewritten line."""
    m = re.match(rf"^({re.escape(key)}\s*[=:][ \t]*)", line)
    return m.group(1) if m else f"{key} = "


def _items(doc: IniText, e: OptionEdit) -> None:
    found = doc.find(e.section, e.option)
    if not found and e.only_if_set:
        return
    current = list_value(found[-1].value) if found else list(e.default)

    def key(item: str) -> str:
        return item.split(e.key_sep, 1)[0].strip() if e.key_sep else item

    have = {key(i) for i in current}
    missing = [v for v in e.values if key(v) not in have]
    if not missing and found:
        return
    # Keep the file's list style: "a, b" stays spaced, "a,b" stays tight.
    spaced = ", " in found[-1].value if found else bool(e.default)
    value = (", " if spaced else ",").join([*current, *missing])
    if found:
        doc.replace(found[-1], value)
    else:
        doc.add(e.section, e.option, [value])


def _multi(doc: IniText, e: OptionEdit) -> None:
    if e.only_if_set and not any(doc.find(e.section, n) for n in (e.option, *e.old_names)):
        return
    for old in e.old_names:
        for a in reversed(doc.find(e.section, old)):  # from the end: indexes stay valid
            doc.replace(a, a.value.replace("\n", " "), key=e.option)
    at = None  # new lines go where the first replaced one was
    for a in reversed(doc.find(e.section, e.option)):
        if e.drop is not None and e.drop(a.value) and a.value not in e.values:
            doc.delete(a)
            at = a.start
    found = doc.find(e.section, e.option)
    have = {a.value for a in found}
    missing = [v for v in e.values if v not in have]
    if not missing:
        return
    if at is None and found:  # else right after the existing lines, in nova's order
        at = found[-1].end
    if at is None:
        doc.add(e.section, e.option, missing)
    else:
        doc.lines[at:at] = [f"{e.option} = {v}\n" for v in missing]


def apply_edits(text: str, edits: list[OptionEdit]) -> str:
    """The file text with ``edits`` applied; unchanged text when they already hold."""
    doc = IniText(text)
    for e in edits:
        if e.kind == "set":
            found = doc.find(e.section, e.option)
            if not found:
                doc.add(e.section, e.option, [e.values[0]])
            elif found[-1].value not in (e.values[0], *e.accept):
                doc.replace(found[-1], e.values[0])
        elif e.kind == "items":
            _items(doc, e)
        elif e.kind == "multi":
            _multi(doc, e)
        else:
            raise ValueError(f"unknown edit kind {e.kind!r}")
    return doc.text()
