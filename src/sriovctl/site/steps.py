"""The steps a site plan adds to the VF lifecycle's: binding a group's VFs to vfio-pci when
they may not exist yet at planning time, verifying the whole host against the spec, and
restarting services again if a rollback put their old files back.
"""

from __future__ import annotations

from typing import Callable, Optional

from sriovctl.changes.commands import RunCommand
from sriovctl.changes.step import Step
from sriovctl.errors import ChangeFailed
from sriovctl.host.model import Host, PciDevice
from sriovctl.vfs.context import Env

VFIO = "vfio-pci"


def vfio_todo(host: Host, pf: PciDevice, indexes: list[int]) -> list[int]:
    """The VFs among `indexes` that are not on vfio-pci now."""
    by_index = dict(pf.virtfns)
    return [i for i in indexes
            if (host.devices.get(by_index.get(i, "")) is None
                or host.devices[by_index[i]].driver != VFIO)]


class BindVfs(Step):
    """Move VFs `indexes` of `pf` to vfio-pci, found by index when the step runs (a resize
    earlier in the plan creates them); each move is the VF lifecycle's Rebind, and undo
    moves them back, newest first."""

    def __init__(self, env: Env, pf: PciDevice, indexes: list[int], force: bool = False):
        self.env, self.pf, self.indexes, self.force = env, pf, indexes, force
        self.name = pf.netdevs[0] if pf.netdevs else pf.address
        self.moved: list[Step] = []

    def describe(self) -> str:
        return f"{self.name}: bind VF {_span(self.indexes)} to {VFIO}"

    def refuse_if_used(self, host: Host) -> None:
        """Planning-time check on VFs that exist: rebinding a used VF takes it from its user."""
        from sriovctl.vfs.usage import vf_users

        addresses = {a for i, a in self.pf.virtfns if i in self.indexes}
        users = [u for u in vf_users(host, self.pf, self.env.reader())
                 if u.address in addresses and not u.reason.startswith("bound to ")]
        if users and not self.force:
            raise ChangeFailed(f"refusing to rebind VFs of {self.name}: "
                               + "; ".join(str(u) for u in users),
                               fix="stop those users first, or pass --force")

    def apply(self) -> None:
        from sriovctl.vfs.binding import Rebind

        host = self.env.host()
        pf = host.devices[self.pf.address]
        if not self.env.reader().exists(f"/sys/bus/pci/drivers/{VFIO}"):
            load = RunCommand(self.env.commands, ["modprobe", VFIO], why="load vfio-pci")
            load.apply()
        for index, address in pf.virtfns:
            vf = host.devices.get(address)
            if index not in self.indexes or vf is None or vf.driver == VFIO:
                continue
            step = Rebind(self.env, address, VFIO, vf.driver, vf.driver_override)
            self.moved.append(step)
            step.apply()

    def verify(self) -> None:
        host = self.env.host()
        wrong = vfio_todo(host, host.devices[self.pf.address], self.indexes)
        if wrong:
            raise ChangeFailed(f"{self.name}: VF {_span(wrong)} not on {VFIO} after binding")

    def undo(self) -> None:
        for step in reversed(self.moved):
            step.undo()

    def explain(self, error: BaseException) -> tuple[str, Optional[str]]:
        if self.moved and isinstance(error, OSError):
            return self.moved[-1].explain(error)
        return super().explain(error)


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
            raise ChangeFailed(f"{', '.join(failed)}: does not start with the previous files "
                               "either, so the new ones are not the cause")


def _span(indexes: list[int]) -> str:
    from sriovctl.site.claims import span

    return span(sorted(indexes))
