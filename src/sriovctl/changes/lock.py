"""One change at a time per host: an flock on a file under /run.

At boot the VF unit and the PF udev rule can both fire for the same PF (udev's coldplug
replays "add" for every device), and two admins can run sriovctl at once. Writing
sriov_numvfs from two processes interleaves 0 and N writes, so changes take this lock and a
second one waits (bounded, with progress) instead of racing.
"""

from __future__ import annotations

import errno
import fcntl
import os
from typing import Optional

from sriovctl.changes.executor import Say, quiet
from sriovctl.changes.wait import Clock, wait_until
from sriovctl.errors import ChangeFailed

LOCK_PATH = "/run/lock/sriovctl.lock"


class HostLock:
    def __init__(self, path: str = LOCK_PATH, timeout: float = 300.0, say: Say = quiet,
                 clock: Optional[Clock] = None):
        self.path, self.timeout, self.say, self.clock = path, timeout, say, clock
        self.fd: Optional[int] = None

    def _try(self) -> Optional[str]:
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # type: ignore[arg-type]
            return None
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            return "another sriovctl is changing this host"

    def __enter__(self) -> HostLock:
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            wait_until(self._try, what="waiting for the sriovctl lock", timeout=self.timeout,
                       clock=self.clock, say=self.say, poll=0.2,
                       fix=f"see which process holds {self.path} (fuser {self.path})")
        except ChangeFailed:
            os.close(self.fd)
            self.fd = None
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing releases the flock
            self.fd = None
