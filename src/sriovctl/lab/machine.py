"""One lab machine as a QEMU command line: accelerator, devices, shares, kernel.

Pure functions of a MachineSpec, so the exact argv is unit-testable without QEMU.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from sriovctl.lab import topology as topo
from sriovctl.lab.deps import QEMU_BINARY

ACCELS = ("auto", "tcg", "kvm")


@dataclass(frozen=True)
class MachineSpec:
    topology: str = "default"
    nics: Optional[int] = None  # None: the topology's own number
    kernel: str = "6.1"
    memory_mib: int = 1024
    cpus: int = 2
    append: str = ""  # extra kernel arguments
    source: Optional[Path] = None  # shared read-only at /mnt/src; None: no source share
    init: str = "lab"  # or "systemd": a full boot with a real service manager (~6 s more)
    # let the guest reboot (same disk overlay, so what it wrote survives): for tests of
    # boot-time units; otherwise a reboot ends the run, as a panic does
    reboot: bool = False
    # more read-only 9p shares: (mount tag, host directory); the script mounts them
    shares: tuple[tuple[str, Path], ...] = ()
    # guest TCP address -> host command on the first NIC's user network (QEMU guestfwd),
    # e.g. ("10.0.2.100:5672", "python3 relay.py 5672"): the only way out of restrict=on
    forwards: tuple[tuple[str, str], ...] = ()

    def nic_count(self) -> int:
        return self.nics if self.nics is not None else topo.get(self.topology).nics


def kvm_usable(dev: Path = Path("/dev/kvm"), cpuinfo: Path = Path("/proc/cpuinfo"),
               pvm: Path = Path("/sys/module/kvm_pvm")) -> bool:
    """Whether hardware KVM can plausibly run a stock kernel here.

    A /dev/kvm alone proves little: a nested PVM device (kvm_pvm) exists on some
    cloud machines, and QEMU either aborts or runs ~230x slower than TCG on it.
    """
    if not os.access(dev, os.R_OK | os.W_OK) or pvm.exists():
        return False
    try:
        flags = next((ln for ln in cpuinfo.read_text().splitlines() if ln.startswith("flags")), "")
    except OSError:
        return False
    return bool({"vmx", "svm"} & set(flags.split()))


def choose_accel(requested: str) -> str:
    if requested not in ACCELS:
        from sriovctl.errors import InputError

        raise InputError(f"unknown accelerator {requested!r}", fix="use auto, tcg or kvm")
    if requested == "auto":
        return "kvm" if kvm_usable() else "tcg"
    return requested


def accel_args(accel: str) -> list[str]:
    if accel == "kvm":
        return ["-accel", "kvm,kernel-irqchip=split", "-cpu", "host"]
    return ["-accel", "tcg,thread=multi", "-cpu", "max"]


def qemu_argv(spec: MachineSpec, kernel: Path, initrd: Path, disk: Path, run_dir: Path,
              accel: str = "tcg", mode: str = "run") -> list[str]:
    """The full QEMU argv. mode 'run': console to a file, script output on ttyS1 (stdout);
    mode 'shell': the console is the user's terminal."""
    topology = topo.get(spec.topology)
    argv = [QEMU_BINARY, "-machine", "q35", *accel_args(accel),
            "-smp", str(spec.cpus), "-m", str(spec.memory_mib),
            "-nodefaults", "-no-user-config", "-display", "none"]
    if not spec.reboot:
        argv.append("-no-reboot")
    if mode == "shell":
        argv += ["-serial", "mon:stdio"]
    else:
        argv += ["-monitor", "none",
                 "-serial", f"file:{run_dir / 'console.log'}",
                 "-serial", "stdio"]
    argv += topo.iommu_args(topology)
    # snapshot=on: the image is never written, so runs start clean and can run in parallel
    argv += ["-drive", f"file={disk},if=none,id=d0,format=raw,snapshot=on",
             "-device", "virtio-blk-pci,drive=d0"]
    nics = topo.nic_args(topology, spec.nic_count())
    if spec.forwards:
        first = nics.index("-netdev") + 1
        nics[first] += "".join(f",guestfwd=tcp:{address}-cmd:{command}"
                               for address, command in spec.forwards)
    argv += nics
    argv += ["-virtfs", f"local,path={run_dir},mount_tag=lab,security_model=none,id=lab"]
    if spec.source is not None:
        argv += ["-virtfs",
                 f"local,path={spec.source},mount_tag=src,security_model=none,readonly=on,id=src"]
    for tag, path in spec.shares:
        argv += ["-virtfs",
                 f"local,path={path},mount_tag={tag},security_model=none,readonly=on,id={tag}"]
    argv += ["-kernel", str(kernel), "-initrd", str(initrd),
             "-append", topo.kernel_cmdline(topology, mode=mode, extra=spec.append,
                                                   init=spec.init)]
    return argv


def source_tree() -> Path:
    """The tree holding the running sriovctl code: a checkout's root if this is one
    (so tests/ and src/ are both visible in the guest), else the package's parent."""
    import sriovctl

    package_parent = Path(sriovctl.__file__).resolve().parent.parent
    checkout = package_parent.parent
    if package_parent.name == "src" and (checkout / "pyproject.toml").exists():
        return checkout
    return package_parent
