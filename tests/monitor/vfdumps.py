"""Fake netlink link dumps (the `ip -j -s -d link` shape) and libvirt domain XML for the
monitor tests, on top of the shared HostBuilder's sysfs trees."""

from __future__ import annotations

import json
from pathlib import Path

from hostbuilder import HostBuilder

PF_PCI = "0000:01:00.0"
# QEMU's igb in the lab: VF offset 128, stride 2 -> 01:10.0, 01:10.2, ...
VF_PCI = ["0000:01:10.0", "0000:01:10.2", "0000:01:10.4", "0000:01:10.6", "0000:01:11.0",
          "0000:01:11.2", "0000:01:11.4"]
ZERO = {"rx_packets": 0, "tx_packets": 0, "rx_bytes": 0, "tx_bytes": 0, "broadcast": 0,
        "multicast": 0, "rx_dropped": 0, "tx_dropped": 0}


def pf_root(path: Path, num: int = 3, driver: str = "igb", vf_driver: str | None = "igbvf",
            hostname: str = "compute-0") -> Path:
    """An 82576-like PF enp1s0 (0000:01:00.0, 7 VFs possible) with `num` VFs, as sysfs."""
    b = HostBuilder(path)
    rp = b.root_port("0000:00:02.0")
    b.pf(PF_PCI, rp, "enp1s0", device=0x10C9, vf_device=0x10CA, driver=driver,
         vf_driver=vf_driver or "", total=7, num=num, offset=128, stride=2,
         mac="52:54:00:12:34:56", vf_netdevs=vf_driver is not None)
    root = b.build()
    (root / "proc/sys/kernel/hostname").write_text(hostname + "\n")
    return root


def vf_info(index: int, mac: str = "00:00:00:00:00:00", vlan: int = 0, spoofchk: bool = True,
            trust: bool = False, link_state: str = "auto", stats: dict | None = None) -> dict:
    return {"vf": index, "address": mac, "vlan_list": [{"vlan": vlan}] if vlan else [{}],
            "rate": {"max_tx": 0, "min_tx": 0}, "spoofchk": spoofchk, "link_state": link_state,
            "trust": trust, "stats": {**ZERO, **(stats or {})}}


def pf_link(vfs: list[dict], name: str = "enp1s0", pci: str = PF_PCI) -> dict:
    return {"ifindex": 2, "ifname": name, "address": "52:54:00:12:34:56", "parentdev": pci,
            "vfinfo_list": vfs}


def netdev_link(name: str, pci: str | None, rx_packets: int = 0, tx_packets: int = 0,
                rx_bytes: int = 0, tx_bytes: int = 0, rx_dropped: int = 0,
                tx_dropped: int = 0, multicast: int = 0) -> dict:
    link = {"ifname": name, "address": "52:a8:23:12:a1:2d", "stats64": {
        "rx": {"bytes": rx_bytes, "packets": rx_packets, "errors": 0, "dropped": rx_dropped,
               "multicast": multicast},
        "tx": {"bytes": tx_bytes, "packets": tx_packets, "errors": 0, "dropped": tx_dropped}}}
    if pci:
        link["parentdev"] = pci
    return link


def write_links(root: Path, links: list[dict]) -> None:
    (root / "_netlink/links.json").write_text(json.dumps(links))


def domain_xml(name: str, interfaces: tuple = (), hostdevs: tuple = (), direct: tuple = (),
               status: bool = True) -> str:
    """A running domain's status XML as libvirt keeps it in /run/libvirt/qemu/NAME.xml.

    interfaces: (pci, mac) for <interface type='hostdev'> (nova's vnic_type direct);
    hostdevs: pci for <hostdev type='pci'> (direct-physical); direct: (netdev, mac) macvtap.
    """
    devs = []
    for pci, mac in interfaces:
        devs.append(f"<interface type='hostdev' managed='yes'><mac address='{mac}'/>"
                    f"<source>{_addr(pci)}</source><vlan><tag id='1000'/></vlan></interface>")
    for pci in hostdevs:
        devs.append(f"<hostdev mode='subsystem' type='pci' managed='yes'><source>{_addr(pci)}"
                    "</source></hostdev>")
    for dev, mac in direct:
        devs.append(f"<interface type='direct'><mac address='{mac}'/>"
                    f"<source dev='{dev}' mode='passthrough'/></interface>")
    # a disk's <source> has no PCI address: it must not be taken for a VF
    devs.append("<disk type='file'><source file='/var/lib/nova/disk'/></disk>")
    domain = (f"<domain type='kvm' id='3'><name>{name}</name><devices>{''.join(devs)}"
              "</devices></domain>")
    return f"<domstatus state='running' pid='42'>{domain}</domstatus>" if status else domain


def _addr(pci: str) -> str:
    dom, bus, rest = pci.split(":")
    slot, func = rest.split(".")
    return (f"<address type='pci' domain='0x{dom}' bus='0x{bus}' slot='0x{slot}' "
            f"function='0x{func}'/>")


def write_domain(root: Path, name: str, xml: str) -> Path:
    path = root / "run/libvirt/qemu" / f"{name}.xml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(xml)
    return path


class Dumps:
    """A `dump` callable for Monitor whose links the test changes between scrapes."""

    def __init__(self, links: list[dict]):
        self.links = links
        self.calls = 0

    def __call__(self, root) -> list[dict]:
        self.calls += 1
        return json.loads(json.dumps(self.links))  # a new dump each time, as netlink gives
