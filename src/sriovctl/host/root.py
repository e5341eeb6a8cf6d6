"""A filesystem root to read sysfs/procfs from: the live "/" or a captured snapshot.

Every read goes through `Root`, which resolves symlinks itself, component by component,
and never lets a path leave the root. That gives three things at once: a snapshot directory
with a hostile link cannot make us read the real /etc; a dangling link reads as "absent"
instead of raising; and `RecordingRoot` can note every file and link it touched, which is
how `sriovctl snapshot` captures exactly what the tool reads.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field

MAX_READ = 1 << 16  # sysfs attributes are one page; config space is 4 KiB
_MAX_LINK_HOPS = 40  # the kernel's own limit for nested symlinks


@dataclass
class Root:
    """Read-only access below `path`. Paths given to methods are absolute ("/sys/...")."""

    path: str
    label: str = ""
    problems: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.path = os.path.abspath(self.path)
        if not self.label:
            self.label = self.path
        self._resolved: dict[str, str | None] = {}
        self.read_errors: dict[str, str] = {}

    @property
    def is_live(self) -> bool:
        return self.path == "/"

    # -- path resolution --------------------------------------------------------------
    def resolve(self, path: str) -> str | None:
        """Resolve `path` inside the root; None when it does not exist or would escape."""
        parts = [p for p in path.split("/") if p and p != "."]
        done: list[str] = []
        hops = 0
        while parts:
            name = parts.pop(0)
            if name == "..":
                if done:
                    done.pop()
                continue
            prefix = "/" + "/".join(done + [name])
            cached = self._resolved.get(prefix, "")
            if cached != "":
                if cached is None:
                    return None
                done = [p for p in cached.split("/") if p]
                continue
            kind = self._kind(prefix)
            if kind is None:
                self._resolved[prefix] = None
                return None
            if kind == "link":
                hops += 1
                if hops > _MAX_LINK_HOPS:
                    return None
                target = self._readlink_raw(prefix)
                if target is None:
                    return None
                self._note_link(prefix, target)
                if target.startswith("/"):
                    # An absolute link is relative to *this* root, as it was on the host.
                    parts = [p for p in target.split("/") if p] + parts
                    done = []
                else:
                    parts = [p for p in target.split("/") if p] + parts
                continue
            done.append(name)
            self._resolved[prefix] = "/" + "/".join(done)
        return "/" + "/".join(done)

    # -- storage: a directory tree on disk; MemoryRoot overrides these five ------------
    def _host_path(self, path: str) -> str:
        return os.path.join(self.path, path.lstrip("/")) if self.path != "/" else path

    def _kind(self, path: str) -> str | None:
        try:
            mode = os.lstat(self._host_path(path)).st_mode
        except OSError:
            return None
        return "link" if stat.S_ISLNK(mode) else ("dir" if stat.S_ISDIR(mode) else "file")

    def _readlink_raw(self, path: str) -> str | None:
        try:
            return os.readlink(self._host_path(path))
        except OSError:
            return None

    def _read_raw(self, path: str, limit: int) -> bytes:
        with open(self._host_path(path), "rb") as f:
            return f.read(limit)

    def _list_raw(self, path: str) -> list[str]:
        return os.listdir(self._host_path(path))

    def _size_raw(self, path: str) -> int:
        return os.stat(self._host_path(path)).st_size

    # -- reads --------------------------------------------------------------------------
    def read_bytes(self, path: str, limit: int = MAX_READ) -> bytes | None:
        real = self.resolve(path)
        if real is None:
            return None
        try:
            data = self._read_raw(real, limit)
        except OSError as e:
            self._note_read_error(real, e)
            return None
        self._note_file(real)
        return data

    def read_text(self, path: str) -> str | None:
        """The attribute's text without the trailing newline; None if absent or unreadable."""
        data = self.read_bytes(path)
        if data is None:
            return None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            self.problems.append((path, "not UTF-8 text"))
            text = data.decode("utf-8", errors="replace")
        return text.strip()

    def read_int(self, path: str, base: int = 10) -> int | None:
        text = self.read_text(path)
        if text is None or text == "":
            return None
        try:
            return int(text, base)
        except ValueError:
            self.problems.append((path, f"expected a number, read {text[:40]!r}"))
            return None

    def link_name(self, path: str) -> str | None:
        """Basename of a symlink's target ("driver" -> "igb"), if the link exists."""
        target = self.readlink(path)
        return None if target is None else os.path.basename(target.rstrip("/"))

    def readlink(self, path: str) -> str | None:
        parent = self.resolve(os.path.dirname(path))
        if parent is None:
            return None
        link = parent.rstrip("/") + "/" + os.path.basename(path)
        target = self._readlink_raw(link)
        if target is not None:
            self._note_link(link, target)
        return target

    def listdir(self, path: str) -> list[str]:
        real = self.resolve(path)
        if real is None:
            return []
        try:
            names = sorted(self._list_raw(real))
        except OSError:
            return []
        self._note_dir(real, names)
        return names

    def exists(self, path: str) -> bool:
        return self.resolve(path) is not None

    def size(self, path: str) -> int | None:
        real = self.resolve(path)
        if real is None:
            return None
        try:
            size = self._size_raw(real)
        except OSError:
            return None
        self._note_file(real, content=False)
        return size

    def realpath(self, path: str) -> str | None:
        return self.resolve(path)

    # -- hooks for RecordingRoot ----------------------------------------------------------
    def _note_file(self, real: str, content: bool = True) -> None:
        pass

    def _note_link(self, link: str, target: str) -> None:
        pass

    def _note_dir(self, real: str, names: list[str]) -> None:
        pass

    def _note_read_error(self, real: str, err: OSError) -> None:
        # Not a problem by itself: sysfs answers EINVAL for `speed` of a down link and
        # EACCES for write-only attributes. Callers decide what a missing value means.
        self.read_errors[real] = errno.errorcode.get(err.errno or 0, str(err.errno))


class RecordingRoot(Root):
    """A Root that remembers every file, link and directory it touched (for snapshots)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.files: set[str] = set()
        self.links: dict[str, str] = {}
        self.dirs: set[str] = set()

    def _note_file(self, real: str, content: bool = True) -> None:
        self.files.add(real)

    def _note_link(self, link: str, target: str) -> None:
        self.links[link] = target

    def _note_dir(self, real: str, names: list[str]) -> None:
        self.dirs.add(real)
        for name in names:
            child = real.rstrip("/") + "/" + name
            target = self._readlink_raw(child)
            if target is not None:
                self.links[child] = target

    def _note_read_error(self, real: str, err: OSError) -> None:
        super()._note_read_error(real, err)
        self.files.add(real)


class MemoryRoot(Root):
    """A snapshot held in memory: {path: ("file", bytes) | ("link", target) | ("dir", None)}.

    Unpacking thousands of sysfs attributes to disk costs far more than reading them, so
    a snapshot tarball is read once into this map and never touches the filesystem.
    """

    def __init__(self, entries: dict[str, tuple[str, object]], label: str):
        super().__init__("/snapshot", label=label)
        self.entries = entries
        self.children: dict[str, set[str]] = {}
        for path in list(entries):
            parent, _, name = path.rpartition("/")
            while True:
                self.children.setdefault(parent or "/", set()).add(name)
                if not parent or (parent in entries and parent in self.children):
                    break
                entries.setdefault(parent, ("dir", None))
                parent, _, name = parent.rpartition("/")

    @property
    def is_live(self) -> bool:
        return False

    def _kind(self, path: str) -> str | None:
        entry = self.entries.get(path)
        if entry is None:
            return "dir" if path in self.children else None
        return entry[0]

    def _readlink_raw(self, path: str) -> str | None:
        entry = self.entries.get(path)
        return entry[1] if entry and entry[0] == "link" else None  # type: ignore[return-value]

    def _read_raw(self, path: str, limit: int) -> bytes:
        entry = self.entries.get(path)
        if entry is None or entry[0] != "file":
            raise IsADirectoryError(errno.EISDIR, "not a file", path)
        return entry[1][:limit]  # type: ignore[index]

    def _list_raw(self, path: str) -> list[str]:
        if path not in self.children and self._kind(path) != "dir":
            raise NotADirectoryError(errno.ENOTDIR, "not a directory", path)
        return list(self.children.get(path, ()))

    def _size_raw(self, path: str) -> int:
        return len(self._read_raw(path, 1 << 30))
