"""Fixtures for the site tests; the host itself is built in sitehost.py."""

from __future__ import annotations

import pytest
from sitehost import Host, make_host


@pytest.fixture
def host(tmp_path) -> Host:
    return make_host(tmp_path / "root")
