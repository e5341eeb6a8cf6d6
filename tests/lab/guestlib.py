"""Helpers for the scripts that run INSIDE the lab guest (they import this from the source
share: sys.path.insert(0, "/mnt/src/tests/lab")). Standard library only, Python 3.9+."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import time

SRC = "/mnt/src/src"
if SRC not in sys.path:
    sys.path.insert(0, SRC)


def cli(*args: str) -> dict:
    """sriovctl run in this process: a Python start-up costs ~15 s under TCG."""
    from sriovctl.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(list(args))
    return {"rc": rc, "out": out.getvalue(), "err": err.getvalue(),
            "seconds": round(time.monotonic() - started, 2)}


def sh(*argv: str) -> str:
    """A command's stdout: the kernel's own tools, as the independent view."""
    return subprocess.run(argv, capture_output=True, text=True, check=False).stdout
