"""OpenStack release names in order, and the few SR-IOV facts that changed between them.

Operators say "yoga" or "2023.1" or "antelope"; option names changed at specific
releases (``[pci] passthrough_whitelist`` became ``device_spec`` in Zed), so render and
lint need the order. Since 2023.1 a release has a number (``YYYY.N``) and a name; both
are accepted here. Only releases whose nova/neutron we know the version of are listed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sriovctl.errors import InputError


@dataclass(frozen=True)
class Release:
    name: str  # lower case series name
    number: str | None  # "2023.1" from Antelope on
    nova: int  # nova major version
    neutron: int  # neutron major version

    @property
    def label(self) -> str:
        return f"{self.number} {self.name}" if self.number else self.name

    @property
    def order(self) -> int:
        return self.nova  # nova's major version grows by one per release


# (name, number, nova major, neutron major); nova 15 = Ocata, neutron 10 = Ocata.
_TABLE = (
    ("ocata", None), ("pike", None), ("queens", None), ("rocky", None), ("stein", None),
    ("train", None), ("ussuri", None), ("victoria", None), ("wallaby", None), ("xena", None),
    ("yoga", None), ("zed", None), ("antelope", "2023.1"), ("bobcat", "2023.2"),
    ("caracal", "2024.1"), ("dalmatian", "2024.2"), ("epoxy", "2025.1"),
    ("flamingo", "2025.2"), ("gazpacho", "2026.1"),
)  # fmt: skip
RELEASES = tuple(
    Release(name, number, 15 + i, 10 + i) for i, (name, number) in enumerate(_TABLE)
)
LATEST = RELEASES[-1]
ZED = next(r for r in RELEASES if r.name == "zed")


def find_release(text: str) -> Release:
    """'zed', 'Zed', '2023.1', 'antelope', '2023.1-antelope' -> Release; InputError otherwise."""
    key = text.strip().lower().replace("_", " ").replace("-", " ")
    for r in RELEASES:
        if key in (r.name, r.number, f"{r.number} {r.name}", f"{r.name} {r.number}"):
            return r
    known = ", ".join(r.label for r in RELEASES)
    raise InputError(f"unknown OpenStack release {text!r}", fix=f"use one of: {known}")


def uses_device_spec(release: Release) -> bool:
    """Zed (nova 26.0.0) renamed [pci] passthrough_whitelist to device_spec."""
    return release.order >= ZED.order
