"""Paths of the test data (a plain module: several conftest.py files exist, so tests must
not import names from `conftest`)."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).parent
FIXTURES = TESTS / "fixtures"
LAB_SNAPSHOTS = ("lab-default-0vfs", "lab-default-7vfs", "lab-kernel-6.12-0vfs",
                 "lab-kernel-6.12-7vfs")
