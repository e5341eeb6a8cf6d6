"""What each OpenStack role's files must say for the site, as edits of the files as they are.

The site owns what it names and nothing else: device_spec entries for its physnets or its
PFs' addresses, physical_device_mappings and exclude_devices entries for its physnets or
PFs, network_vlan_ranges entries for its physnets. Every other value, comment and option
stays as written. An edit is made only when the set of owned values differs, so a second
run finds nothing to do.

  compute    nova.conf   [pci] device_spec (passthrough_whitelist before Zed): one entry
                         per group and PF; a whole PF by its address and the VF product id,
                         a VF range as a list of VF addresses; "trusted" for trusted VFs
             sriov_agent [sriov_nic] physical_device_mappings physnet:PF, exclude_devices for
                         VFs of a PF no group claims
  controller ml2_conf    [ml2] mechanism_drivers + sriovnicswitch; [ml2_type_vlan]
                         network_vlan_ranges; [ml2_type_flat] flat_networks
  scheduler  nova.conf   [filter_scheduler] enabled_filters + PciPassthroughFilter
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from sriovctl.errors import InputError
from sriovctl.openstack.edit import IniText
from sriovctl.site.claims import PfClaim
from sriovctl.site.model import Site

# nova's default enabled_filters; AvailabilityZoneFilter left the defaults when placement
# took over AZ filtering (Xena) and is refused by the 2024.1 scheduler
FILTERS = ("ComputeFilter", "ComputeCapabilitiesFilter", "ImagePropertiesFilter",
           "ServerGroupAntiAffinityFilter", "ServerGroupAffinityFilter")


@dataclass
class FileEdit:
    path: str
    roles: list[str]
    before: Optional[bytes]  # None: the file does not exist yet
    mode: int
    ini: IniText
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def after(self) -> str:
        return self.ini.text()

    @property
    def changed(self) -> bool:
        return self.before is None or self.before.decode() != self.after


def file_edits(site: Site, roles: tuple[str, ...], claims: list[PfClaim],
               read: Callable[[str], Any]) -> list[FileEdit]:
    """One FileEdit per file any of the host's roles owns; `read(path)` -> FileState|None."""
    edits: dict[str, FileEdit] = {}

    def edit(path: str, role: str) -> FileEdit:
        if path not in edits:
            state = read(path)
            text = state.content.decode("utf-8", "replace") if state else ""
            if state is not None:
                _parses(path, text)
            edits[path] = FileEdit(path, [], state.content if state else None,
                                   state.mode if state else 0o640, IniText(text))
        if role not in edits[path].roles:
            edits[path].roles.append(role)
        return edits[path]

    for role in roles:
        files = site.roles[role].files
        if role == "compute":
            _device_spec(site, claims, edit(files["nova_conf"], role))
            _agent(site, claims, edit(files["sriov_agent_conf"], role))
        elif role == "controller":
            _ml2(site, edit(files["ml2_conf"], role))
        elif role == "scheduler":
            _filters(site, edit(files["nova_conf"], role))
    for e in edits.values():
        if e.changed:
            _parses(e.path, e.after, edited=True)
    return list(edits.values())


def _parses(path: str, text: str, edited: bool = False) -> None:
    from sriovctl.openstack.config import parse_text

    try:
        parse_text(path, text)
    except InputError as e:
        if edited:  # a bug in the editor: never write what the services cannot read
            raise InputError(f"the edited {path} would not parse: {e.message}") from None
        raise InputError(f"{e.message}; sriovctl will not edit a file the services cannot "
                         "read", fix=e.fix) from None


def vf_address(claim: PfClaim, index: int) -> str:
    """The address VF `index` has (or will have): the PF's routing id + First VF Offset +
    index * VF Stride, as the PCI core computes it."""
    pf = claim.pf
    for i, address in pf.virtfns:
        if i == index:
            return address
    s = pf.sriov
    if s is None or s.offset is None or s.stride is None:
        raise InputError(f"{claim.name}: no First VF Offset / VF Stride to compute VF addresses")
    dom, bus, rest = pf.address.split(":")
    slot, func = rest.split(".")
    rid = (int(bus, 16) << 8 | int(slot, 16) << 3 | int(func)) + s.offset + index * s.stride
    return f"{dom}:{rid >> 8 & 0xFF:02x}:{rid >> 3 & 0x1F:02x}.{rid & 7}"


def device_specs(claims: list[PfClaim]) -> list[str]:
    out = []
    for claim in claims:
        pf = claim.pf
        for group in claim.groups:
            tags: dict[str, str] = {"physical_network": claim.physnet}
            if group.vf.trust:
                tags["trusted"] = "true"
            mine = [i for i, g in sorted(claim.vfs.items()) if g.name == group.name]
            if mine == list(range(claim.num_vfs)):
                vf_id = (pf.sriov.vf_device if pf.sriov else None) or ""
                spec: Any = {"address": pf.address, "vendor_id": pf.vendor_id,
                             "product_id": vf_id.lower().zfill(4), **tags}
            else:
                spec = [{"address": vf_address(claim, i), **tags} for i in mine]
            out.append(json.dumps(spec))
    return out


def _canon(value: str) -> Optional[str]:
    try:
        return json.dumps(json.loads(value), sort_keys=True)
    except ValueError:
        return None


def _device_spec(site: Site, claims: list[PfClaim], e: FileEdit) -> None:
    option = "device_spec" if site.release_at_least("zed") else "passthrough_whitelist"
    addresses = {c.pf.address for c in claims} | {vf_address(c, i) for c in claims
                                                  for i in range(c.num_vfs)}

    def ours(value: str) -> bool:
        try:
            parsed = json.loads(value)
        except ValueError:
            return False
        items = parsed if isinstance(parsed, list) else [parsed]
        return any(isinstance(d, dict) and (d.get("physical_network") in site.physnets
                                            or d.get("address") in addresses) for d in items)

    want = device_specs(claims)
    have = {name: e.ini.values("pci", name) for name in ("device_spec", "passthrough_whitelist")}
    owned = [v for name, vs in have.items() for v in vs if ours(v)]
    misplaced = [v for name, vs in have.items() if name != option for v in vs if ours(v)]
    if sorted(map(_canon, owned)) == sorted(map(_canon, want)) and not misplaced:
        return
    for name, values in have.items():
        new = [v for v in values if not ours(v)] + (want if name == option else [])
        if new != values:
            e.ini.set_all("pci", name, new)
    e.changes += [f"[pci] {option}: - {v}" for v in owned if _canon(v) not in map(_canon, want)]
    e.changes += [f"[pci] {option}: + {v}" for v in want if _canon(v) not in map(_canon, owned)]
    if misplaced:
        e.changes.append(f"[pci] entries moved to {option} (the option's name in "
                         f"{site.release})")


def _list(value: Optional[str]) -> list[str]:
    return [x.strip() for x in (value or "").replace("\n", ",").split(",") if x.strip()]


def _set_list(e: FileEdit, section: str, option: str, keep: list[str], want: list[str],
              drop_empty: bool = False) -> None:
    have = _list(e.ini.get(section, option))
    new = keep + [w for w in want if w not in keep]
    if new == have or (not new and not have):
        return
    e.ini.set_all(section, option, [] if (drop_empty and not new) else [",".join(new)])
    e.changes.append(f"[{section}] {option} = {','.join(new) or '(removed)'}"
                     + (f" (was {','.join(have)})" if have else ""))


def _agent(site: Site, claims: list[PfClaim], e: FileEdit) -> None:
    pfs = {c.name for c in claims}
    have = _list(e.ini.get("sriov_nic", "physical_device_mappings"))
    keep = [m for m in have if m.split(":")[0] not in site.physnets
            and m.split(":")[-1] not in pfs]
    want = [f"{c.physnet}:{c.name}" for c in claims]
    if sorted(set(have)) != sorted(set(keep + want)):
        _set_list(e, "sriov_nic", "physical_device_mappings", keep, want)
    have = _list(e.ini.get("sriov_nic", "exclude_devices"))
    keep = [x for x in have if x.split(":", 1)[0] not in pfs]
    want = [f"{c.name}:" + ";".join(vf_address(c, i) for i in c.unclaimed())
            for c in claims if c.unclaimed()]
    if sorted(have) != sorted(keep + want):
        _set_list(e, "sriov_nic", "exclude_devices", keep, want, drop_empty=True)


def _ml2(site: Site, e: FileEdit) -> None:
    drivers = _list(e.ini.get("ml2", "mechanism_drivers"))
    if "sriovnicswitch" not in drivers:
        if not drivers:
            e.notes.append("[ml2] mechanism_drivers was empty: neutron needs its L2 driver "
                           "(ovn, openvswitch) listed too")
        _set_list(e, "ml2", "mechanism_drivers", drivers, ["sriovnicswitch"])
    types = _list(e.ini.get("ml2", "type_drivers"))
    used = sorted({p.network_type for p in site.physnets.values()})
    if types and set(used) - set(types):
        _set_list(e, "ml2", "type_drivers", types, used)
    vlan = [p for p in site.physnets.values() if p.network_type == "vlan"]
    have = _list(e.ini.get("ml2_type_vlan", "network_vlan_ranges"))
    keep = [r for r in have if r.split(":")[0] not in site.physnets]
    want = [f"{p.name}:{r}" for p in vlan for r in p.vlan_ranges] + \
        [p.name for p in vlan if not p.vlan_ranges]
    if sorted(have) != sorted(keep + want):
        _set_list(e, "ml2_type_vlan", "network_vlan_ranges", keep, want)
    flat = [p.name for p in site.physnets.values() if p.network_type == "flat"]
    have = _list(e.ini.get("ml2_type_flat", "flat_networks"))
    if flat and "*" not in have and set(flat) - set(have):
        _set_list(e, "ml2_type_flat", "flat_networks", have, flat)


def _filters(site: Site, e: FileEdit) -> None:
    have = _list(e.ini.get("filter_scheduler", "enabled_filters"))
    if "AvailabilityZoneFilter" in have and site.release_at_least("2024.1"):
        e.notes.append("[filter_scheduler] enabled_filters lists AvailabilityZoneFilter, which "
                       f"nova {site.release} no longer has: the scheduler will not start")
    if "PciPassthroughFilter" in have:
        return
    base = have or list(FILTERS)
    if not have:
        e.notes.append("[filter_scheduler] enabled_filters was not set: written as nova's "
                       "default list plus PciPassthroughFilter")
    _set_list(e, "filter_scheduler", "enabled_filters", base, ["PciPassthroughFilter"])
