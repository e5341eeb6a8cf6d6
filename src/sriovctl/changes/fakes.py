"""In-memory writers with the real ones' interfaces, for unit tests (and --dry-run probes).

Each records what was asked of it (`log`) and can be told to fail (`fail`), so a test can
prove both "nothing was written" and "a failure at step k undoes steps k..1".
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Optional

from sriovctl.changes.commands import Completed
from sriovctl.changes.files import FileState
from sriovctl.changes.netlink import FdbEntry
from sriovctl.host.model import VfSettings


def _err(code: int, what: str = "") -> OSError:
    return OSError(code, os.strerror(code), what or None)


@dataclass
class MemorySysfs:
    """Attributes in a dict. `on_write[path]` may act like the kernel (and raise OSError)."""

    values: dict[str, str] = field(default_factory=dict)
    on_write: dict[str, Callable[[str], None]] = field(default_factory=dict)
    fail: dict[str, int] = field(default_factory=dict)  # path -> errno, once
    log: list[tuple[str, str]] = field(default_factory=list)

    def read(self, path: str) -> Optional[str]:
        value = self.values.get(path)
        return None if value is None else value.strip()

    def write(self, path: str, value: str, timeout: float = 0.0) -> None:
        self.log.append((path, value))
        if path in self.fail:
            raise _err(self.fail.pop(path), path)
        if path in self.on_write:
            self.on_write[path](value)
        else:
            self.values[path] = value.strip()


@dataclass
class FakeNetlink:
    """VFs per PF as VfSettings; `refuse[(pf, key)] = errno` plays a driver's limits.

    Like the kernel, attributes are applied in order and the first refusal stops the
    message with the earlier ones already applied: that is what undo has to cope with.
    """

    vf_table: dict[str, list[VfSettings]] = field(default_factory=dict)
    refuse: dict[tuple[str, str], int] = field(default_factory=dict)
    fdb_table: dict[str, list[FdbEntry]] = field(default_factory=dict)
    log: list[tuple[str, Any]] = field(default_factory=list)
    changed: Optional[Callable[[FakeNetlink], None]] = None  # e.g. mirror into a fake root
    closed: bool = False

    ORDER = ("mac", "vlan", "min_tx_rate", "max_tx_rate", "spoofchk", "link_state", "trust")

    def add_pf(self, pf: str, count: int) -> None:
        self.vf_table[pf] = [VfSettings(index=i, mac="00:00:00:00:00:00", vlan=0, qos=0,
                                        spoofchk=True, trust=False, link_state="auto",
                                        min_tx_rate=0, max_tx_rate=0) for i in range(count)]
        self._changed()

    def set_vf(self, pf: str, vf: int, settings: dict[str, Any]) -> None:
        self.log.append(("set_vf", (pf, vf, dict(settings))))
        table = self.vf_table.get(pf)
        if table is None:
            raise _err(errno.ENODEV, pf)
        if not 0 <= vf < len(table):
            raise _err(errno.EINVAL, f"{pf} vf {vf}")
        try:
            for key in self.ORDER:
                if settings.get(key) is None:
                    continue
                code = self.refuse.get((pf, key))
                if code:
                    raise _err(code, f"{pf} vf {vf} {key}")
                changes = {key: settings[key]}
                if key == "vlan":
                    changes.update(qos=settings.get("qos") or 0,
                                   vlan_proto=settings.get("vlan_proto") or "802.1Q")
                    if not settings[key]:
                        changes.update(vlan_proto=None)
                table[vf] = replace(table[vf], **changes)
        finally:
            self._changed()

    def vfs(self, pf: str) -> list[VfSettings]:
        if pf not in self.vf_table:
            raise _err(errno.ENODEV, pf)
        return list(self.vf_table[pf])

    def fdb_add(self, dev: str, mac: str) -> None:
        self.log.append(("fdb_add", (dev, mac)))
        entries = self.fdb_table.setdefault(dev, [])
        if any(e.mac == mac for e in entries):
            raise _err(errno.EEXIST, mac)
        entries.append(FdbEntry(mac=mac, dev=dev))

    def fdb_del(self, dev: str, mac: str) -> None:
        self.log.append(("fdb_del", (dev, mac)))
        entries = self.fdb_table.get(dev, [])
        if not any(e.mac == mac for e in entries):
            raise _err(errno.ENOENT, mac)
        self.fdb_table[dev] = [e for e in entries if e.mac != mac]

    def fdb(self, dev: str) -> list[FdbEntry]:
        return list(self.fdb_table.get(dev, []))

    def close(self) -> None:
        self.closed = True

    def writes(self) -> list[tuple[str, Any]]:
        return [entry for entry in self.log if entry[0] != "vfs"]

    def _changed(self) -> None:
        if self.changed is not None:
            self.changed(self)


@dataclass
class MemoryFiles:
    files: dict[str, FileState] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    fail: dict[str, int] = field(default_factory=dict)
    log: list[tuple[str, str]] = field(default_factory=list)

    def read(self, path: str) -> Optional[FileState]:
        return self.files.get(path)

    def write(self, path: str, content: bytes, mode: int = 0o644, backup: bool = True) -> None:
        self.log.append(("write", path))
        if path in self.fail:
            raise _err(self.fail.pop(path), path)
        old = self.files.get(path)
        if old is not None and backup and old.content != content:
            self.files[path + ".sriovctl.bak"] = old
        keep = old or FileState(b"", mode, 0, 0)
        self.files[path] = FileState(content, keep.mode, keep.uid, keep.gid)

    def remove(self, path: str) -> None:
        self.log.append(("remove", path))
        self.files.pop(path, None)
        self.links.pop(path, None)

    def symlink(self, path: str, target: str) -> None:
        self.log.append(("symlink", path))
        self.links[path] = target

    def readlink(self, path: str) -> Optional[str]:
        return self.links.get(path)

    def text(self, path: str) -> Optional[str]:
        state = self.files.get(path)
        return None if state is None else state.content.decode()


@dataclass
class RecordingCommands:
    """Answers `results[argv0]` (rc, out, err), default success; records every argv."""

    results: dict[str, tuple[int, str, str]] = field(default_factory=dict)
    log: list[list[str]] = field(default_factory=list)

    def run(self, argv: list[str], timeout: float = 60.0) -> Completed:
        self.log.append(list(argv))
        rc, out, err = self.results.get(argv[0], (0, "", ""))
        return Completed(tuple(argv), rc, out, err)
