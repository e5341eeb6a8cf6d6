"""A fake kernel for the VF tests: a sysfs tree (from tests/hostbuilder.py) that reacts to
writes the way Linux and the igb driver do, plus a FakeNetlink mirrored into the tree.

It implements the SysfsWriter interface, so the product code runs unchanged against it and
reads the result back through the real host readers:
  - sriov_numvfs: ERANGE above sriov_totalvfs, EBUSY between two non-zero counts, 0 removes
    every VF (and its netdev, driver binding, IOMMU group), N creates them, bound to igbvf
    with netdevs <pf>v<i> when sriov_drivers_autoprobe is 1; VF settings reset (netlink);
  - driver_override, <driver>/unbind and drivers_probe move a VF between drivers.
Rules measured in the lab (src NOTES) are the reference for what it does.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path
from typing import Callable, Optional

from sriovctl.changes.fakes import FakeNetlink
from sriovctl.host.netlink import vf_settings_from_links

from hostbuilder import HostBuilder

NET_DRIVERS = {"igbvf", "iavf", "ixgbevf", "mlx5_core"}


class FakeKernel:
    def __init__(self, root: Path, netlink: Optional[FakeNetlink] = None):
        self.root = Path(root)
        self.netlink = netlink or FakeNetlink()
        self.netlink.changed = self._mirror
        self.fail: dict[tuple[str, str], int] = {}  # (attribute name, value) -> errno
        self.log: list[tuple[str, str]] = []
        self.hooks: list[Callable[[str, str], None]] = []
        self.delay_netdevs = False  # True: VF netdevs wait for release_netdevs()
        self.udev_names: list[str] = []  # netdevs udev has not finished with yet
        self._pending: dict[Path, Callable[[], None]] = {}
        self._next_group = 100
        self._ifindex = 100
        links = self.root / "_netlink/links.json"
        if links.exists():  # the builder's VF settings are the driver's starting state
            table = vf_settings_from_links(json.loads(links.read_text()))
            self.netlink.vf_table.update({pf: list(vfs) for pf, vfs in table.items()})
        for pf in self._pfs():
            name = self._netdev(pf)
            if name and name not in self.netlink.vf_table:
                self.netlink.add_pf(name, len(self._virtfns(pf)))
        self._mirror(self.netlink)

    # -- SysfsWriter ----------------------------------------------------------------
    def read(self, path: str) -> Optional[str]:
        try:
            return (self.root / path.lstrip("/")).read_text().strip()
        except OSError:
            return None

    def write(self, path: str, value: str, timeout: float = 0.0) -> None:
        self.log.append((path, value))
        for hook in self.hooks:
            hook(path, value)
        attr = os.path.basename(path)
        code = self.fail.pop((attr, value.strip()), None)
        if code:
            raise OSError(code, os.strerror(code), path)
        real = self.root / path.lstrip("/")
        if attr == "sriov_numvfs":
            self._numvfs(real.parent, int(value))
        elif attr == "unbind":
            self._unbind(self._device(value.strip()))
        elif attr == "drivers_probe":
            self._probe(self._device(value.strip()))
        elif attr == "driver_override":
            real.write_text((value.strip() or "(null)") + "\n")
        else:
            if not real.exists():
                raise OSError(errno.ENOENT, os.strerror(errno.ENOENT), path)
            real.write_text(value.strip() + "\n")

    # -- the PF driver ----------------------------------------------------------------
    def _numvfs(self, pf_link: Path, want: int) -> None:
        pf = pf_link.resolve()
        total = int((pf / "sriov_totalvfs").read_text())
        current = len(self._virtfns(pf))
        if want > total:
            raise OSError(errno.ERANGE, os.strerror(errno.ERANGE))
        if want == current:
            return
        if current and want:
            raise OSError(errno.EBUSY, os.strerror(errno.EBUSY))
        name = self._netdev(pf)
        if want == 0:
            for link in self._virtfns(pf):
                self._remove_vf(pf, link)
        else:
            for i in range(want):
                self._create_vf(pf, i)
        (pf / "sriov_numvfs").write_text(f"{want}\n")
        if name:
            self.netlink.add_pf(name, want)  # 0 -> N resets every VF setting

    def _create_vf(self, pf: Path, i: int) -> None:
        offset = int((pf / "sriov_offset").read_text())
        stride = int((pf / "sriov_stride").read_text())
        dom, bus, rest = pf.name.split(":")
        slot, func = rest.split(".")
        rid = (int(bus, 16) << 8 | int(slot, 16) << 3 | int(func)) + offset + i * stride
        addr = f"{dom}:{rid >> 8:02x}:{(rid >> 3) & 0x1F:02x}.{rid & 7}"
        vf = pf.parent / addr
        vf.mkdir()
        for attr, text in (("vendor", "0x8086"), ("device", "0x" + (pf / "sriov_vf_device")
                                                         .read_text().strip()),
                           ("subsystem_vendor", "0x8086"), ("subsystem_device", "0x0000"),
                           ("class", "0x020000"), ("numa_node", "-1"),
                           ("driver_override", "(null)")):
            (vf / attr).write_text(text + "\n")
        self._link(self.root / f"sys/bus/pci/devices/{addr}", vf)
        self._link(vf / "physfn", pf)
        self._link(pf / f"virtfn{i}", vf)
        group = self.root / f"sys/kernel/iommu_groups/{self._next_group}"
        self._next_group += 1
        self._link(group / "devices" / addr, vf)
        self._link(vf / "iommu_group", group)
        if (pf / "sriov_drivers_autoprobe").read_text().strip() == "1":
            self._bind(vf, self._vf_driver(pf))

    def _remove_vf(self, pf: Path, link: Path) -> None:
        vf = link.resolve()
        self._pending.pop(vf, None)
        if (vf / "driver").exists():
            self._unbind(vf)
        group = (vf / "iommu_group").resolve()
        shutil.rmtree(group, ignore_errors=True)
        (self.root / f"sys/bus/pci/devices/{vf.name}").unlink()
        link.unlink()
        shutil.rmtree(vf)

    def _vf_driver(self, pf: Path) -> str:
        return {"igb": "igbvf", "ixgbe": "ixgbevf", "ice": "iavf", "i40e": "iavf"}.get(
            os.path.basename(os.readlink(pf / "driver")), "igbvf")

    # -- drivers ------------------------------------------------------------------------
    def _device(self, address: str) -> Path:
        link = self.root / f"sys/bus/pci/devices/{address}"
        if not link.exists():
            raise OSError(errno.ENODEV, os.strerror(errno.ENODEV), address)
        return link.resolve()

    def _probe(self, dev: Path) -> None:
        if (dev / "driver").exists():
            return
        override = (dev / "driver_override").read_text().strip()
        if override and override != "(null)":
            if not (self.root / f"sys/bus/pci/drivers/{override}").is_dir():
                raise OSError(errno.ENODEV, os.strerror(errno.ENODEV))
            self._bind(dev, override)
        else:
            self._bind(dev, self._vf_driver((dev / "physfn").resolve()))

    def _bind(self, dev: Path, driver: str) -> None:
        drv = self.root / f"sys/bus/pci/drivers/{driver}"
        drv.mkdir(parents=True, exist_ok=True)
        self._link(dev / "driver", drv)
        self._link(drv / dev.name, dev)
        pf = (dev / "physfn").resolve()
        if driver in NET_DRIVERS and (dev / "physfn").exists():
            index = next(int(p.name[6:]) for p in self._virtfns(pf) if p.resolve() == dev)
            make = lambda: self._make_netdev(dev, f"{self._netdev(pf)}v{index}", index)  # noqa: E731
            if self.delay_netdevs:
                self._pending[dev] = make
            else:
                make()

    def release_netdevs(self) -> None:
        for make in self._pending.values():
            make()
        self._pending.clear()

    def _make_netdev(self, dev: Path, name: str, index: int) -> None:
        if not (dev / "driver").exists():
            return  # removed meanwhile
        net = dev / "net" / name
        net.mkdir(parents=True)
        self._ifindex += 1
        for attr, text in (("address", f"02:00:00:00:00:{index:02x}"), ("mtu", "1500"),
                           ("operstate", "up"), ("ifindex", str(self._ifindex))):
            (net / attr).write_text(text + "\n")
        self._link(net / "device", dev)
        self._link(self.root / f"sys/class/net/{name}", net)
        if (self.root / "run/udev/control").exists() and name not in self.udev_names:
            self.udev_done(name)

    def udev_done(self, name: str) -> None:
        """udev has renamed the interface and written its database entry."""
        index = (self.root / f"sys/class/net/{name}/ifindex").read_text().strip()
        data = self.root / f"run/udev/data/n{index}"
        data.parent.mkdir(parents=True, exist_ok=True)
        data.write_text("I:1\n")

    def _unbind(self, dev: Path) -> None:
        drv = (dev / "driver").resolve()
        for net in (dev / "net").glob("*") if (dev / "net").is_dir() else ():
            (self.root / f"sys/class/net/{net.name}").unlink(missing_ok=True)
        shutil.rmtree(dev / "net", ignore_errors=True)
        (drv / dev.name).unlink(missing_ok=True)
        (dev / "driver").unlink()

    # -- helpers ------------------------------------------------------------------------
    def _pfs(self) -> list[Path]:
        devices = self.root / "sys/bus/pci/devices"
        return [p.resolve() for p in sorted(devices.iterdir())
                if (p / "sriov_totalvfs").exists()]

    @staticmethod
    def _virtfns(pf: Path) -> list[Path]:
        return sorted(pf.glob("virtfn*"), key=lambda p: int(p.name[6:]))

    @staticmethod
    def _netdev(pf: Path) -> Optional[str]:
        names = sorted(os.listdir(pf / "net")) if (pf / "net").is_dir() else []
        return names[0] if names else None

    def _link(self, at: Path, target: Path) -> None:
        at.parent.mkdir(parents=True, exist_ok=True)
        at.symlink_to(os.path.relpath(target, at.parent))

    def mirror_now(self) -> None:
        self._mirror(self.netlink)

    def _mirror(self, netlink: FakeNetlink) -> None:
        links = []
        for pf, vfs in netlink.vf_table.items():
            links.append({"ifname": pf, "vfinfo_list": [_vf_json(v) for v in vfs]})
        path = self.root / "_netlink/links.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(links))

    def numvfs(self, pf: str) -> int:
        return len(self._virtfns((self.root / f"sys/class/net/{pf}/device").resolve()))

    def driver_of(self, address: str) -> Optional[str]:
        link = self.root / f"sys/bus/pci/devices/{address}/driver"
        return os.path.basename(os.readlink(link)) if link.is_symlink() else None


def _vf_json(v) -> dict:
    vlan = {"vlan": v.vlan} if v.vlan else {}
    if v.vlan and v.qos:
        vlan["qos"] = v.qos
    if v.vlan and v.vlan_proto:
        vlan["protocol"] = v.vlan_proto
    return {"vf": v.index, "address": v.mac, "vlan_list": [vlan],
            "rate": {"max_tx": v.max_tx_rate or 0, "min_tx": v.min_tx_rate or 0},
            "spoofchk": v.spoofchk, "trust": v.trust, "link_state": v.link_state}


def lab_like_host(root: Path, num: int = 0) -> HostBuilder:
    """The lab's machine: an 82576 (igb, 7 VFs, offset 128, stride 2) at 0000:01:00.0."""
    b = HostBuilder(root)
    rp = b.root_port("0000:00:02.0")
    b.pf("0000:01:00.0", rp, "enp1s0", device=0x10C9, vf_device=0x10CA, total=7, num=num,
         offset=128, stride=2, mac="52:54:00:12:34:56")
    b.build()
    return b
