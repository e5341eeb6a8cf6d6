"""The errors sriovctl raises on purpose, each carrying the fix.

    SriovctlError            something went wrong; exit status 1
    ├── InputError           the input (a snapshot, a file, an argument) is unusable; exit 2
    │   └── UnsafeArchive    a snapshot tarball tries to escape its directory; exit 2
    └── ChangeFailed         a change could not be applied (and was rolled back); exit 1

The CLI prints ``error: <message>`` and, when known, `` — fix: <fix>`` on one line.
Anything else escaping a command is a bug: the CLI prints one line and exits 1.
"""

from __future__ import annotations


class SriovctlError(Exception):
    exit_code = 1

    def __init__(self, message: str, fix: str | None = None):
        super().__init__(message)
        self.message = message
        self.fix = fix

    def one_line(self) -> str:
        text = self.message if not self.fix else f"{self.message} — fix: {self.fix}"
        return " ".join(text.split())


class InputError(SriovctlError):
    exit_code = 2


class UnsafeArchive(InputError):
    pass


class ChangeFailed(SriovctlError):
    exit_code = 1
