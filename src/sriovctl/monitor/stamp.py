"""Has a file or directory changed since the last scrape? One stat(2) answers it.

Used for what is cheap to watch but costly to parse again each scrape: the libvirt
domains directory and the VF state file.
"""

from __future__ import annotations

import os

from sriovctl.host.root import MemoryRoot, Root


def path_stamp(root: Root, path: str) -> tuple | None:
    """A value that changes when `path` (below root) changes; None when it is absent.

    Root caches its lookups, so pass a fresh Root for a path that may appear later.
    """
    real = root.resolve(path)
    if real is None:
        return None
    if isinstance(root, MemoryRoot):  # a snapshot tarball never changes
        return ("memory",)
    try:
        st = os.stat(real if root.is_live else os.path.join(root.path, real.lstrip("/")))
    except OSError:
        return None
    # a rename into place changes the inode (files) or the mtime (directories)
    return (st.st_ino, st.st_mtime_ns, st.st_size)
