"""A host to apply site specs to: the VF tests' fake kernel (an 82576 at 0000:01:00.0, igb,
up to 7 VFs, netdev enp1s0) with nova and neutron files, behind the changes/ fakes.
A plain module: the tests import from it, never from a conftest."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "vfs"))

from fakekernel import FakeKernel, lab_like_host  # noqa: E402

from sriovctl.changes.commands import Completed  # noqa: E402
from sriovctl.changes.files import AtomicFiles  # noqa: E402
from sriovctl.changes.wait import Clock  # noqa: E402
from sriovctl.vfs.context import Env  # noqa: E402

NOVA_CONF = """\
[DEFAULT]
# the GPU entry below is not the site's: it must survive every apply
debug = false

[pci]
device_spec = {"vendor_id": "10de", "product_id": "1eb8"}
"""
AGENT_INI = """\
[sriov_nic]
physical_device_mappings = physnet9:enp7s0
"""
GRUB = 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX="quiet intel_iommu=on iommu=pt"\n'

SPEC = """\
version: 1
openstack: {release: "2024.1"}
physnets:
  physnet1: {vlan_ranges: ["1000:1099"]}
kernel: {iommu: true}
roles:
  compute: {hosts: ["compute-*"]}
groups:
  - name: tenant
    nics: {pf_names: ["enp1s0#0-3"]}
    physnet: physnet1
    num_vfs: 6
    vf: {spoofchk: false, trust: true}
  - name: dpdk
    nics: {pf_names: ["enp1s0#4"]}
    physnet: physnet1
    num_vfs: 6
    driver: vfio-pci
"""
# VF i of the 82576 (offset 128, stride 2)
VF = ["0000:01:10.0", "0000:01:10.2", "0000:01:10.4", "0000:01:10.6", "0000:01:11.0",
      "0000:01:11.2"]


@dataclass
class FastClock(Clock):
    t: float = 0.0

    def __post_init__(self) -> None:
        self.now = lambda: self.t
        self.sleep = self._sleep

    def _sleep(self, seconds: float) -> None:
        self.t += seconds


@dataclass
class Commands:
    """Records argv; `hooks[argv0 argv1...]` runs a callback (e.g. an interrupt)."""

    log: list[list[str]] = field(default_factory=list)
    hooks: dict = field(default_factory=dict)

    def run(self, argv: list[str], timeout: float = 60.0) -> Completed:
        self.log.append(list(argv))
        hook = self.hooks.get(" ".join(argv))
        if hook:
            hook()
        return Completed(tuple(argv), 0, "", "")


@dataclass
class Host:
    root: Path
    kernel: FakeKernel
    env: Env
    said: list[str]

    def file(self, path: str) -> str:
        return (self.root / path.lstrip("/")).read_text()

    def vf(self, index: int):
        return self.kernel.netlink.vf_table["enp1s0"][index]


def make_host(root: Path, num: int = 0) -> Host:
    lab_like_host(root, num)
    for path, text in (("etc/nova/nova.conf", NOVA_CONF),
                       ("etc/neutron/plugins/ml2/sriov_agent.ini", AGENT_INI),
                       ("etc/default/grub", GRUB)):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    (root / "sys/bus/pci/drivers/vfio-pci").mkdir(parents=True, exist_ok=True)
    kernel = FakeKernel(root)
    said: list[str] = []
    env = Env(sysfs=kernel, netlink=kernel.netlink, files=AtomicFiles(str(root)),
              commands=Commands(), root=str(root), clock=FastClock(), say=said.append)
    return Host(root, kernel, env, said)
