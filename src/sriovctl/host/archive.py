"""Open a `--root` argument: a directory, or a snapshot tarball read safely into memory.

A snapshot comes from someone else's machine, so it is untrusted input: members with an
absolute path or "..", links that point outside the snapshot, and device/FIFO members are
refused.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import posixpath
import tarfile
import zlib

from sriovctl.errors import InputError, UnsafeArchive
from sriovctl.host.root import MemoryRoot, Root

MAX_MEMBER = 1 << 24

TARBALL_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".tar.xz", ".tar.bz2")


def open_root(spec: str) -> Root:
    """Root for a directory or a snapshot tarball (read into memory, never unpacked)."""
    if os.path.isdir(spec):
        return Root(spec, label=spec)
    if os.path.isfile(spec):
        return MemoryRoot(read_snapshot(spec), label=spec)
    raise InputError(
        f"--root {spec}: no such directory or snapshot file",
        fix="pass / (the live host), a directory, or a file made by `sriovctl snapshot`",
    )


def read_snapshot(tarball: str) -> dict[str, tuple[str, object]]:
    """{"/sys/...": (kind, content)} for every member, each checked before it is kept."""
    entries: dict[str, tuple[str, object]] = {}
    try:
        data = _decompress(tarball)
        # Decompressed in one go: gzip/xz/bz2 then raise on a truncated file, where a
        # streaming tar reader could stop at a block boundary and take half a host as whole.
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            for m in tar:
                check_member(tarball, m)
                _keep(entries, tar, m)
    except (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as e:
        raise InputError(
            f"{tarball}: not a readable snapshot tarball, or truncated ({e})",
            fix="copy the snapshot again or recreate it with `sriovctl snapshot -o host.tar.gz`",
        ) from None
    return entries


def _decompress(tarball: str) -> bytes:
    with open(tarball, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        return gzip.decompress(raw)
    if raw[:6] == b"\xfd7zXZ\x00":
        return lzma.decompress(raw)
    if raw[:3] == b"BZh":
        return bz2.decompress(raw)
    return raw


def _keep(entries: dict, tar: tarfile.TarFile, m: tarfile.TarInfo) -> None:
    path = "/" + posixpath.normpath(m.name).lstrip("/")
    if path == "/.":
        return
    if m.isdir():
        entries.setdefault(path, ("dir", None))
    elif m.issym():
        entries[path] = ("link", m.linkname)
    elif m.islnk():
        target = "/" + posixpath.normpath(m.linkname)
        entries[path] = entries.get(target, ("file", b""))
    else:
        f = tar.extractfile(m)
        entries[path] = ("file", f.read(MAX_MEMBER) if f else b"")


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
