"""Writing sysfs attributes, with a timeout, and steps built on it.

A write to sriov_numvfs runs the driver's whole VF setup in the writer's context; a driver
waiting on firmware can hold it for minutes (the SR-IOV operator allows 2 minutes). The
kernel cannot be told to give up, so the write runs in a helper thread and the command stops
*waiting* after the timeout, saying the write may still complete.
"""

from __future__ import annotations

import errno
import os
import threading
from dataclasses import dataclass
from typing import Callable, Optional, Protocol

from sriovctl.changes.step import Step
from sriovctl.errors import ChangeFailed

DEFAULT_TIMEOUT = 120.0


class SysfsWriter(Protocol):
    def write(self, path: str, value: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Write `value` to the attribute at `path` (absolute, e.g. /sys/...); raise OSError."""

    def read(self, path: str) -> Optional[str]:
        """The attribute's text, stripped; None when absent or unreadable."""


class WriteTimeout(OSError):
    def __init__(self, path: str, timeout: float):
        super().__init__(errno.ETIMEDOUT, f"no answer from the kernel after {timeout:.0f} s "
                         "(the write may still complete)", path)


class RealSysfs:
    """Writes below a root ("/" on the live host; a directory in tests)."""

    def __init__(self, root: str = "/"):
        self.root = os.path.abspath(root)

    def _path(self, path: str) -> str:
        return path if self.root == "/" else os.path.join(self.root, path.lstrip("/"))

    def read(self, path: str) -> Optional[str]:
        try:
            with open(self._path(path)) as f:
                return f.read().strip()
        except OSError:
            return None

    def write(self, path: str, value: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        real = self._path(path)
        result: list[BaseException] = []

        def do_write() -> None:
            try:
                # one write() call with the whole value: sysfs takes the first write only
                fd = os.open(real, os.O_WRONLY)
                try:
                    os.write(fd, value.encode())
                finally:
                    os.close(fd)
            except BaseException as e:  # noqa: BLE001 - handed to the waiting thread
                result.append(e)

        worker = threading.Thread(target=do_write, name=f"sysfs-write {path}", daemon=True)
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            raise WriteTimeout(path, timeout)
        if result:
            raise result[0]


@dataclass
class SysfsWrite(Step):
    """Write an attribute; undo writes the previous value back (if it was readable).

    `undo_value` overrides what undo writes (e.g. "" to clear driver_override), and
    `explain_errno` gives the one-line reason for a kernel error on this attribute.
    """

    sysfs: SysfsWriter
    path: str
    value: str
    text: str
    timeout: float = DEFAULT_TIMEOUT
    undo_value: Optional[str] = None
    reversible: bool = True
    explain_errno: Optional[Callable[[OSError], tuple[str, Optional[str]]]] = None

    def __post_init__(self) -> None:
        self.before: Optional[str] = None

    def describe(self) -> str:
        return self.text

    def apply(self) -> None:
        self.before = self.sysfs.read(self.path)
        self.sysfs.write(self.path, self.value, self.timeout)

    def verify(self) -> None:
        now = self.sysfs.read(self.path)
        if now is not None and now != self.value.strip():
            raise ChangeFailed(f"{self.text}: wrote {self.value.strip()!r} but the kernel "
                               f"reports {now!r}")

    def undo(self) -> None:
        if not self.reversible:
            return
        target = self.undo_value if self.undo_value is not None else self.before
        if target is None or self.sysfs.read(self.path) == target.strip():
            return
        self.sysfs.write(self.path, target, self.timeout)

    def explain(self, error: BaseException) -> tuple[str, Optional[str]]:
        if isinstance(error, OSError) and self.explain_errno is not None:
            return self.explain_errno(error)
        return super().explain(error)
