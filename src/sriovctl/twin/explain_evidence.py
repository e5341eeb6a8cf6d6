"""What a host can show about an SR-IOV error: short facts read from the Host model.

Each function takes a :class:`~sriovctl.host.model.Host` (``--root``: live, a snapshot
dir or tarball) and returns "path or subject: fact" lines, the way ``sriovctl check``
words its evidence. They never fail on a partial host: a fact that cannot be read is left
out.
"""

from __future__ import annotations

from collections import Counter
from typing import Callable, Optional

from sriovctl.checks import run_checks
from sriovctl.checks.isolation import check_group
from sriovctl.host.model import Host

Evidence = Callable[[Host, "dict[str, str]"], list[str]]


def pfs(host: Host, _: dict[str, str]) -> list[str]:
    out = []
    for pf in sorted(host.pfs(), key=lambda d: d.address):
        s = pf.sriov
        vfs = host.vfs_of(pf)
        drivers = Counter(v.driver or "no driver" for v in vfs)
        shown = ", ".join(f"{d} x{n}" for d, n in drivers.most_common()) or "no VFs"
        out.append(
            f"{host.pf_netdev(pf) or pf.address} ({pf.address}, {pf.driver}): "
            f"sriov_numvfs={s.numvfs if s else '?'} sriov_totalvfs={s.totalvfs if s else '?'}, "
            f"NUMA {pf.numa_node}, VF drivers: {shown}"
        )
    return out or [f"{host.label}: no SR-IOV PF"]


def vfio_vfs(host: Host, _: dict[str, str]) -> list[str]:
    bound = [d for d in host.devices.values() if d.is_vf and d.driver == "vfio-pci"]
    return [
        f"/sys/bus/pci/devices/{d.address}/driver -> vfio-pci (held for a guest)"
        for d in bound[:16]
    ] or ["no VF is bound to vfio-pci"]


def kernel(host: Host, _: dict[str, str]) -> list[str]:
    io = host.iommu
    return [
        f"/proc/cmdline: {host.cmdline}",
        f"IOMMU: {'on' if io.active else 'off'} ({len(io.groups)} groups, units "
        f"{', '.join(io.units) or 'none'})",
    ]


def group(host: Host, found: dict[str, str]) -> list[str]:
    """Members of the IOMMU group named in the message, and the doctor's verdict on them."""
    try:
        number = int(found.get("group", ""))
    except ValueError:
        number = None
    address = found.get("address")
    dev = host.devices.get(address or "")
    if number is None and dev is not None:
        number = dev.iommu_group
    if number is None or number not in host.iommu.groups:
        return [f"IOMMU group {number} is not on {host.label} (another host's message?)"]
    members = host.iommu.groups[number]
    out = []
    if address and dev is None:
        out.append(
            f"{address} is not on {host.label}: the message comes from another host; "
            f"here group {number} is:"
        )
    out += [
        f"/sys/kernel/iommu_groups/{number}/devices: "
        + ", ".join(f"{a} ({_driver(host, a)})" for a in members)
    ]
    named = [address] if address in members else []
    for a in named + [m for m in members if m not in named]:
        member = host.devices.get(a)
        if member is not None and member.is_vf:
            finding = check_group(host, member)
            if finding is not None:
                out.append(f"{finding.id}: {finding.message}")
                break
    return out


def _driver(host: Host, address: str) -> str:
    dev = host.devices.get(address)
    return (dev.driver or "no driver") if dev else "?"


def trust(host: Host, _: dict[str, str]) -> list[str]:
    out = []
    for pf in host.pfs():
        for vf in host.vfs_of(pf):
            s = host.vf_settings_for(vf)
            if s is not None and s.trust is not None:
                out.append(
                    f"{host.pf_netdev(pf)} vf {s.index} ({vf.address}): trust "
                    f"{'on' if s.trust else 'off'}, spoofchk "
                    f"{'on' if s.spoofchk else 'off'}, mac {s.mac}"
                )
    return out[:16] or ["no VF trust settings readable (netlink)"]


def findings(prefixes: tuple[str, ...]) -> Evidence:
    """The doctor's findings whose id starts with one of ``prefixes``."""

    def collect(host: Host, _: dict[str, str]) -> list[str]:
        found = [f for f in run_checks(host) if f.id.startswith(prefixes)]
        return [f"{f.id} ({f.severity}): {f.message}" for f in found[:8]]

    return collect


def numa(host: Host, _: dict[str, str]) -> list[str]:
    nodes = Counter(
        d.numa_node for d in host.devices.values() if d.is_vf
    )  # None: no NUMA affinity reported
    return [
        "VFs per NUMA node: " + ", ".join(f"{k}: {n}" for k, n in sorted(nodes.items(), key=str))
    ]


def gather(host: Optional[Host], sources: tuple[Evidence, ...], found: dict[str, str]) -> list[str]:
    if host is None:
        return []
    out: list[str] = []
    for source in sources:
        out += source(host, found)
    return out
