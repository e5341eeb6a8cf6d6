"""Compute hosts as the twin sees them: the devices nova's libvirt driver would report, the
PFs and VFs the SR-IOV agent would find, and whether each VF's IOMMU group lets vfio take it.

A host comes from a root (``/``, a snapshot directory or tarball, read with
:func:`sriovctl.host.read.load_host`) or from an inventory JSON file written by
``sriovctl inspect -f json`` (one inventory, or a list of them for a fleet). Both end up
as the inventory dict of :func:`sriovctl.host.inventory.to_inventory`, so one code path
serves snapshots, live hosts and fleet facts.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from sriovctl.checks.finding import Finding
from sriovctl.checks.isolation import GroupMember, check_group, group_finding
from sriovctl.errors import InputError
from sriovctl.host.inventory import SCHEMA
from sriovctl.openstack.nova.host import StaticHost


@dataclass(frozen=True)
class VfFacts:
    address: str
    index: Optional[int]
    pf_address: str
    pf_netdev: Optional[str]
    netdev: Optional[str]
    driver: Optional[str]
    vendor_device: str
    numa_node: Optional[int]
    iommu_group: Optional[int]
    mac: Optional[str] = None
    trust: Optional[bool] = None


@dataclass(frozen=True)
class PfFacts:
    address: str
    netdev: Optional[str]
    driver: Optional[str]
    vendor_device: str
    numa_node: Optional[int]
    operstate: Optional[str]
    numvfs: Optional[int]
    totalvfs: Optional[int]


@dataclass(frozen=True)
class HostFacts:
    """One compute host: nova's device dicts plus what the agent and vfio care about."""

    name: str
    source: str
    hostname: Optional[str]
    devices: tuple[dict, ...]  # nova's device dicts, in address order
    pfs: Mapping[str, PfFacts]
    vfs: Mapping[str, VfFacts]
    iommu_active: bool
    group_findings: Mapping[str, Finding] = field(default_factory=dict)  # VF -> vf.group-shared
    lookup: StaticHost = field(default_factory=StaticHost)  # nova's sysfs answers

    @property
    def numa_nodes(self) -> tuple[int, ...]:
        """The host NUMA cells that hold PCI devices (cell 0 when nothing says otherwise)."""
        nodes = sorted({d["numa_node"] for d in self.devices if d.get("numa_node") is not None})
        return tuple(nodes) or (0,)

    def pf_by_netdev(self, netdev: str) -> Optional[PfFacts]:
        return next((pf for pf in self.pfs.values() if pf.netdev == netdev), None)

    def group_blocks(self, vf_address: str) -> Optional[Finding]:
        """The vf.group-shared finding when vfio would refuse the VF's group, else None."""
        finding = self.group_findings.get(vf_address)
        if finding and "is not viable" in finding.message:
            return finding
        return None


def parse_host_arg(text: str) -> tuple[Optional[str], str]:
    """``NAME=ROOT`` or ``ROOT`` -> (name or None, root)."""
    name, sep, root = text.partition("=")
    if sep and name and "/" not in name and not os.path.exists(text):
        return name, root
    return None, text


def load_hosts(arg: str) -> list[HostFacts]:
    """One ``--host`` value: a root, or an inventory JSON file (possibly a fleet list)."""
    name, source = parse_host_arg(arg)
    if source.endswith(".json") and os.path.isfile(source):
        inventories = _read_json(source)
        if name and len(inventories) > 1:
            raise InputError(
                f"{source}: holds {len(inventories)} hosts, cannot name them all {name!r}",
                "pass the file without NAME=",
            )
        return [from_inventory(inv, name, source) for inv in inventories]
    from sriovctl.host.inventory import to_inventory
    from sriovctl.host.read import load_host

    try:
        host = load_host(source)
    except InputError as e:  # the host reader speaks of --root; here it was --host
        raise InputError(e.message.replace("--root ", "--host ", 1), e.fix) from None
    inventory = to_inventory(host)
    findings = {}
    if host.iommu.active:
        for pf in host.pfs():
            for vf in host.vfs_of(pf):
                finding = check_group(host, vf)
                if finding is not None and finding.id == "vf.group-shared":
                    findings[vf.address] = finding
    return [from_inventory(inventory, name, source, findings)]


def _read_json(path: str) -> list[dict]:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise InputError(f"{path}: {e}", "pass the output of `sriovctl inspect -f json`") from None
    items = data if isinstance(data, list) else data.get("hosts", [data])
    for item in items:
        if not isinstance(item, dict) or item.get("schema") != SCHEMA:
            raise InputError(
                f"{path}: not a {SCHEMA} inventory",
                "write it with `sriovctl inspect -f json --root ...`",
            )
    return items


def from_inventory(
    inv: Mapping[str, Any],
    name: Optional[str],
    source: str,
    findings: Optional[Mapping[str, Finding]] = None,
) -> HostFacts:
    """HostFacts from an inventory dict; group findings derived from it when not given."""
    hostname = (inv.get("host") or {}).get("hostname")
    pfs, vfs = {}, {}
    for pf in inv.get("pfs", []):
        sriov = pf.get("sriov") or {}
        pfs[pf["address"]] = PfFacts(
            pf["address"],
            pf.get("netdev"),
            pf.get("driver"),
            pf.get("vendor_device", ""),
            pf.get("numa_node"),
            (pf.get("link") or {}).get("operstate"),
            sriov.get("numvfs"),
            sriov.get("totalvfs"),
        )
        for vf in pf.get("vfs", []):
            vfs[vf["address"]] = VfFacts(
                vf["address"],
                vf.get("index"),
                pf["address"],
                pf.get("netdev"),
                vf.get("netdev"),
                vf.get("driver"),
                vf.get("vendor_device", ""),
                vf.get("numa_node"),
                vf.get("iommu_group"),
                vf.get("mac"),
                vf.get("trust"),
            )
    iommu = inv.get("iommu") or {}
    if findings is None:
        findings = _group_findings(inv, vfs) if iommu.get("active") else {}
    devices = tuple(nova_device(d, pfs) for d in inv.get("devices", []))
    return HostFacts(
        name=name or hostname or source,
        source=source,
        hostname=hostname,
        devices=devices,
        pfs=pfs,
        vfs=vfs,
        iommu_active=bool(iommu.get("active")),
        group_findings=findings,
        lookup=_lookup(inv, pfs),
    )


def nova_device(dev: Mapping[str, Any], pfs: Mapping[str, PfFacts]) -> dict:
    """The dict nova's libvirt driver reports for a PCI device (what device_spec matches)."""
    out = {
        "address": dev["address"],
        "vendor_id": dev.get("vendor_id"),
        "product_id": dev.get("product_id"),
        "numa_node": dev.get("numa_node"),
        "dev_type": dev.get("dev_type") or "type-PCI",
        "parent_addr": dev.get("parent_addr"),
    }
    parent = pfs.get(dev.get("parent_addr") or "")
    if out["dev_type"] == "type-VF" and parent is not None and parent.netdev:
        out["parent_ifname"] = parent.netdev  # nova adds it for VFs whose PF has a netdev
    return out


def _lookup(inv: Mapping[str, Any], pfs: Mapping[str, PfFacts]) -> StaticHost:
    # What nova asks sysfs while parsing device_spec: is an address a PF, which device is
    # behind a devname, which product id do a PF's VFs have.
    answers = []
    vf_device = {
        pf["address"]: (pf.get("sriov") or {}).get("vf_device") for pf in inv.get("pfs", [])
    }
    for dev in inv.get("devices", []):
        entry = dict(nova_device(dev, pfs))
        if dev.get("netdev"):
            entry["devname"] = dev["netdev"]
        if vf_device.get(dev["address"]):
            entry["sriov_vf_device"] = vf_device[dev["address"]]
        answers.append(entry)
    return StaticHost.from_devices(answers)


def _group_findings(inv: Mapping[str, Any], vfs: Mapping[str, VfFacts]) -> dict[str, Finding]:
    """vf.group-shared from an inventory alone (no sysfs tree), by the doctor's own rule."""
    devices = {d["address"]: d for d in inv.get("devices", [])}
    groups = (inv.get("iommu") or {}).get("groups", {})
    out = {}
    for vf in vfs.values():
        if vf.iommu_group is None:
            continue
        members = tuple(groups.get(str(vf.iommu_group), []))
        others = [
            GroupMember(a, devices.get(a, {}).get("driver"),
                        str(devices.get(a, {}).get("class", "")).startswith("0604"))
            for a in members if a != vf.address
        ]
        finding = group_finding(vf.address, vf.iommu_group, members, others)
        if finding is not None and finding.id == "vf.group-shared":
            out[vf.address] = finding
    return out
