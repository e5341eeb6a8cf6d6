"""Running a program where Linux offers no API (systemctl daemon-reload, udevadm, grubby).

Always an argument list, never a shell; always a timeout; the output is captured so a
failure can be reported in one line.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from typing import Optional, Protocol

from sriovctl.changes.step import Step
from sriovctl.errors import ChangeFailed


@dataclass(frozen=True)
class Completed:
    argv: tuple[str, ...]
    rc: int
    out: str = ""
    err: str = ""

    def last_line(self) -> str:
        lines = [ln for ln in (self.err or self.out).splitlines() if ln.strip()]
        return lines[-1].strip() if lines else f"exit status {self.rc}"


class Commands(Protocol):
    def run(self, argv: list[str], timeout: float = 60.0) -> Completed: ...


class RealCommands:
    def run(self, argv: list[str], timeout: float = 60.0) -> Completed:
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                               check=False, stdin=subprocess.DEVNULL)
        except FileNotFoundError:
            return Completed(tuple(argv), 127, "", f"{argv[0]}: not found")
        except subprocess.TimeoutExpired:
            return Completed(tuple(argv), 124, "", f"{argv[0]}: no answer after {timeout:.0f} s")
        return Completed(tuple(argv), p.returncode, p.stdout, p.stderr)


def quoted(argv: list[str]) -> str:
    import shlex

    return " ".join(shlex.quote(a) for a in argv)


class RunCommand(Step):
    """Run argv; undo runs `undo_argv` if given (e.g. grubby --remove-args)."""

    def __init__(self, commands: Commands, argv: list[str], why: str = "",
                 undo_argv: Optional[list[str]] = None, timeout: float = 60.0,
                 fix: Optional[str] = None):
        self.commands, self.argv, self.why = commands, argv, why
        self.undo_argv, self.timeout, self.fix = undo_argv, timeout, fix
        self.ran = False

    def describe(self) -> str:
        return f"run {quoted(self.argv)}" + (f" ({self.why})" if self.why else "")

    def apply(self) -> None:
        self.ran = True
        done = self.commands.run(self.argv, self.timeout)
        if done.rc != 0:
            raise ChangeFailed(f"{quoted(self.argv)} failed: {done.last_line()}", fix=self.fix)

    def explain(self, error: BaseException) -> tuple[str, Optional[str]]:
        message, _ = super().explain(error)
        return message, self.fix

    def undo(self) -> None:
        if self.ran and self.undo_argv:
            done = self.commands.run(self.undo_argv, self.timeout)
            if done.rc != 0:
                raise ChangeFailed(f"{quoted(self.undo_argv)} failed: {done.last_line()}")
