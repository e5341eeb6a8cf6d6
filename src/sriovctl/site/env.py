"""The writers a site plan or apply gets, by what the root is.

  /                the live host: sysfs, netlink, files and commands for real
  a directory      a copy of a host (a fixture, an image): its files are read and written
                   under it; commands are not run (recorded and reported); sysfs and
                   netlink changes are refused by apply, since no kernel is behind them
  a tarball        a snapshot: read only, for plan and --dry-run
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field
from typing import Optional

from sriovctl.changes.commands import Completed, RealCommands
from sriovctl.changes.executor import Say, quiet
from sriovctl.changes.files import AtomicFiles, FileState
from sriovctl.changes.netlink import IPRouteNetlink
from sriovctl.changes.sysfs import RealSysfs
from sriovctl.host.archive import open_root
from sriovctl.host.root import Root
from sriovctl.vfs.context import Env


@dataclass
class NotRun:
    """Commands for a root that is not this machine: recorded, never executed."""

    log: list[list[str]] = field(default_factory=list)

    def run(self, argv: list[str], timeout: float = 60.0) -> Completed:
        self.log.append(list(argv))
        return Completed(tuple(argv), 0, "", "")


class NoKernel:
    """sysfs writes and netlink for a root with no kernel behind it: refused, never guessed."""

    def __init__(self, root: Root):
        self.root = root

    def read(self, path: str) -> Optional[str]:
        text = self.root.read_text(path)
        return text.strip() if text is not None else None

    def _refuse(self, *what: object) -> None:
        raise OSError(errno.EROFS, f"{self.root.label} is not the live host: no kernel to "
                      "change", str(what[0]) if what else None)

    def write(self, path: str, value: str, timeout: float = 0.0) -> None:
        self._refuse(path)

    def set_vf(self, pf: str, vf: int, settings: dict) -> None:
        self._refuse(pf)

    def vfs(self, pf: str) -> list:
        from sriovctl.host.read import read_host

        return list(read_host(self.root).vf_settings.get(pf, ()))

    def fdb_add(self, dev: str, mac: str) -> None:
        self._refuse(dev)

    def fdb_del(self, dev: str, mac: str) -> None:
        self._refuse(dev)

    def fdb(self, dev: str) -> list:
        return []

    def close(self) -> None:
        pass


class SnapshotFiles:
    """Files read from a snapshot tarball; writing one is refused."""

    def __init__(self, root: Root):
        self.root = root

    def read(self, path: str) -> Optional[FileState]:
        data = self.root.read_bytes(path)
        return None if data is None else FileState(data, 0o644, 0, 0)

    def write(self, path: str, content: bytes, mode: int = 0o644, backup: bool = True) -> None:
        raise OSError(errno.EROFS, "a snapshot tarball is read-only", path)

    remove = symlink = write  # type: ignore[assignment]

    def readlink(self, path: str) -> Optional[str]:
        return self.root.readlink(path)


class SnapshotEnv(Env):
    """An Env whose reader is the one (cached) snapshot, not a directory."""

    snapshot: Optional[Root] = None

    def reader(self) -> Root:
        assert self.snapshot is not None
        return self.snapshot


def site_env(root_spec: str = "/", say: Say = quiet) -> Env:
    root = open_root(root_spec)
    if root.is_live:
        return Env(sysfs=RealSysfs("/"), netlink=IPRouteNetlink(), files=AtomicFiles("/"),
                   commands=RealCommands(), root="/", say=say)
    if os.path.isdir(root_spec):
        path = os.path.abspath(root_spec)
        return Env(sysfs=NoKernel(root), netlink=NoKernel(root), files=AtomicFiles(path),
                   commands=NotRun(), root=path, say=say)
    env = SnapshotEnv(sysfs=NoKernel(root), netlink=NoKernel(root), files=SnapshotFiles(root),
                      commands=NotRun(), root=root_spec, say=say)
    env.snapshot = root
    return env

