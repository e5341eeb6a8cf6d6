"""Waiting for the kernel (VF links, netdevs, drivers) with a deadline and visible progress.

Polling rather than netlink events: the things waited for are sysfs links and directories
that udev renames and drivers bind asynchronously, and a 0.1 s poll of a few directory
listings costs nothing next to the seconds the kernel takes. Progress goes out once the wait
has lasted a second, then every few seconds, so no wait is ever silent.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Optional

from sriovctl.changes.executor import InterruptGuard, Say, quiet
from sriovctl.errors import ChangeFailed


@dataclass
class Clock:
    """Time, passed in so tests can run a 60 s timeout in no time."""

    now: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


def wait_until(check: Callable[[], Optional[str]], *, what: str, timeout: float,
               clock: Optional[Clock] = None, say: Say = quiet,
               guard: Optional[InterruptGuard] = None, poll: float = 0.1,
               fix: Optional[str] = None) -> float:
    """Poll `check` until it returns None (done); it returns a status line while waiting.

    Returns the seconds waited; raises ChangeFailed with the last status on timeout.
    """
    clock = clock or Clock()
    start = clock.now()
    next_say = start + 1.0
    while True:
        status = check()
        now = clock.now()
        if status is None:
            if now - start >= 1.0:
                say(f"{what}: done after {now - start:.1f} s")
            return now - start
        if guard is not None:
            guard.check()
        if now - start >= timeout:
            raise ChangeFailed(f"{what}: not done after {timeout:.0f} s ({status})",
                               fix=fix or "raise --timeout, or look at dmesg for the driver")
        if now >= next_say:
            say(f"{what}: {status} ({now - start:.0f} s)")
            next_say = now + 3.0
        clock.sleep(poll)
