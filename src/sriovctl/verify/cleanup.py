"""Leave nothing behind: track what a run creates, delete it in reverse, find old leftovers.

Everything ``verify`` creates carries the tag ``sriovctl-verify`` and a name starting with
``sriovctl-verify-``, so a run killed before it could clean up (SIGKILL, a lost
connection) is found again by ``sriovctl verify --cleanup``.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Callable

from sriovctl.verify.cloud import Api, ApiError

TAG = "sriovctl-verify"
NAME_PREFIX = "sriovctl-verify-"
#: Deletion order: what holds a port first, then ports, then networks (subnets go with them).
KINDS = ("servers", "ports", "networks")


class Created:
    """The resources of one run, by kind, in creation order."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, kind: str, item_id: str) -> None:
        self.items.append((kind, item_id))

    def labels(self) -> list[str]:
        return [f"{kind}/{item_id}" for kind, item_id in self.items]


def delete(api: Api, kind: str, item_id: str) -> None:
    """Delete one resource; already gone counts as deleted."""
    try:
        if kind == "servers":
            api.compute("DELETE", f"/servers/{item_id}")
            _wait_server_gone(api, item_id)
        else:
            api.delete(f"/{kind}/{item_id}")
    except ApiError as e:
        if e.status != 404:
            raise


def _wait_server_gone(api: Api, server_id: str, timeout: float = 120) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            api.compute("GET", f"/servers/{server_id}")
        except ApiError as e:
            if e.status == 404:
                return
            raise
        time.sleep(2)


def delete_all(
    api: Api, items: list[tuple[str, str]], progress: Callable[[str], None]
) -> list[str]:
    """Delete ``items`` servers first, then ports, then networks; return what could not go."""
    left = []
    for kind in KINDS:
        for k, item_id in reversed(items):
            if k != kind:
                continue
            progress(f"deleting {kind[:-1]} {item_id}")
            try:
                delete(api, kind, item_id)
            except Exception as e:  # noqa: BLE001 - keep deleting the rest, report this one
                left.append(f"{kind}/{item_id}: {e}")
    return left


def find_leftovers(api: Api) -> list[tuple[str, str, str]]:
    """(kind, id, name) of everything an earlier run left: tagged, or named like ours."""
    found = []
    for kind in ("ports", "networks"):
        seen = set()
        for item in api.tagged(kind, TAG) + _named(api, kind):
            if item["id"] not in seen:
                seen.add(item["id"])
                found.append((kind, item["id"], item.get("name", "")))
    return found


def _named(api: Api, kind: str) -> list[dict]:
    # Name filters are exact in neutron; a prefix needs the list (filtered client-side).
    return [x for x in api.get(f"/{kind}?fields=id&fields=name")[kind]
            if str(x.get("name", "")).startswith(NAME_PREFIX)]


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Let SIGTERM unwind like Ctrl-C, so the cleanup in ``finally`` runs for both."""

    def handler(signum, frame):
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
