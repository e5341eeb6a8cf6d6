"""Fixtures for the VF tests: a fake kernel on a sysfs tree, fake writers, a fast clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fakekernel import FakeKernel, lab_like_host

from sriovctl.changes.fakes import MemoryFiles, RecordingCommands
from sriovctl.changes.wait import Clock
from sriovctl.vfs.context import Env


@dataclass
class FastClock(Clock):
    """Virtual time: sleep() advances it at once; `at` runs callbacks at given times."""

    t: float = 0.0
    at: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.now = lambda: self.t
        self.sleep = self._sleep

    def _sleep(self, seconds: float) -> None:
        self.t += seconds
        for when in sorted(list(self.at)):
            if when <= self.t:
                self.at.pop(when)()


@dataclass
class Lab:
    root: Path
    kernel: FakeKernel
    env: Env
    said: list[str]

    @property
    def netlink(self):
        return self.kernel.netlink

    def host(self):
        return self.env.host()


def make_lab(tmp_path: Path, num: int = 0) -> Lab:
    root = tmp_path / "root"
    lab_like_host(root, num)
    kernel = FakeKernel(root)
    said: list[str] = []
    env = Env(sysfs=kernel, netlink=kernel.netlink, files=MemoryFiles(),
              commands=RecordingCommands(), root=str(root), clock=FastClock(),
              say=said.append)
    return Lab(root, kernel, env, said)


@pytest.fixture
def lab(tmp_path):
    """lab(num=0) -> a fake 82576 host with `num` VFs."""
    return lambda num=0: make_lab(tmp_path, num)
