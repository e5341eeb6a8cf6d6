"""Read PCI devices from /sys/bus/pci/devices: ids, driver, NUMA, IOMMU group, SR-IOV links,
sriov_* attributes and the decoded config space."""

from __future__ import annotations

import os
import re

from sriovctl.host.config_space import decode
from sriovctl.host.model import PciDevice, SriovAttrs, normalize_address
from sriovctl.host.root import Root

DEVICES = "/sys/bus/pci/devices"
_ADDR = re.compile(r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")
_VIRTFN = re.compile(r"^virtfn(\d+)$")


def read_pci_devices(root: Root) -> dict[str, PciDevice]:
    devices: dict[str, PciDevice] = {}
    for name in root.listdir(DEVICES):
        if not _ADDR.match(name):
            root.problems.append((f"{DEVICES}/{name}", "not a PCI address; ignored"))
            continue
        dev = read_pci_device(root, name)
        if dev is not None:
            devices[name] = dev
    return devices


def _hex_id(root: Root, path: str, digits: int = 4) -> str | None:
    text = root.read_text(path)
    if not text:
        return None
    t = text.lower()
    t = t[2:] if t.startswith("0x") else t
    if not re.fullmatch(r"[0-9a-f]{1,8}", t):
        root.problems.append((path, f"expected a hex id, read {text[:40]!r}"))
        return None
    return t.zfill(digits)[-digits:]


def read_pci_device(root: Root, address: str) -> PciDevice | None:
    base = f"{DEVICES}/{address}"
    real = root.realpath(base)
    if real is None:
        root.problems.append((base, "dangling link; device ignored"))
        return None
    numa = root.read_int(f"{base}/numa_node")
    group = root.link_name(f"{base}/iommu_group")
    override = root.read_text(f"{base}/driver_override")
    return PciDevice(
        address=address,
        sysfs_path=real,
        vendor_id=_hex_id(root, f"{base}/vendor"),
        device_id=_hex_id(root, f"{base}/device"),
        subsystem_vendor_id=_hex_id(root, f"{base}/subsystem_vendor"),
        subsystem_device_id=_hex_id(root, f"{base}/subsystem_device"),
        class_code=_hex_id(root, f"{base}/class", 6),
        driver=root.link_name(f"{base}/driver"),
        driver_override=None if override in (None, "", "(null)") else override,
        numa_node=None if numa is None or numa < 0 else numa,
        iommu_group=_int_or_none(group),
        parent=_parent_address(real),
        physfn=_physfn(root, base),
        virtfns=_virtfns(root, base),
        sriov=_sriov_attrs(root, base),
        config=_config(root, base),
        netdevs=tuple(root.listdir(f"{base}/net")),
    )


def _int_or_none(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _parent_address(real_path: str) -> str | None:
    parent = os.path.basename(os.path.dirname(real_path))
    return parent if _ADDR.match(parent) else None


def _physfn(root: Root, base: str) -> str | None:
    target = root.readlink(f"{base}/physfn")
    return normalize_address(os.path.basename(target)) if target else None


def _virtfns(root: Root, base: str) -> tuple[tuple[int, str], ...]:
    found = []
    for name in root.listdir(base):
        m = _VIRTFN.match(name)
        if not m:
            continue
        target = root.readlink(f"{base}/{name}")
        addr = normalize_address(os.path.basename(target)) if target else None
        if addr:
            found.append((int(m.group(1)), addr))
    return tuple(sorted(found))


def _sriov_attrs(root: Root, base: str) -> SriovAttrs | None:
    total = root.read_int(f"{base}/sriov_totalvfs")
    if total is None and not root.exists(f"{base}/sriov_totalvfs"):
        return None
    autoprobe = root.read_int(f"{base}/sriov_drivers_autoprobe")
    return SriovAttrs(
        totalvfs=total,
        numvfs=root.read_int(f"{base}/sriov_numvfs"),
        offset=root.read_int(f"{base}/sriov_offset"),
        stride=root.read_int(f"{base}/sriov_stride"),
        vf_device=_hex_id(root, f"{base}/sriov_vf_device"),
        drivers_autoprobe=None if autoprobe is None else bool(autoprobe),
    )


def _config(root: Root, base: str):
    data = root.read_bytes(f"{base}/config", limit=4096)
    return decode(data) if data else None
