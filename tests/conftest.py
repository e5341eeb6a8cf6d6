"""Shared test helpers: the fixture builder on sys.path, the captured lab snapshots."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from testdata import FIXTURES  # noqa: E402


@pytest.fixture(scope="session")
def expected() -> dict:
    return json.loads((FIXTURES / "expected.json").read_text())["snapshots"]


@pytest.fixture
def cli(capsys):
    """Run the CLI in-process: cli("check", "--root", X) -> (exit code, stdout, stderr)."""
    from sriovctl.cli.main import main

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run
