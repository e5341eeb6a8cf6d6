"""The sysfs reads of neutron's SR-IOV agent (``PciOsWrapper``), under any root.

The agent decides everything from a handful of paths below
``/sys/class/net/<pf>/device``; these functions read the same paths below ``root``
("/" on a live host, a snapshot directory elsewhere) and never write. A PF name that
could escape the directory (``..``, ``/``) is treated as absent rather than followed.

:class:`SysfsView` bundles them with the netlink facts (VF MACs, macvtap addresses)
the caller already has, into the view :mod:`~sriovctl.openstack.neutron.eswitch` needs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from sriovctl.openstack.neutron.errors import InvalidDeviceError, NeutronError
from sriovctl.openstack.neutron.pci_lib import VfInfo

_VIRTFN = re.compile(r"^virtfn(?P<vf_index>\d+)")
_NETDEV_MAX = 15  # IFNAMSIZ - 1

PathLike = Union[str, "os.PathLike[str]"]


def _safe(name: str) -> bool:
    return (
        bool(name)
        and len(name) <= _NETDEV_MAX
        and name not in (".", "..")
        and "/" not in name
        and "\0" not in name
    )


def _device_dir(root: PathLike, pf: str) -> Path | None:
    if not _safe(pf):
        return None
    return Path(root, "sys/class/net", pf, "device")


def pf_device_exists(root: PathLike, pf: str) -> bool:
    """A PF exists for the agent iff ``/sys/class/net/<pf>/device`` is a directory."""
    path = _device_dir(root, pf)
    return path is not None and path.is_dir()


def scan_vf_devices(root: PathLike, pf: str) -> list[tuple[str, int]]:
    """``[(vf pci slot, vf index)]`` from the PF's ``virtfnN`` symlinks, by VF index.

    Non-links and other names are ignored; the slot is the link target's basename.
    """
    path = _device_dir(root, pf)
    if path is None or not path.is_dir():
        raise InvalidDeviceError(
            f"Invalid Device {pf}: Device not found",
            fix=f"check that {pf} is a PF netdev on this host (ls /sys/class/net)",
        )
    found = []
    for name in os.listdir(path):
        match = _VIRTFN.match(name)
        if match and (path / name).is_symlink():
            found.append((os.path.basename(os.readlink(path / name)), int(match.group("vf_index"))))
    return sorted(found, key=lambda item: item[1])


def get_numvfs(root: PathLike, pf: str) -> int:
    """``sriov_numvfs`` of the PF; ``-1`` when unreadable (not an SR-IOV PF)."""
    path = _device_dir(root, pf)
    if path is None:
        return -1
    try:
        text = (path / "sriov_numvfs").read_text()
    except OSError:
        return -1
    try:
        return int(text)
    except ValueError:
        # neutron does not catch this: the agent would die with a traceback.
        raise NeutronError(
            f"invalid sriov_numvfs of {pf}: {text.strip()[:20]!r}",
            fix=f"check the driver of {pf}; sriov_numvfs must hold a number",
        ) from None


def is_assigned_vf_direct(root: PathLike, pf: str, vf_index: int) -> bool:
    """Direct (vfio/hostdev) assignment: the VF has no host netdev (no ``virtfnN/net``)."""
    path = _device_dir(root, pf)
    return path is None or not (path / f"virtfn{vf_index}" / "net").is_dir()


def get_vf_macvtap_upper_devs(root: PathLike, pf: str, vf_index: int) -> list[str]:
    """macvtap netdevs stacked on the VF: ``virtfnN/net/*/upper_macvtap*`` -> ``macvtapN``.

    The name is the second ``_``-separated token of the link name, as in neutron.
    Sorted for a stable first pick (neutron takes glob order and warns on several).
    """
    path = _device_dir(root, pf)
    if path is None:
        return []
    names = sorted(
        hit.name for hit in (path / f"virtfn{vf_index}" / "net").glob("*/upper_macvtap*")
    )
    return [name.split("_")[1] for name in names]


def is_assigned_vf_macvtap(root: PathLike, pf: str, vf_index: int) -> bool:
    """macvtap assignment: the VF's netdev has at least one macvtap upper device."""
    return bool(get_vf_macvtap_upper_devs(root, pf, vf_index))


@dataclass(frozen=True)
class SysfsView:
    """The agent's view of one host: sysfs below ``root`` plus netlink facts.

    ``vfs`` is ``{pf: {vf_index: VfInfo}}`` (from RTM_GETLINK, see
    :func:`~sriovctl.openstack.neutron.pci_lib.vfs_from_netlink`); ``link_addresses``
    the MAC of each macvtap netdev. Both default to empty: then no direct-assigned VF
    has a MAC, i.e. none counts as assigned.
    """

    root: PathLike = "/"
    vfs: Mapping[str, Mapping[Any, Any]] = field(default_factory=dict)
    link_addresses: Mapping[str, str] = field(default_factory=dict)

    def pf_device_exists(self, pf: str) -> bool:
        return pf_device_exists(self.root, pf)

    def scan_vf_devices(self, pf: str) -> list[tuple[str, int]]:
        return scan_vf_devices(self.root, pf)

    def get_numvfs(self, pf: str) -> int:
        return get_numvfs(self.root, pf)

    def is_assigned_vf_direct(self, pf: str, vf_index: int) -> bool:
        return is_assigned_vf_direct(self.root, pf, vf_index)

    def get_vf_macvtap_upper_devs(self, pf: str, vf_index: int) -> list[str]:
        return get_vf_macvtap_upper_devs(self.root, pf, vf_index)

    def get_vfs(self, pf: str) -> dict[int, VfInfo]:
        return {int(i): VfInfo.of(v) for i, v in (self.vfs.get(pf) or {}).items()}

    def link_address(self, netdev: str) -> str | None:
        return self.link_addresses.get(netdev)
