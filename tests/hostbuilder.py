"""The one fixture builder: fake sysfs/procfs roots laid out exactly as Linux lays them out.

Every synthetic host in the tests (the guide's I350 host, IOMMU off, a switch without ACS,
4 PFs x 64 VFs) is built here, so the layout rules live in one place: real device directories
under /sys/devices/pci0000:00/<port>/<device>, relative symlinks from /sys/bus/pci/devices,
/sys/class/net and /sys/kernel/iommu_groups, config space bytes with real capability lists.
"""

from __future__ import annotations

import json
import os
import struct
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

INTEL_CPU = "GenuineIntel"


def config_space(vendor: int, device: int, class_code: int, pcie_type: int,
                 acs: tuple[int, int] | None = None, sriov: dict | None = None,
                 ari: bool = False, header_type: int = 0) -> bytes:
    """4 KiB config space: PCIe capability at 0x40, extended capabilities from 0x100."""
    b = bytearray(4096)
    struct.pack_into("<HH", b, 0, vendor, device)
    struct.pack_into("<H", b, 0x06, 0x0010)  # status: capability list present
    struct.pack_into("<I", b, 0x08, (class_code << 8) | 0x01)
    b[0x0E] = header_type
    b[0x34] = 0x40
    b[0x40], b[0x41] = 0x10, 0x00  # PCIe capability, last in the list
    struct.pack_into("<H", b, 0x42, 0x0002 | (pcie_type << 4))
    ext = []
    if acs is not None:
        ext.append(("acs", acs))
    if ari:
        ext.append(("ari", None))
    if sriov is not None:
        ext.append(("sriov", sriov))
    off = 0x100
    for i, (kind, data) in enumerate(ext):
        nxt = off + 0x40 if i + 1 < len(ext) else 0
        cap_id = {"acs": 0x000D, "ari": 0x000E, "sriov": 0x0010}[kind]
        struct.pack_into("<I", b, off, cap_id | (1 << 16) | (nxt << 20))
        if kind == "acs":
            struct.pack_into("<HH", b, off + 4, data[0], data[1])
        elif kind == "sriov":
            struct.pack_into("<H", b, off + 0x08, 0x19 if data["num"] else 0x10)
            struct.pack_into("<HHH", b, off + 0x0C, data["total"], data["total"], data["num"])
            struct.pack_into("<HH", b, off + 0x14, data["offset"], data["stride"])
            struct.pack_into("<H", b, off + 0x1A, data["vf_device"])
        off = nxt
    return bytes(b)


ACS_FULL = (0x5F, 0x1D)  # capability SV TB RR CR UF DT; control SV RR CR UF (QEMU's root port)


@dataclass
class Dev:
    address: str
    path: str  # path below sys/devices, e.g. pci0000:00/0000:00:02.0/0000:01:00.0
    vendor: int
    device: int
    class_code: int
    driver: str | None
    numa: int = -1
    group: int | None = None
    config: bytes | None = None
    netdev: str | None = None
    mac: str | None = None
    extra: dict = field(default_factory=dict)


class HostBuilder:
    def __init__(self, root: Path | str):
        self.root = Path(root)
        self.devs: dict[str, Dev] = {}
        self.cmdline = "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro intel_iommu=on iommu=pt"
        self.cpu_vendor, self.cpu_flags = INTEL_CPU, "fpu vme sse2 lm vmx"
        self.acpi = {"DMAR": 128}
        self.iommu_on = True
        self.default_route: str | None = None
        self.links: list[dict] = []  # ip -j style, for _netlink/links.json
        self._ifindex = 1
        self._next_group = 0

    # -- topology ------------------------------------------------------------------
    def group(self) -> int:
        self._next_group += 1
        return self._next_group - 1

    def add(self, dev: Dev) -> Dev:
        self.devs[dev.address] = dev
        return dev

    def root_port(self, address: str, acs: tuple[int, int] | None = ACS_FULL,
                  parent: str | None = None) -> str:
        path = self._child_path(address, parent)
        cfg = config_space(0x8086, 0x2030, 0x060400, 0x4, acs=acs, header_type=1)
        self.add(Dev(address, path, 0x8086, 0x2030, 0x060400, "pcieport", config=cfg,
                     group=self.group() if self.iommu_on else None))
        return address

    def switch(self, up: str, down: str, parent: str) -> str:
        """A PCIe switch without ACS (like QEMU's x3130/xio3130): its ports share a group."""
        for addr, ptype, par in ((up, 0x5, parent), (down, 0x6, up)):
            cfg = config_space(0x104C, 0x8232, 0x060400, ptype, header_type=1)
            self.add(Dev(addr, self._child_path(addr, par), 0x104C, 0x8232, 0x060400,
                         "pcieport", config=cfg, group=self.group() if self.iommu_on else None))
        return down

    def pf(self, address: str, parent: str, netdev: str, *, vendor: int = 0x8086,
           device: int = 0x1521, vf_device: int = 0x1520, driver: str = "igb",
           vf_driver: str = "igbvf", total: int = 7, num: int = 7, offset: int = 128,
           stride: int = 4, numa: int = -1, shared_group: bool = False,
           mac: str = "a0:36:9f:00:00:01", vf_netdevs: bool = True,
           vf_settings: dict[int, dict] | None = None) -> list[str]:
        """A PF with `num` VFs; returns the VF addresses."""
        group = self.group() if self.iommu_on else None
        if shared_group and parent in self.devs:
            group = self.devs[parent].group
        cfg = config_space(vendor, device, 0x020000, 0x0, ari=True, sriov={
            "total": total, "num": num, "offset": offset, "stride": stride,
            "vf_device": vf_device})
        self.add(Dev(address, self._child_path(address, parent), vendor, device, 0x020000,
                     driver, numa=numa, group=group, config=cfg, netdev=netdev, mac=mac,
                     extra={"sriov": (total, num, offset, stride, vf_device), "vfs": []}))
        dom, bus, rest = address.split(":")
        slot, func = rest.split(".")
        routing = (int(bus, 16) << 8) | (int(slot, 16) << 3) | int(func)
        vfs = []
        for i in range(num):
            rid = routing + offset + i * stride
            vf_addr = f"{dom}:{rid >> 8:02x}:{(rid >> 3) & 0x1F:02x}.{rid & 7}"
            vf_group = group if shared_group else (self.group() if self.iommu_on else None)
            vf_cfg = config_space(vendor, vf_device, 0x020000, 0x0, ari=True)
            self.add(Dev(vf_addr, self._child_path(vf_addr, parent), vendor, vf_device,
                         0x020000, vf_driver, numa=numa, group=vf_group, config=vf_cfg,
                         netdev=f"{netdev}v{i}" if vf_netdevs and vf_driver else None,
                         mac=f"02:00:00:{int(bus, 16):02x}:{i >> 8:02x}:{i & 0xFF:02x}",
                         extra={"physfn": address, "index": i}))
            self.devs[address].extra["vfs"].append(vf_addr)
            vfs.append(vf_addr)
        settings = vf_settings or {}
        self.links.append({"ifname": netdev, "address": mac, "vfinfo_list": [
            {"vf": i, "address": settings.get(i, {}).get("mac", "00:00:00:00:00:00"),
             "vlan_list": [{"vlan": settings[i]["vlan"]}] if settings.get(i, {}).get("vlan")
             else [{}],
             "rate": {"max_tx": 0, "min_tx": 0}, "spoofchk": True, "link_state": "auto",
             "trust": bool(settings.get(i, {}).get("trust", False))}
            for i in range(num)]})
        return vfs

    def _child_path(self, address: str, parent: str | None) -> str:
        dom, bus = address.split(":")[:2]
        if parent is None:
            return f"pci{dom}:{'00' if bus == '00' else bus}/{address}"
        return f"{self.devs[parent].path}/{address}"

    # -- output --------------------------------------------------------------------
    def build(self) -> Path:
        r = self.root
        for dev in self.devs.values():
            self._write_device(dev)
        self._write_net_virtual("lo", "00:00:00:00:00:00")
        self._write("proc/cmdline", self.cmdline + "\n")
        self._write("proc/version", "Linux version 6.1.0-50-amd64 (debian) #1 SMP\n")
        self._write("proc/cpuinfo", f"processor\t: 0\nvendor_id\t: {self.cpu_vendor}\n"
                    f"model name\t: Test CPU\nflags\t\t: {self.cpu_flags}\n\n")
        self._write("proc/modules", "igb 290816 0 - Live 0x0\n")
        route = ("Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU"
                 "\tWindow\tIRTT\n")
        if self.default_route:
            route += f"{self.default_route}\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
        self._write("proc/net/route", route)
        self._write("proc/net/ipv6_route", "")
        self._write("proc/sys/kernel/hostname", "compute-0\n")
        for table, size in self.acpi.items():
            self._write(f"sys/firmware/acpi/tables/{table}", b"\0" * size)
        if self.iommu_on:
            (r / "sys/class/iommu").mkdir(parents=True, exist_ok=True)
            self._link("sys/class/iommu/dmar0", "../../devices/virtual/iommu/dmar0")
            (r / "sys/devices/virtual/iommu/dmar0").mkdir(parents=True, exist_ok=True)
        (r / "sys/kernel/iommu_groups").mkdir(parents=True, exist_ok=True)
        (r / "sys/bus/pci/devices").mkdir(parents=True, exist_ok=True)
        self._write("_netlink/links.json", json.dumps(self.links, indent=1))
        return r

    def tarball(self, out: Path | str) -> Path:
        self.build()
        with tarfile.open(out, "w:gz", format=tarfile.GNU_FORMAT) as tar:
            for name in sorted(os.listdir(self.root)):
                tar.add(self.root / name, arcname=name)
        return Path(out)

    def _write(self, rel: str, data: str | bytes) -> None:
        p = self.root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data.encode() if isinstance(data, str) else data)

    def _link(self, rel: str, target: str) -> None:
        p = self.root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if not p.is_symlink():
            p.symlink_to(target)

    def _rel(self, from_rel: str, to_rel: str) -> str:
        return os.path.relpath(to_rel, os.path.dirname(from_rel))

    def _write_device(self, d: Dev) -> None:
        base = f"sys/devices/{d.path}"
        self._write(f"{base}/vendor", f"0x{d.vendor:04x}\n")
        self._write(f"{base}/device", f"0x{d.device:04x}\n")
        self._write(f"{base}/subsystem_vendor", f"0x{d.vendor:04x}\n")
        self._write(f"{base}/subsystem_device", "0x0000\n")
        self._write(f"{base}/class", f"0x{d.class_code:06x}\n")
        self._write(f"{base}/numa_node", f"{d.numa}\n")
        self._write(f"{base}/driver_override", "(null)\n")
        if d.config is not None:
            self._write(f"{base}/config", d.config)
        self._link(f"sys/bus/pci/devices/{d.address}", self._rel(
            f"sys/bus/pci/devices/{d.address}", base))
        if d.driver:
            (self.root / f"sys/bus/pci/drivers/{d.driver}").mkdir(parents=True, exist_ok=True)
            self._link(f"{base}/driver", self._rel(f"{base}/driver",
                                                   f"sys/bus/pci/drivers/{d.driver}"))
            self._link(f"sys/bus/pci/drivers/{d.driver}/{d.address}",
                       self._rel(f"sys/bus/pci/drivers/{d.driver}/{d.address}", base))
        if d.group is not None:
            g = f"sys/kernel/iommu_groups/{d.group}"
            self._link(f"{base}/iommu_group", self._rel(f"{base}/iommu_group", g))
            self._link(f"{g}/devices/{d.address}", self._rel(f"{g}/devices/{d.address}", base))
        if "sriov" in d.extra:
            total, num, offset, stride, vf_device = d.extra["sriov"]
            for name, value in (("sriov_totalvfs", total), ("sriov_numvfs", num),
                                ("sriov_offset", offset), ("sriov_stride", stride),
                                ("sriov_vf_device", f"{vf_device:x}"),
                                ("sriov_drivers_autoprobe", 1)):
                self._write(f"{base}/{name}", f"{value}\n")
            for i, vf in enumerate(d.extra["vfs"]):
                vf_base = f"sys/devices/{self.devs[vf].path}"
                self._link(f"{base}/virtfn{i}", self._rel(f"{base}/virtfn{i}", vf_base))
                self._link(f"{vf_base}/physfn", self._rel(f"{vf_base}/physfn", base))
        if d.netdev:
            nb = f"{base}/net/{d.netdev}"
            self._write_netdev(nb, d.netdev, d.mac or "00:00:00:00:00:00")
            # As sysfs writes it: up out of net/<name>/ and back down by the address.
            self._link(f"{nb}/device", f"../../../{d.address}")

    def _write_netdev(self, nb: str, name: str, mac: str) -> None:
        self._ifindex += 1
        for attr, value in (("address", mac), ("mtu", 1500), ("operstate", "up"),
                            ("speed", 1000), ("ifindex", self._ifindex)):
            self._write(f"{nb}/{attr}", f"{value}\n")
        self._link(f"sys/class/net/{name}", self._rel(f"sys/class/net/{name}", nb))

    def _write_net_virtual(self, name: str, mac: str) -> None:
        nb = f"sys/devices/virtual/net/{name}"
        self._write_netdev(nb, name, mac)


# -- the hosts the tests (and the bundled examples) use ----------------------------------
GUIDE_VFS = ["0000:31:10.1", "0000:31:10.5", "0000:31:11.1", "0000:31:11.5",
             "0000:31:12.1", "0000:31:12.5", "0000:31:13.1"]


def guide_host(root: Path | str, iommu: bool = True) -> HostBuilder:
    """The guide's compute node: Intel I350 enp49s0f1 with 7 VFs (0000:31:10.1 ... 31:13.1)."""
    b = HostBuilder(root)
    if not iommu:
        b.iommu_on = False
        b.cmdline = "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro intel_iommu=off"
    rp = b.root_port("0000:30:01.0", acs=ACS_FULL if iommu else (0x5F, 0x00))
    b.pf("0000:31:00.0", rp, "enp49s0f0", num=0, mac="a0:36:9f:00:00:00")
    b.default_route = "enp49s0f0"
    vfs = b.pf("0000:31:00.1", rp, "enp49s0f1", num=7, offset=128, stride=4,
               mac="a0:36:9f:00:00:01",
               vf_settings={0: {"mac": "fa:16:3e:fe:47:d2", "vlan": 1000, "trust": True}})
    assert vfs == GUIDE_VFS, vfs
    return b


def shared_group_host(root: Path | str) -> HostBuilder:
    """An 82576 behind a PCIe switch without ACS: the PF and all VFs in one IOMMU group."""
    b = HostBuilder(root)
    rp = b.root_port("0000:00:02.0")
    down = b.switch("0000:01:00.0", "0000:02:00.0", rp)
    b.pf("0000:03:00.0", down, "enp3s0", device=0x10C9, vf_device=0x10CA, total=7, num=7,
         offset=128, stride=2, shared_group=True)
    return b


def big_host(root: Path | str, pfs: int = 4, vfs: int = 64) -> HostBuilder:
    """4 PFs x 64 VFs (E810-like ids), two per NUMA node, each PF under its own root port."""
    b = HostBuilder(root)
    for n in range(pfs):
        bus = 0x3B + n * 0x10
        rp = b.root_port(f"0000:{bus - 1:02x}:00.0")
        b.pf(f"0000:{bus:02x}:00.0", rp, f"ens{n + 1}f0", vendor=0x8086, device=0x1592,
             vf_device=0x1889, driver="ice", vf_driver="iavf", total=vfs, num=vfs, offset=8,
             stride=1, numa=n // 2, mac=f"b4:96:91:00:00:{n:02x}")
    return b
