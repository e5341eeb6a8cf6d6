"""Which group takes which PF and which of its VFs, on one host; refused when ambiguous.

Checked before anything is planned, all at once:
  - a group that applies to this host but whose selector matches none of its PFs (a typo in
    a PF name must not silently configure nothing);
  - two groups claiming one PF with overlapping VFs, or asking different VF counts;
  - one PF split between two physnets: neutron's SR-IOV agent maps whole PFs to physnets
    (physical_device_mappings), so a VF range can split a PF only within one physnet
    (e.g. trusted and untrusted VFs, or some on vfio-pci);
  - more VFs than the PF offers (sriov_totalvfs).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sriovctl.errors import InputError
from sriovctl.host.model import Host, PciDevice
from sriovctl.site.model import Group, Site
from sriovctl.vfs.binding import span


@dataclass(frozen=True)
class PfClaim:
    """What the site wants of one PF on this host."""

    pf: PciDevice
    num_vfs: int
    physnet: str
    vfs: Mapping[int, Group]  # claimed VF index -> the group that claimed it

    @property
    def name(self) -> str:
        return self.pf.netdevs[0] if self.pf.netdevs else self.pf.address

    @property
    def groups(self) -> tuple[Group, ...]:
        seen: dict[str, Group] = {}
        for group in self.vfs.values():
            seen.setdefault(group.name, group)
        return tuple(seen.values())

    def unclaimed(self) -> list[int]:
        return [i for i in range(self.num_vfs) if i not in self.vfs]


def claims_for(site: Site, host: Host, hostname: str) -> list[PfClaim]:
    problems: list[str] = []
    taken: dict[str, list[tuple[Group, tuple[int, ...]]]] = {}
    pfs = sorted(host.pfs(), key=lambda d: d.address)
    for group in site.groups_for(hostname):
        matched = [pf for pf in pfs if group.nics.matches(pf)]
        if not matched:
            problems.append(f"{group.where}: selects no PF on {hostname} "
                            f"({group.nics.describe()}); its PFs: {_inventory(pfs)}")
        for pf in matched:
            indexes = group.nics.vf_range(pf) or tuple(range(group.num_vfs))
            taken.setdefault(pf.address, []).append((group, indexes))
    claims = []
    for address, entries in sorted(taken.items()):
        pf = host.devices[address]
        problems += _conflicts(pf, entries)
        first = entries[0][0]
        total = pf.sriov.totalvfs if pf.sriov else None
        if total is not None and first.num_vfs > total:
            problems.append(f"{first.where}: asks {first.num_vfs} VFs of {_label(pf)}, which "
                            f"offers at most {total} (sriov_totalvfs)")
        vfs = {i: g for g, indexes in entries for i in indexes}
        claims.append(PfClaim(pf, first.num_vfs, first.physnet, vfs))
    if problems:
        more = len(problems) - 4
        raise InputError(f"{site.path}: {hostname}: " + "; ".join(problems[:4])
                         + (f"; and {more} more" if more > 0 else ""),
                         fix="narrow the groups' hosts or selectors; nothing was changed")
    return claims


def _conflicts(pf: PciDevice, entries: list[tuple[Group, tuple[int, ...]]]) -> list[str]:
    out = []
    for i, (a, a_vfs) in enumerate(entries):
        for b, b_vfs in entries[i + 1:]:
            both = f"{_label(pf)} is claimed by {a.where} and {b.where}"
            overlap = sorted(set(a_vfs) & set(b_vfs))
            if overlap:
                out.append(f"{both}, both with VF {span(overlap)}")
            elif a.num_vfs != b.num_vfs:
                out.append(f"{both}, asking {a.num_vfs} and {b.num_vfs} VFs")
            elif a.physnet != b.physnet:
                out.append(f"{both}, for physnets {a.physnet} and {b.physnet}: neutron's "
                           "SR-IOV agent maps whole PFs, so one PF carries one physnet")
    return out


def _label(pf: PciDevice) -> str:
    return f"{pf.netdevs[0]} ({pf.address})" if pf.netdevs else pf.address


def _inventory(pfs: list[PciDevice]) -> str:
    if not pfs:
        return "none with SR-IOV"
    return ", ".join(f"{_label(p)} [{p.vendor_device}]" for p in pfs)
