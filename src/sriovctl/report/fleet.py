"""One fleet view from many hosts: VFs per physnet and NUMA node, and which hosts are not
ready and why. Plain data (schema sriovctl.fleet/1); the table and the HTML page are views.

A VF's physnet comes from the site spec when one is given (the group whose selector takes
its PF and whose VF range holds its index); an inventory alone does not know physnets, so
without a spec every VF counts as "(no physnet)". With a spec, a host whose PFs do not have
the VF counts the spec asks for is not ready either: that is what `sriovctl apply` fixes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Optional

from sriovctl.report.inputs import HostInput

SCHEMA = "sriovctl.fleet/1"
NO_PHYSNET = "(no physnet)"
GUEST_DRIVERS = ("vfio-pci", "pci-stub", "uio_pci_generic", "igb_uio")


@dataclass
class Cell:
    """VFs of one physnet on one NUMA node, across the fleet."""

    vfs: int = 0
    guest_bound: int = 0  # on vfio-pci & co: given to a guest or a DPDK application
    hosts: set[str] = field(default_factory=set)
    pfs: set[tuple[str, str]] = field(default_factory=set)


def fleet_view(hosts: list[HostInput], site: Any = None) -> dict:
    cells: dict[tuple[str, Optional[int]], Cell] = {}
    wanted: dict[str, int] = {}
    rows = []
    for h in hosts:
        reasons = _check_reasons(h.check)
        pfs = (h.inventory or {}).get("pfs", [])
        for pf in pfs:
            physnets, want = _physnets(site, h.name, pf)
            if want is not None and (pf["sriov"].get("numvfs") or 0) != want[0]:
                reasons.append(f"{pf['netdev'] or pf['address']} has "
                               f"{pf['sriov'].get('numvfs') or 0} VFs; the site wants "
                               f"{want[0]} (group {want[1]})")
            for vf in pf["vfs"]:
                physnet = physnets.get(vf["index"], NO_PHYSNET)
                cell = cells.setdefault((physnet, vf.get("numa_node")), Cell())
                cell.vfs += 1
                cell.guest_bound += vf.get("driver") in GUEST_DRIVERS
                cell.hosts.add(h.name)
                cell.pfs.add((h.name, pf["address"]))
            for physnet in physnets.values():  # one per VF index the site claims
                wanted[physnet] = wanted.get(physnet, 0) + 1
        if h.inventory is None:
            reasons.append("no inventory: run `sriovctl inspect -f json` there")
        ready = _ready(h, reasons)
        summary = (h.check or {}).get("summary", {})
        inv_host = (h.inventory or {}).get("host", {})
        rows.append({
            "name": h.name, "ready": ready, "reasons": reasons,
            "errors": summary.get("error"), "warnings": summary.get("warning"),
            "pfs": len(pfs) if h.inventory else None,
            "vfs": sum(len(p["vfs"]) for p in pfs) if h.inventory else None,
            "kernel": inv_host.get("kernel"),
            "iommu": (h.inventory or {}).get("iommu", {}).get("active"),
            "sources": h.sources,
        })
    capacity = [{"physnet": p, "numa_node": n, "vfs": c.vfs, "guest_bound": c.guest_bound,
                 "hosts": len(c.hosts), "pfs": len(c.pfs)}
                for (p, n), c in sorted(cells.items(), key=_cell_order)]
    return {
        "schema": SCHEMA,
        "site": getattr(site, "path", None),
        "hosts": rows,
        "capacity": capacity,
        "physnets": _per_physnet(capacity, wanted),
        "not_ready": [{"name": r["name"], "reasons": r["reasons"]} for r in rows
                      if r["ready"] is False],
        "totals": {"hosts": len(rows), "ready": sum(r["ready"] is True for r in rows),
                   "not_ready": sum(r["ready"] is False for r in rows),
                   "unknown": sum(r["ready"] is None for r in rows),
                   "vfs": sum(c["vfs"] for c in capacity)},
    }


def _cell_order(item: tuple) -> tuple:
    (physnet, numa), _ = item
    return (physnet == NO_PHYSNET, physnet, numa is None, numa or 0)


def _per_physnet(capacity: list[dict], wanted: dict[str, int]) -> list[dict]:
    out: dict[str, dict] = {}
    for c in capacity:
        p = out.setdefault(c["physnet"], {"physnet": c["physnet"], "vfs": 0, "guest_bound": 0,
                                          "by_numa": {}, "wanted": wanted.get(c["physnet"])})
        p["vfs"] += c["vfs"]
        p["guest_bound"] += c["guest_bound"]
        key = "none" if c["numa_node"] is None else str(c["numa_node"])
        p["by_numa"][key] = c["vfs"]
    for physnet, count in wanted.items():
        out.setdefault(physnet, {"physnet": physnet, "vfs": 0, "guest_bound": 0,
                                 "by_numa": {}, "wanted": count})
    return sorted(out.values(), key=lambda p: (p["physnet"] == NO_PHYSNET, p["physnet"]))


def _check_reasons(check: Optional[dict]) -> list[str]:
    if check is None:
        return []
    return [f"{f['id']}: {f['message']}" + (f" ({f['subject']})" if f.get("subject") else "")
            for f in check.get("findings", []) if f.get("severity") == "error"]


def _ready(h: HostInput, reasons: list[str]) -> Optional[bool]:
    if reasons:
        return False
    if h.check is None:
        return None  # nobody checked: neither ready nor not
    return bool(h.check.get("summary", {}).get("ready"))


def _physnets(site: Any, host: str, pf: dict) -> tuple[dict[int, str], Optional[tuple]]:
    """VF index -> physnet for this PF, and (num_vfs, group name) the site wants, if any."""
    if site is None:
        return {}, None
    vendor, _, device = (pf.get("vendor_device") or ":").partition(":")
    # the selector reads a PciDevice's fields; an inventory entry has the same facts
    view = SimpleNamespace(address=pf["address"], vendor_id=vendor, device_id=device,
                           netdevs=(pf["netdev"],) if pf["netdev"] else ())
    out: dict[int, str] = {}
    want = None
    for group in site.groups_for(host):
        if not group.nics.matches(view):
            continue
        indexes = group.nics.vf_range(view) or range(group.num_vfs)
        out.update({i: group.physnet for i in indexes})
        want = (group.num_vfs, group.name)
    return out, want
