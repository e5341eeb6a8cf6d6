"""Real neutron for the tests in this folder: started once per session, stopped at the end.

When the stack cannot start (scripts/neutron-prepare not run, a process dying), every test
that needs it FAILS with the reason; nothing is skipped silently.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import realneutron  # noqa: E402

#: What nova's service user carries; the differential test binds as nova does.
NOVA_HEADERS = {"X-Project-Id": "sriovctl-tests", "X-Roles": "admin,member,reader,service",
                "X-User-Id": "nova", "Content-Type": "application/json"}


SUMMARY = pytest.StashKey[list]()


def pytest_configure(config):
    config.stash[SUMMARY] = []


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """The figures (bring-up time, matrix agreement) at the end of every run, pass or fail."""
    lines = config.stash.get(SUMMARY, [])
    if lines:
        terminalreporter.section("real neutron")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def neutron_summary(request) -> list:
    return request.config.stash[SUMMARY]


@pytest.fixture(scope="session")
def neutron_stack(tmp_path_factory, neutron_summary):
    root = tmp_path_factory.mktemp("neutron")
    stack = realneutron.Stack(root)
    try:
        stack.start()
    except realneutron.StackError as e:
        stack.stop()
        pytest.fail(f"real neutron did not start: {e}", pytrace=False)
    t = stack.timings
    neutron_summary.append(f"stack up in {t['bring-up']} s (API answering after {t['api']} s, "
                           f"agent alive {t['agent alive']} s later); logs in {root / 'log'}")
    yield stack
    started = time.monotonic()
    stack.stop()
    neutron_summary.append(f"stack stopped in {time.monotonic() - started:.1f} s")


class Rest:
    """Plain JSON over HTTP to one API server, with nova's roles."""

    def __init__(self, base: str):
        self.base = base + "/v2.0"

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        if method == "POST" and body and len(body) == 1:
            # Without keystone, neutron wants the project in the body when the headers
            # name one (only header-less requests get the fake admin project).
            (kind, item), = body.items()
            body = {kind: {"project_id": NOVA_HEADERS["X-Project-Id"], **item}}
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data, NOVA_HEADERS, method=method)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:  # noqa: S310 - loopback only
                raw = r.read()
                return r.status, (json.loads(raw) if raw else {})
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                return e.code, json.loads(raw)
            except ValueError:
                return e.code, {"raw": raw.decode(errors="replace")}

    def ok(self, method: str, path: str, body: dict | None = None) -> dict:
        status, data = self.call(method, path, body)
        assert status < 300, f"{method} {path}: {status} {data}"
        return data


@pytest.fixture(scope="session")
def rest(neutron_stack) -> Rest:
    return Rest(neutron_stack.api_url())


@pytest.fixture(scope="session")
def clouds_yaml(neutron_stack, tmp_path_factory) -> Path:
    """A clouds.yaml naming the stack as cloud ``realneutron`` (noauth, loopback)."""
    url = neutron_stack.api_url()
    path = tmp_path_factory.mktemp("clouds") / "clouds.yaml"
    path.write_text(
        "clouds:\n  realneutron:\n    auth_type: none\n"
        f"    auth:\n      endpoint: {url}\n    network_endpoint_override: {url}/\n"
    )
    return path


@pytest.fixture
def cloud_env(clouds_yaml, monkeypatch):
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds_yaml))
    for name in [n for n in os.environ if n.startswith("OS_") and n != "OS_CLIENT_CONFIG_FILE"]:
        monkeypatch.delenv(name)
    return "realneutron"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"
