"""Can each VF be given to a guest on its own? IOMMU group membership and ACS above it.

This predicts the guide's first field problem, "vfio 0000:0b:10.5: group 3 is not viable",
before anything is booted. vfio accepts a group only when every other member is unbound or
bound to a driver that leaves DMA to vfio (vfio-pci, pci-stub, pcieport for bridges).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sriovctl.checks.finding import Finding, Scope
from sriovctl.checks.nics import pf_name
from sriovctl.host.model import Host, PciDevice

DEV = "/sys/bus/pci/devices"
GROUPS = "/sys/kernel/iommu_groups"
HARMLESS_DRIVERS = (None, "vfio-pci", "pci-stub", "pcieport")
ACS_PORTS = ("Root Port", "Downstream Port")  # where Linux requires ACS (pci_acs_enabled)


def check_vfs(host: Host, scope: Scope) -> list[Finding]:
    out: list[Finding] = []
    acs_reported: set[str] = set()
    for pf in host.pfs():
        vfs = [v for v in host.vfs_of(pf) if scope.wants_vf(v.address, pf.address)]
        if not vfs:
            continue
        if host.iommu.active:
            shared = [f for f in (check_group(host, v) for v in vfs) if f]
            out.extend(shared)
            if not shared:
                out.append(Finding(
                    "vf.groups-isolated", "info", pf.address,
                    f"{pf_name(host, pf)}: each of its {len(vfs)} VFs is alone in its IOMMU "
                    "group (assignable one by one)",
                    tuple(f"{DEV}/{v.address}/iommu_group -> {v.iommu_group}" for v in vfs[:8]),
                ))
            out.extend(check_acs_path(host, pf, vfs, acs_reported))
        out.append(vf_drivers(host, pf, vfs))
    return out


@dataclass(frozen=True)
class GroupMember:
    """Another device in a VF's IOMMU group, as far as viability cares."""

    address: str
    driver: str | None
    is_bridge: bool


def group_finding(
    vf_address: str, group: int, members: tuple[str, ...], others: list[GroupMember],
    extra_evidence: tuple[str, ...] = (),
) -> Finding | None:
    """The doctor's viability rule on plain data, shared by `check` and the twin.

    None when the VF is alone in its group (or with devices unknown to us).
    """
    if not others:
        return None
    blockers = [m for m in others if m.driver not in HARMLESS_DRIVERS]
    endpoints = [m for m in others if not m.is_bridge]
    evidence = (f"{DEV}/{vf_address}/iommu_group -> {group}",
                f"{GROUPS}/{group}/devices: {' '.join(members)}", *extra_evidence)
    if not endpoints and not blockers:
        return Finding(
            "vf.group-bridge", "info", vf_address,
            f"IOMMU group {group} of VF {vf_address} also holds bridges only "
            f"({', '.join(m.address for m in others)}); still assignable", evidence,
        )
    listing = ", ".join(f"{m.address} ({m.driver or 'no driver'})" for m in others)
    verdict = (
        f'assigning it fails with "vfio {vf_address}: group {group} is not viable"'
        if blockers else
        "it is assignable only together with them, to the same guest"
    )
    return Finding(
        "vf.group-shared", "error", vf_address,
        f"VF {vf_address} shares IOMMU group {group} with {len(others)} other devices: "
        f"{listing}; {verdict}",
        evidence,
        "move the NIC to a slot whose root port (and any PCIe switch above it) supports and "
        "enables ACS, or update the BIOS/firmware; only then is each VF in its own group "
        "(the pcie_acs_override kernel patch hides the problem without making it safe)",
    )


def check_group(host: Host, vf: PciDevice) -> Finding | None:
    group = vf.iommu_group
    if group is None:
        return Finding(
            "vf.no-group", "error", vf.address,
            f"VF {vf.address} has no IOMMU group although the IOMMU is on",
            (f"{DEV}/{vf.address}/iommu_group: absent",),
            "check dmesg for DMAR/IOMMU errors about this device",
        )
    members = host.group_members(vf)
    others = [
        GroupMember(a, host.devices[a].driver, host.devices[a].is_bridge)
        for a in members if a != vf.address and a in host.devices
    ]
    return group_finding(vf.address, group, members, others, tuple(acs_evidence(host, vf)))


def _driver(host: Host, address: str) -> str:
    d = host.devices.get(address)
    return (d.driver or "no driver") if d else "unknown"


def acs_evidence(host: Host, dev: PciDevice) -> list[str]:
    lines = []
    for port in host.upstream_path(dev):
        acs = port.acs
        state = (f"ACS ctl {acs.describe(acs.control)}" if acs else "no ACS capability")
        lines.append(f"{DEV}/{port.address}/config: {port.pcie_type or 'bridge'}, {state}")
    return lines


def check_acs_path(
    host: Host, pf: PciDevice, vfs: list[PciDevice], reported: set[str]
) -> list[Finding]:
    out: list[Finding] = []
    for port in host.upstream_path(pf):
        if port.address in reported or port.pcie_type not in ACS_PORTS:
            continue
        reported.add(port.address)
        cfg = port.config
        path = f"{DEV}/{port.address}/config"
        if cfg is None or not cfg.extended_readable:
            out.append(Finding(
                "acs.unknown", "info", port.address,
                f"ACS of {port.pcie_type} {port.address} unknown: extended config space not "
                "readable", (f"{path}: {cfg.size if cfg else 0} bytes",),
                "run as root (config space beyond 64 bytes needs CAP_SYS_ADMIN)",
            ))
        elif port.acs is None:
            out.append(Finding(
                "acs.missing", "warning", port.address,
                f"{port.pcie_type} {port.address} ({port.vendor_device}) above "
                f"{pf_name(host, pf)} has no ACS capability: devices below it cannot be "
                "isolated from each other", (f"{path}: no extended capability 0x000d",),
                "use a slot under an ACS-capable root port / switch, or a BIOS update",
            ))
        elif not port.acs.isolating:
            out.append(Finding(
                "acs.disabled", "warning", port.address,
                f"{port.pcie_type} {port.address} has ACS but {'/'.join(port.acs.missing)} "
                "not enabled", (f"{path}: ACS ctl {port.acs.describe(port.acs.control)}",),
                "the kernel enables ACS when the IOMMU is on; check the IOMMU and the BIOS",
            ))
    return out


def vf_drivers(host: Host, pf: PciDevice, vfs: list[PciDevice]) -> Finding:
    counts = Counter(v.driver or "no driver" for v in vfs)
    text = ", ".join(f"{drv} x{n}" for drv, n in counts.most_common())
    return Finding(
        "vf.drivers", "info", pf.address,
        f"{pf_name(host, pf)}: VF drivers: {text}",
        tuple(f"{DEV}/{v.address}/driver -> {v.driver}" for v in vfs[:8]),
    )
