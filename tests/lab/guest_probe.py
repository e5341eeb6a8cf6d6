"""Runs INSIDE the lab guest (python3 of the image, as root, cwd = the 9p share).

Collects, in one boot, the facts the lab tests assert on, and writes them to
facts.json: the kernel's own view (sysfs, errno of sriov_numvfs writes, VFIO group
viability) and sriovctl's view (inspect/check JSON, a snapshot tarball) before and
after creating the VFs. It asserts nothing itself: the host-side tests do.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import io
import json
import os
import struct
import subprocess
import sys
import time
from importlib.util import find_spec

SRC = "/mnt/src/src"
sys.path.insert(0, SRC)
SYS_NET = "/sys/class/net"
GROUPS = "/sys/kernel/iommu_groups"
VFIO_GROUP_GET_STATUS = (ord(";") << 8) | 103
VFIO_GROUP_SET_CONTAINER = (ord(";") << 8) | 104


def read(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def link_name(path: str) -> str | None:
    return os.path.basename(os.readlink(path)) if os.path.islink(path) else None


def write_sysfs(path: str, value: str) -> str:
    """'ok' or the errno name the kernel answered with."""
    try:
        with open(path, "w") as f:
            f.write(value)
        return "ok"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))


def iommu_groups() -> dict[str, list[str]]:
    if not os.path.isdir(GROUPS):
        return {}
    return {g: sorted(os.listdir(f"{GROUPS}/{g}/devices")) for g in os.listdir(GROUPS)}


def igb_pfs() -> list[dict]:
    pfs = []
    for name in sorted(os.listdir(SYS_NET)):
        dev = f"{SYS_NET}/{name}/device"
        if link_name(f"{dev}/driver") == "igb":
            pfs.append({
                "netdev": name, "bdf": os.path.basename(os.path.realpath(dev)),
                "totalvfs": int(read(f"{dev}/sriov_totalvfs") or -1),
                "numvfs": int(read(f"{dev}/sriov_numvfs") or -1),
                "group": link_name(f"{dev}/iommu_group"),
            })
    return pfs


def vfs_of(pf: dict) -> list[dict]:
    dev = f"{SYS_NET}/{pf['netdev']}/device"
    vfs = []
    links = sorted((n for n in os.listdir(dev) if n.startswith("virtfn")), key=lambda n: int(n[6:]))
    for link in links:
        path = os.path.realpath(f"{dev}/{link}")
        nets = sorted(os.listdir(f"{path}/net")) if os.path.isdir(f"{path}/net") else []
        vfs.append({
            "index": int(link[6:]), "bdf": os.path.basename(path),
            "device": read(f"{path}/device"), "driver": link_name(f"{path}/driver"),
            "netdev": nets[0] if nets else None, "group": link_name(f"{path}/iommu_group"),
        })
    return vfs


def sriovctl(*args: str) -> dict:
    """Run a sriovctl command in-process (python start-up is slow under TCG)."""
    command = args[0]
    from sriovctl.cli.main import COMMANDS, main

    target = COMMANDS.get(command)
    if target is None or find_spec(target.split(":")[0]) is None:
        return {"missing": True}
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(list(args))
    result = {"rc": rc, "stdout": out.getvalue(), "stderr": err.getvalue(),
              "seconds": round(time.monotonic() - started, 2)}
    with contextlib.suppress(ValueError):
        result["json"] = json.loads(out.getvalue())
    return result


def vfio_viability(bdf: str) -> dict:
    """Bind one VF to vfio-pci and ask the kernel whether its group is viable."""
    subprocess.run(["modprobe", "vfio-pci"], check=False)
    dev = f"/sys/bus/pci/devices/{bdf}"
    write_sysfs(f"{dev}/driver_override", "vfio-pci")
    if os.path.exists(f"{dev}/driver"):
        write_sysfs(f"{dev}/driver/unbind", bdf)
    write_sysfs("/sys/bus/pci/drivers_probe", bdf)
    subprocess.run(["udevadm", "settle"], check=False)
    group = link_name(f"{dev}/iommu_group")
    result = {"bdf": bdf, "driver": link_name(f"{dev}/driver"), "group": group}
    try:
        fd = os.open(f"/dev/vfio/{group}", os.O_RDWR)
    except OSError as e:
        result["open_error"] = errno.errorcode.get(e.errno, str(e.errno))
        return result
    buf = bytearray(struct.pack("=II", 8, 0))
    fcntl.ioctl(fd, VFIO_GROUP_GET_STATUS, buf, True)
    result["viable"] = bool(struct.unpack("=II", buf)[1] & 1)
    container = os.open("/dev/vfio/vfio", os.O_RDWR)
    try:
        fcntl.ioctl(fd, VFIO_GROUP_SET_CONTAINER, struct.pack("=i", container))
        result["set_container"] = "ok"
    except OSError as e:
        result["set_container"] = errno.errorcode.get(e.errno, str(e.errno))
    os.close(container)
    os.close(fd)
    return result


def main() -> int:
    t0 = time.monotonic()
    facts: dict = {
        "kernel": os.uname().release, "cmdline": read("/proc/cmdline"),
        "dmar": os.path.exists("/sys/firmware/acpi/tables/DMAR"),
        "wrapper_version": subprocess.run(["sriovctl", "--version"], capture_output=True,
                                          text=True, check=False).stdout.strip(),
        "pfs_before": igb_pfs(), "groups_before": iommu_groups(),
    }
    facts["inspect_before"] = sriovctl("inspect", "-f", "json")
    facts["check_before"] = sriovctl("check", "-f", "json")
    writes: dict = {}
    for pf in facts["pfs_before"]:
        numvfs = f"{SYS_NET}/{pf['netdev']}/device/sriov_numvfs"
        writes[pf["netdev"]] = {"8": write_sysfs(numvfs, "8"), "7": write_sysfs(numvfs, "7"),
                                "3_while_7": write_sysfs(numvfs, "3")}
    subprocess.run(["udevadm", "settle", "--timeout=60"], check=False)
    facts["numvfs_writes"] = writes
    facts["pfs_after"] = igb_pfs()
    facts["vfs"] = {pf["netdev"]: vfs_of(pf) for pf in facts["pfs_after"]}
    facts["groups_after"] = iommu_groups()
    facts["inspect_after"] = sriovctl("inspect", "-f", "json")
    facts["check_after"] = sriovctl("check", "-f", "json")
    facts["snapshot"] = sriovctl("snapshot", "-o", "snapshot.tar.gz")
    first_vfs = next(iter(facts["vfs"].values()), [])
    if first_vfs and facts["groups_after"]:
        facts["vfio"] = vfio_viability(first_vfs[0]["bdf"])
    facts["probe_seconds"] = round(time.monotonic() - t0, 1)
    with open("facts.json", "w") as f:
        json.dump(facts, f, indent=1)
    print(f"probe done in {facts['probe_seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
