"""Fixtures for the twin: the guide's host and config files, and a one-call simulate()."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # twin_helpers, importable by the tests

from twin_helpers import GUIDE_CONFIGS  # noqa: E402

from hostbuilder import big_host, guide_host, shared_group_host


@pytest.fixture(scope="session")
def guide_root(tmp_path_factory) -> Path:
    return guide_host(tmp_path_factory.mktemp("guide")).build()


@pytest.fixture(scope="session")
def shared_root(tmp_path_factory) -> Path:
    return shared_group_host(tmp_path_factory.mktemp("shared")).build()


@pytest.fixture(scope="session")
def big_root(tmp_path_factory) -> Path:
    return big_host(tmp_path_factory.mktemp("big")).build()


@pytest.fixture
def write(tmp_path):
    """write("name", text) -> path of a new file in the test's tmp dir."""

    def make(name: str, text: str) -> str:
        path = tmp_path / name
        path.write_text(text)
        return str(path)

    return make


@pytest.fixture
def simulate(write, guide_root):
    """simulate(scenario_text, configs=guide's, hosts=[guide host], **options) -> Report."""
    from sriovctl.twin.run import simulate as run

    def go(scenario: str, configs=None, hosts=None, **options):
        configs = [str(c) for c in (GUIDE_CONFIGS if configs is None else configs)]
        hosts = hosts or [f"compute-0={guide_root}"]
        return run(configs, hosts, scenario=write("scenario.txt", scenario), **options)

    return go
