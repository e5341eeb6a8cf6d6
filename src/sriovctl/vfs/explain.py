"""One line per kernel error: what it means for this write, and what to do about it."""

from __future__ import annotations

import errno
from typing import Optional

Explained = tuple[str, Optional[str]]


def numvfs_error(err: OSError, pf: str, want: int, total: Optional[int]) -> Explained:
    code = err.errno
    head = f"{pf}: writing {want} to sriov_numvfs failed"
    if code == errno.ENOMEM:
        return (f"{head}: ENOMEM, the kernel found no PCI address space (BARs) for {want} VFs",
                "enable SR-IOV (and 'Above 4G decoding') in the BIOS, or boot with pci=realloc")
    if code == errno.ENOSPC:
        return (f"{head}: ENOSPC, no MSI-X interrupt vectors left for the VFs",
                "ask for fewer VFs, or free vectors: fewer PF queues (ethtool -L), "
                "RDMA (irdma) off")
    if code == errno.ERANGE:
        return (f"{head}: ERANGE, more VFs than the driver offers (sriov_totalvfs={total})",
                f"ask for at most {total} VFs")
    if code == errno.EINVAL:
        return (f"{head}: EINVAL, the driver rejected the count",
                "check dmesg; some drivers need the PF up, firmware SR-IOV enabled, or a "
                "count they support")
    if code == errno.EBUSY:
        return (f"{head}: EBUSY, VFs are still enabled or held by a driver",
                "the count changes only through 0; if writing 0 failed too, a VF is still "
                "assigned (vfio-pci, a guest): release it")
    if code in (errno.EPERM, errno.EACCES, errno.EROFS):
        return (f"{head}: {errno.errorcode[code]}, not allowed to write sysfs",
                "run as root, outside a container with read-only /sys")
    if code == errno.ENOENT:
        return (f"{head}: the PF has no sriov_numvfs attribute",
                "the PF or its driver went away; check `sriovctl inspect`")
    if code == errno.ETIMEDOUT:
        return (f"{head}: {err.strerror}", "check dmesg for the driver; raise --timeout")
    name = errno.errorcode.get(code or 0, str(code))
    return f"{head}: {name} ({err.strerror})", "check dmesg for the driver's reason"


def vf_setting_error(err: OSError, pf: str, vf: int, keys: list[str],
                     driver: Optional[str]) -> Explained:
    code = err.errno
    what = ", ".join(keys)
    head = f"{pf} VF {vf}: setting {what} failed"
    by = driver or "the PF driver"
    if code == errno.EOPNOTSUPP:
        return (f"{head}: EOPNOTSUPP, {by} does not support one of these settings",
                "leave that setting out: this driver cannot apply it")
    if code == errno.EPROTONOSUPPORT:
        return f"{head}: EPROTONOSUPPORT, {by} cannot tag with that VLAN protocol", "use 802.1Q"
    if code == errno.EINVAL:
        return (f"{head}: EINVAL, {by} rejected a value",
                "check dmesg; rates need the PF link up and must be within the link speed")
    if code == errno.EADDRNOTAVAIL:
        return f"{head}: EADDRNOTAVAIL, the MAC is already used", "choose another MAC"
    if code == errno.ENODEV:
        return f"{head}: {pf} is gone", "check `sriovctl inspect`"
    name = errno.errorcode.get(code or 0, str(code))
    return f"{head}: {name} ({err.strerror})", "check dmesg for the driver's reason"


def bind_error(err: OSError, vf: str, action: str) -> Explained:
    code = err.errno
    head = f"{vf}: {action} failed"
    if code == errno.ENODEV:
        return (f"{head}: ENODEV, no driver accepted the device",
                "load the driver (modprobe vfio-pci) and check driver_override")
    if code == errno.EBUSY:
        return f"{head}: EBUSY, the device is in use", "stop what uses it (a guest, DPDK)"
    name = errno.errorcode.get(code or 0, str(code))
    return f"{head}: {name} ({err.strerror})", "check dmesg"
