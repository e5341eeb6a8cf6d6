"""Open a `--root` argument: a directory, or a snapshot tarball unpacked safely.

A snapshot comes from someone else's machine, so it is untrusted input: members with an
absolute path or "..", links that point outside the snapshot, and device/FIFO members are
refused before anything is written to disk.
"""

from __future__ import annotations

import atexit
import os
import posixpath
import shutil
import tarfile
import tempfile

from sriovctl.errors import InputError, UnsafeArchive
from sriovctl.host.root import Root

TARBALL_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".tar.xz", ".tar.bz2")


def open_root(spec: str) -> Root:
    """Root for a directory or a snapshot tarball (unpacked into a private temp dir)."""
    if os.path.isdir(spec):
        return Root(spec, label=spec)
    if os.path.isfile(spec):
        return Root(unpack_snapshot(spec), label=spec)
    raise InputError(
        f"--root {spec}: no such directory or snapshot file",
        fix="pass / (the live host), a directory, or a file made by `sriovctl snapshot`",
    )


def unpack_snapshot(tarball: str) -> str:
    try:
        tar = tarfile.open(tarball, "r:*")
    except (tarfile.TarError, OSError, EOFError) as e:
        raise InputError(
            f"{tarball}: not a readable snapshot tarball ({e})",
            fix="recreate it with `sriovctl snapshot -o host.tar.gz`",
        ) from None
    dest = tempfile.mkdtemp(prefix="sriovctl-root-")
    atexit.register(shutil.rmtree, dest, True)
    with tar:
        try:
            members = tar.getmembers()
        except (tarfile.TarError, OSError, EOFError) as e:
            raise InputError(
                f"{tarball}: truncated or corrupt snapshot ({e})",
                fix="copy the snapshot again or recreate it with `sriovctl snapshot`",
            ) from None
        for m in members:
            check_member(tarball, m)
        _extract(tar, members, dest, tarball)
    return dest


def check_member(tarball: str, m: tarfile.TarInfo) -> None:
    name = m.name
    norm = posixpath.normpath(name)
    if name.startswith("/") or norm == ".." or norm.startswith("../") or "/../" in f"/{name}/":
        raise UnsafeArchive(
            f"{tarball}: member {name!r} has an absolute path or '..'; refusing the snapshot",
            fix="only use snapshots made by `sriovctl snapshot`",
        )
    if m.issym() or m.islnk():
        target = m.linkname
        base = posixpath.dirname(norm) if m.issym() else ""
        resolved = posixpath.normpath(posixpath.join(base, target))
        if target.startswith("/") or resolved == ".." or resolved.startswith("../"):
            raise UnsafeArchive(
                f"{tarball}: link {name!r} -> {target!r} points outside the snapshot; refusing it",
                fix="only use snapshots made by `sriovctl snapshot`",
            )
    elif not (m.isfile() or m.isdir()):
        raise UnsafeArchive(
            f"{tarball}: member {name!r} is a device or FIFO; refusing the snapshot",
            fix="only use snapshots made by `sriovctl snapshot`",
        )


def _extract(tar: tarfile.TarFile, members: list[tarfile.TarInfo], dest: str, label: str) -> None:
    # Members were all checked above; extract by hand so behaviour does not depend on the
    # Python version's tarfile filters, and keep modes sane (dirs traversable, nothing setuid).
    for m in members:
        path = os.path.join(dest, posixpath.normpath(m.name))
        try:
            if m.isdir():
                os.makedirs(path, exist_ok=True)
                continue
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if os.path.lexists(path):
                continue
            if m.issym():
                os.symlink(m.linkname, path)
            elif m.islnk():
                src = os.path.join(dest, posixpath.normpath(m.linkname))
                if os.path.isfile(src):
                    shutil.copyfile(src, path)
            else:
                src_f = tar.extractfile(m)
                data = src_f.read() if src_f is not None else b""
                with open(path, "wb") as out:
                    out.write(data)
                os.chmod(path, (m.mode & 0o777) | 0o400)
        except (tarfile.TarError, OSError, EOFError) as e:
            raise InputError(
                f"{label}: cannot unpack member {m.name!r} ({e})",
                fix="copy the snapshot again or recreate it with `sriovctl snapshot`",
            ) from None
