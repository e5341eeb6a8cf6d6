"""Shared test helpers: the fixture builder on sys.path, the captured lab snapshots."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

# pytest runs with --import-mode=importlib because test basenames repeat across folders
# (tests/vfs/test_cli.py, tests/monitor/test_cli.py); helper modules beside the tests
# (hostbuilder, fakes) are then found through these paths, as prepend mode would.
for _dir in (Path(__file__).parent, *sorted(p for p in Path(__file__).parent.iterdir()
                                            if p.is_dir() and not p.name.startswith(("_", ".")))):
    sys.path.insert(0, str(_dir))

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
