"""Capture exactly what sriovctl reads from a live host into a tarball usable as --root.

The capture is not a list of paths kept in sync by hand: the host is read once through a
RecordingRoot, and every file, symlink and directory that read touched is what goes into the
tarball. So whatever the readers learn to read, snapshots carry it.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import time

from sriovctl import __version__
from sriovctl.host.root import RecordingRoot

FORMAT = "sriovctl.snapshot/1"
MAX_FILE = 1 << 20


def capture(out_path: str, root_path: str = "/") -> dict:
    """Write the snapshot; returns counts for the caller to report."""
    from sriovctl.host.netlink import read_links
    from sriovctl.host.read import read_host

    root = RecordingRoot(root_path)
    host = read_host(root)
    links, source = read_links(root) if root.is_live else (None, None)
    info = {
        "format": FORMAT,
        "sriovctl": __version__,
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "hostname": host.hostname,
        "kernel": host.kernel_release,
        "vf_settings_source": source,
        "counts": {"files": len(root.files), "links": len(root.links), "dirs": len(root.dirs)},
    }
    tmp = out_path + ".tmp"
    # GNU format: no per-member PAX header for long sysfs names, so reading is ~3x faster.
    with tarfile.open(tmp, "w:gz", format=tarfile.GNU_FORMAT) as tar:
        added: set[str] = set()
        for path in sorted(root.dirs | {os.path.dirname(p) for p in root.files | set(root.links)}):
            _add_dirs(tar, path, added)
        for link, target in sorted(root.links.items()):
            _add_dirs(tar, os.path.dirname(link), added)
            _add_link(tar, link, target, added)
        for path in sorted(root.files):
            _add_file(tar, root, path, added)
        _add_bytes(tar, "_meta/info.json", json.dumps(info, indent=1).encode())
        _add_bytes(tar, "_meta/read_errors.json",
                   json.dumps(root.read_errors, indent=1, sort_keys=True).encode())
        if links is not None:
            _add_bytes(tar, "_netlink/links.json", json.dumps(links, indent=1).encode())
    os.replace(tmp, out_path)
    return info


def _member(path: str) -> str:
    return path.lstrip("/")


def _add_dirs(tar: tarfile.TarFile, path: str, added: set[str]) -> None:
    parts = [p for p in path.split("/") if p]
    for i in range(1, len(parts) + 1):
        name = "/".join(parts[:i])
        if name in added:
            continue
        added.add(name)
        ti = tarfile.TarInfo(name)
        ti.type = tarfile.DIRTYPE
        ti.mode = 0o755
        tar.addfile(ti)


def _add_link(tar: tarfile.TarFile, link: str, target: str, added: set[str]) -> None:
    name = _member(link)
    if name in added:
        return
    added.add(name)
    ti = tarfile.TarInfo(name)
    ti.type = tarfile.SYMTYPE
    # Keep sysfs's relative targets; an absolute one is made relative so the tarball stays
    # self-contained (and passes our own safety checks on the way back in).
    ti.linkname = target if not target.startswith("/") else os.path.relpath(
        target, os.path.dirname(link))
    tar.addfile(ti)


def _add_file(tar: tarfile.TarFile, root: RecordingRoot, path: str, added: set[str]) -> None:
    name = _member(path)
    if name in added:
        return
    added.add(name)
    data = b""
    mode = 0o444
    if path not in root.read_errors:
        try:
            with open(root._host_path(path), "rb") as f:
                data = f.read(MAX_FILE)
            mode = os.stat(root._host_path(path)).st_mode & 0o777
        except OSError as e:
            root.read_errors[path] = type(e).__name__
    _add_bytes(tar, name, data, mode)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mode = mode
    ti.mtime = int(time.time())
    tar.addfile(ti, io.BytesIO(data))
