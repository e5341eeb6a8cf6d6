"""Progress lines on stderr for the lab's long waits (apt, debootstrap, boots).

Every wait longer than a second must say what it is waiting for, so long steps
print a start line, a heartbeat every few seconds (with the last line the tool
printed, which is usually the most informative thing to show), and a closing
line with the elapsed time.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path
from typing import IO, Callable, Optional

from sriovctl.errors import SriovctlError

HEARTBEAT_S = 10.0


class Progress:
    """Writes `[lab] ...` lines to a stream (stderr by default); quiet drops them.

    console: also pass the guest's whole serial console through (for debugging a boot).
    """

    def __init__(self, quiet: bool = False, stream: Optional[IO[str]] = None,
                 console: bool = False):
        self.quiet = quiet
        self.stream = stream
        self.console = console

    def say(self, text: str) -> None:
        if not self.quiet:
            self.raw(f"[lab] {text}")

    def raw(self, line: str) -> None:
        out = self.stream or sys.stderr
        out.write(line + "\n")
        out.flush()


def run_logged(
    argv: list[str],
    label: str,
    progress: Progress,
    log_path: Path,
    env: Optional[dict] = None,
    fix: Optional[str] = None,
) -> float:
    """Run a program (argument list, no shell), logging its output to log_path.

    Prints a heartbeat while it runs; on failure raises SriovctlError quoting the
    last output line and pointing at the full log. Returns the elapsed seconds.
    """
    started = time.monotonic()
    progress.say(f"{label} ...")
    last_lines: deque[str] = deque(maxlen=5)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        log.write(f"$ {' '.join(argv)}\n".encode())
        log.flush()
        try:
            proc = subprocess.Popen(
                argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=env,
            )
        except FileNotFoundError as e:
            raise SriovctlError(f"{label}: {argv[0]} is not installed", fix=fix) from e
        stop = threading.Event()
        beat = threading.Thread(
            target=_heartbeat, args=(stop, label, started, last_lines, progress.say), daemon=True
        )
        beat.start()
        try:
            assert proc.stdout is not None
            for raw in proc.stdout:
                log.write(raw)
                text = raw.decode(errors="replace").strip()
                if text:
                    last_lines.append(text)
            rc = proc.wait()
        finally:
            stop.set()
            if proc.poll() is None:
                proc.terminate()
                proc.wait()
    elapsed = time.monotonic() - started
    if rc != 0:
        last = last_lines[-1] if last_lines else "(no output)"
        raise SriovctlError(
            f"{label} failed (exit {rc}) after {elapsed:.0f} s: {last}; full log: {log_path}",
            fix=fix,
        )
    progress.say(f"{label}: done in {elapsed:.1f} s")
    return elapsed


def _heartbeat(
    stop: threading.Event, label: str, started: float, last: deque, say: Callable[[str], None]
) -> None:
    while not stop.wait(HEARTBEAT_S):
        tail = f" — {last[-1][:90]}" if last else ""
        say(f"{label}: {time.monotonic() - started:.0f} s{tail}")
