"""The steps a site plan adds to the VF lifecycle's: verifying the whole host against the
spec, and restarting services again if a rollback put their old files back. (Binding a
group's VFs to vfio-pci is the VF lifecycle's BindVfs, shared with the boot-time apply.)
"""

from __future__ import annotations

from typing import Callable

from sriovctl.changes.commands import RunCommand
from sriovctl.changes.executor import UndoFinding
from sriovctl.changes.step import Step
from sriovctl.errors import ChangeFailed


class VerifyHost(Step):
    """Read the host back and plan again: anything left to change means the host does not
    match the spec, and the executor rolls everything back (nmstate's verify, for SR-IOV)."""

    changes = False

    def __init__(self, remaining: Callable[[], list[str]], host: str):
        self.remaining, self.host = remaining, host

    def describe(self) -> str:
        return f"{self.host}: read the host back and compare it with the spec"

    def apply(self) -> None:
        left = self.remaining()
        if left:
            raise ChangeFailed(f"{self.host} does not match the spec after the changes: "
                               + "; ".join(left[:4]) + (f"; and {len(left) - 4} more"
                                                       if len(left) > 4 else ""),
                               fix="see the driver's messages (dmesg); nothing was kept")


class RestartAgain(Step):
    """Placed before the file edits: when a rollback undoes them after a service restarted
    with the new files, this restarts it once more so it runs with the files it has."""

    changes = False

    def __init__(self, restarts: list[RunCommand]):
        self.restarts = restarts

    def describe(self) -> str:
        return "(on a rollback: restart again the services that read the new files)"

    def apply(self) -> None:
        pass

    def undo(self) -> None:
        failed = []
        for step in self.restarts:
            if step.ran:
                try:
                    step.apply()
                except Exception:  # noqa: BLE001 - restart the others all the same
                    failed.append(step.argv[-1])
        if failed:
            # the evidence an operator needs first: the old files do not start it either
            raise UndoFinding(f"{', '.join(failed)} does not start with the previous files "
                              "either, so the new ones are not the cause")

