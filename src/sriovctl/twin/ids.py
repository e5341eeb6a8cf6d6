"""Deterministic ids: the same scenario gives the same UUIDs and MACs on every run.

OpenStack hands out random UUIDs and MACs; a simulation that diffs cleanly between runs is
more useful. Each kind of object (port, server...) gets a fixed random-looking base (a
UUIDv5 of the kind) and ids count up from it; MACs count up in neutron's ``fa:16:3e``
prefix. Counting keeps a fleet-sized run cheap (no hashing per id).
"""

from __future__ import annotations

import uuid
from collections import Counter

_NAMESPACE = uuid.UUID("6f1d2a7e-9b1c-4c53-8e0e-3a8f5c2d7b11")
_MASK = (1 << 128) - 1


class Ids:
    def __init__(self, seed: str = "sriovctl-twin"):
        self.seed = seed
        self._counts: Counter = Counter()
        self._bases: dict[str, int] = {}

    def new(self, kind: str) -> str:
        self._counts[kind] += 1
        base = self._bases.get(kind)
        if base is None:
            base = self._bases[kind] = uuid.uuid5(_NAMESPACE, f"{self.seed}:{kind}").int
        return str(uuid.UUID(int=(base + self._counts[kind] * 0x10000000000000001) & _MASK))

    def stable(self, kind: str, key: str) -> str:
        """The same id for the same key (an agent per host)."""
        return str(uuid.uuid5(_NAMESPACE, f"{self.seed}:{kind}:{key}"))

    def mac(self) -> str:
        self._counts["mac"] += 1
        n = self._counts["mac"]
        return f"fa:16:3e:{(n >> 16) & 0xFF:02x}:{(n >> 8) & 0xFF:02x}:{n & 0xFF:02x}"
