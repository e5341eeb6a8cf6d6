"""The regex-address pitfall: nova matches each field with ``re.match``, anchored only at the start.

``"address": {"bus": "0"}`` reads like "bus 0" but selects every bus *starting* with 0
(``00`` … ``0f``); ``{"slot": "1"}`` takes slots ``10`` … ``1f`` as well. A device's fields
are lower-case hex of fixed width (domain 4, bus 2, slot 2, function 1), so the values a
pattern selects beyond its full match can be enumerated exactly, with no host at hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

# nova's names for the dict keys -> (width, largest value)
FIELDS = {"domain": (4, 0xFFFF), "bus": (2, 0xFF), "slot": (2, 0x1F), "function": (1, 0x7)}
_HEX = re.compile(r"^[0-9a-fA-F]+$")


@dataclass(frozen=True)
class PrefixPitfall:
    field: str
    pattern: str
    extra: tuple[str, ...]  # field values re.match accepts but re.fullmatch does not
    suggestion: str

    def describe(self, limit: int = 6) -> str:
        extra = self.extra
        shown = ", ".join(extra) if len(extra) <= limit else (
            f"{', '.join(extra[:limit - 2])}, …, {extra[-1]}")
        return (
            f'"{self.field}": "{self.pattern}" is matched with re.match, anchored only at the '
            f"start: it also selects {self.field} {shown} ({len(self.extra)} values)"
        )


@cache
def _values(field: str) -> tuple[str, ...]:
    width, top = FIELDS[field]
    return tuple(f"{v:0{width}x}" for v in range(top + 1))


def _suggest(field: str, pattern: str) -> str:
    width = FIELDS[field][0]
    if _HEX.match(pattern) and len(pattern) <= width:
        full = pattern.lower().zfill(width)
        return f'"{field}": "{full}$" for {field} {full} only'
    return f'"{field}": "{pattern}$"'


def prefix_pitfalls(address: object) -> list[PrefixPitfall]:
    """For a dict address, every field whose pattern selects more than its full matches."""
    if not isinstance(address, dict):
        return []
    found = []
    for field in FIELDS:
        pattern = address.get(field)
        if not isinstance(pattern, str) or pattern in ("", ".*"):
            continue
        try:
            rx = re.compile(pattern)
        except re.error:
            continue  # nova rejects it; reported as PciDeviceWrongAddressFormat
        extra = tuple(v for v in _values(field) if rx.match(v) and not rx.fullmatch(v))
        if extra:
            found.append(PrefixPitfall(field, pattern, extra, _suggest(field, pattern)))
    return found


def selected_by_prefix(pitfalls: list[PrefixPitfall], address: str) -> bool:
    """Does a device at ``address`` (dddd:bb:ss.f) match only because of a prefix match?"""
    dbs, _, func = address.partition(".")
    parts = dbs.split(":")
    if len(parts) != 3:
        return False
    values = {"domain": parts[0], "bus": parts[1], "slot": parts[2], "function": func}
    return any(values[p.field] in p.extra for p in pitfalls)
