"""What a VF command works with: where it reads, the writers, the clock, the voice.

Passed in, never global, so tests swap the writers for fakes and the clock for a fast one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from sriovctl.changes.commands import Commands, RealCommands
from sriovctl.changes.executor import InterruptGuard, Say, quiet
from sriovctl.changes.files import AtomicFiles, FileWriter
from sriovctl.changes.netlink import IPRouteNetlink, VfNetlink
from sriovctl.changes.sysfs import RealSysfs, SysfsWriter
from sriovctl.changes.wait import Clock
from sriovctl.host.model import Host, PciDevice
from sriovctl.host.root import Root


@dataclass
class Env:
    sysfs: SysfsWriter
    netlink: VfNetlink
    files: FileWriter
    commands: Commands
    root: str = "/"
    clock: Clock = field(default_factory=Clock)
    say: Say = quiet
    guard: Optional[InterruptGuard] = None

    def __post_init__(self) -> None:
        if self.guard is None:
            self.guard = InterruptGuard(self.say)

    def reader(self) -> Root:
        """A fresh Root each time: sysfs changes under us, and Root caches lookups."""
        return Root(self.root)

    def host(self) -> Host:
        from sriovctl.host.read import read_host

        return read_host(self.reader())

    def lock(self):  # -> HostLock
        import os

        from sriovctl.changes.lock import LOCK_PATH, HostLock

        path = LOCK_PATH if self.root == "/" else os.path.join(self.root, LOCK_PATH[1:])
        return HostLock(path, say=self.say, clock=self.clock)


def make_env(root: str = "/", say: Say = quiet, files_root: str = "/") -> Env:
    """The real writers. The CLI calls this; tests replace it with fakes.

    Files (the state file, units, rules) are this machine's unless `files_root` says
    otherwise: for VF commands --root only says where the host is *read* from (a dry-run
    against a snapshot); `kernel iommu --root` edits an image's boot configuration.
    """
    return Env(sysfs=RealSysfs(root), netlink=IPRouteNetlink(), files=AtomicFiles(files_root),
               commands=RealCommands(), root=root, say=say)


def find_pf(host: Host, name: str) -> PciDevice:
    from sriovctl.errors import InputError

    pf = host.find_pf(name)
    if pf is None or pf.sriov is None:
        pfs = ", ".join(sorted(f"{p.netdevs[0] if p.netdevs else p.address}" for p in host.pfs()))
        raise InputError(f"no SR-IOV PF {name!r} on this host",
                         fix=f"use a PF netdev or PCI address: {pfs}" if pfs else
                         "this host shows no SR-IOV capable device (`sriovctl check`)")
    return pf


def pf_label(pf: PciDevice) -> str:
    return pf.netdevs[0] if pf.netdevs else pf.address


def sysfs_dir(pf: PciDevice) -> str:
    return f"/sys/bus/pci/devices/{pf.address}"
