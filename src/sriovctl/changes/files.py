"""Writing configuration files atomically, keeping a backup, the mode and the owner.

A half-written /etc/default/grub or unit file is how a host fails to boot, so every write
goes to a temporary file in the same directory, is flushed to disk, and is renamed over the
old one. The previous content is kept next to it as `<name>.sriovctl.bak` (the one most
recent, which is what an operator reaches for), and the new file keeps the old one's mode
and owner: rewriting a 0600 file as 0644 would be a leak.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from typing import Optional, Protocol

from sriovctl.changes.step import Step

BACKUP_SUFFIX = ".sriovctl.bak"


@dataclass(frozen=True)
class FileState:
    content: bytes
    mode: int
    uid: int
    gid: int


class FileWriter(Protocol):
    def read(self, path: str) -> Optional[FileState]: ...

    def write(self, path: str, content: bytes, mode: int = 0o644, backup: bool = True) -> None:
        """Atomically replace `path`; an existing file keeps its mode and owner."""

    def remove(self, path: str) -> None: ...

    def symlink(self, path: str, target: str) -> None: ...

    def readlink(self, path: str) -> Optional[str]: ...


class AtomicFiles:
    """The real writer, below a root ("/" live; a directory for tests and --root)."""

    def __init__(self, root: str = "/", backups: bool = True):
        self.root = os.path.abspath(root)
        self.backups = backups

    def _path(self, path: str) -> str:
        return path if self.root == "/" else os.path.join(self.root, path.lstrip("/"))

    def read(self, path: str) -> Optional[FileState]:
        real = self._path(path)
        try:
            st = os.stat(real)
            with open(real, "rb") as f:
                return FileState(f.read(), st.st_mode & 0o7777, st.st_uid, st.st_gid)
        except (FileNotFoundError, NotADirectoryError):
            return None

    def write(self, path: str, content: bytes, mode: int = 0o644, backup: bool = True) -> None:
        real = self._path(path)
        old = self.read(path)
        directory = os.path.dirname(real)
        os.makedirs(directory, exist_ok=True)
        if old is not None and backup and self.backups and old.content != content:
            self._write_atomic(real + BACKUP_SUFFIX, old.content, old)
        keep = old or FileState(b"", mode, os.getuid(), os.getgid())
        self._write_atomic(real, content, keep)

    def _write_atomic(self, real: str, content: bytes, like: FileState) -> None:
        directory, name = os.path.split(real)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(content)
                f.flush()
                os.fchmod(f.fileno(), like.mode)
                if (like.uid, like.gid) != (os.getuid(), os.getgid()):
                    os.fchown(f.fileno(), like.uid, like.gid)
                os.fsync(f.fileno())
            os.replace(tmp, real)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        _fsync_dir(directory)

    def remove(self, path: str) -> None:
        try:
            os.unlink(self._path(path))
        except FileNotFoundError:
            return
        _fsync_dir(os.path.dirname(self._path(path)))

    def symlink(self, path: str, target: str) -> None:
        real = self._path(path)
        os.makedirs(os.path.dirname(real), exist_ok=True)
        tmp = f"{real}.sriovctl-tmp"
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        os.symlink(target, tmp)
        os.replace(tmp, real)

    def readlink(self, path: str) -> Optional[str]:
        try:
            return os.readlink(self._path(path))
        except OSError:
            return None


def _fsync_dir(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class WriteFile(Step):
    """Make `path` hold `content`; undo puts the old content (or no file) back."""

    def __init__(self, files: FileWriter, path: str, content: str, mode: int = 0o644,
                 why: str = ""):
        self.files, self.path, self.content, self.mode = files, path, content, mode
        self.why = why
        self.before: Optional[FileState] = None
        self.applied = False

    def describe(self) -> str:
        return f"write {self.path}" + (f" ({self.why})" if self.why else "")

    def apply(self) -> None:
        self.before = self.files.read(self.path)
        self.applied = True
        self.files.write(self.path, self.content.encode(), self.mode)

    def verify(self) -> None:
        now = self.files.read(self.path)
        if now is None or now.content != self.content.encode():
            from sriovctl.errors import ChangeFailed

            raise ChangeFailed(f"{self.path} does not hold what was written")

    def undo(self) -> None:
        if not self.applied:
            return
        if self.before is None:
            self.files.remove(self.path)
        else:
            # no new backup: the one apply() made already holds this content
            self.files.write(self.path, self.before.content, self.before.mode, backup=False)


class LinkFile(Step):
    """Make `path` a symlink to `target` (a unit's .wants/ link); undo removes it."""

    def __init__(self, files: FileWriter, path: str, target: str, why: str = ""):
        self.files, self.path, self.target, self.why = files, path, target, why
        self.before: Optional[str] = None
        self.applied = False

    def describe(self) -> str:
        return f"link {self.path} -> {self.target}" + (f" ({self.why})" if self.why else "")

    def apply(self) -> None:
        self.before = self.files.readlink(self.path)
        self.applied = True
        self.files.symlink(self.path, self.target)

    def undo(self) -> None:
        if not self.applied:
            return
        if self.before is None:
            self.files.remove(self.path)
        else:
            self.files.symlink(self.path, self.before)
