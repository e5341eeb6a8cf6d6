"""The nova and neutron settings SR-IOV needs, from ``--physnet NAME=PF`` and the host.

One plan serves both commands: ``render`` prints it as ini fragments per service and
file, ``apply`` merges it into existing files (:mod:`sriovctl.openstack.edit`). Choices:

- device_spec selects **VFs only**: the PF's address plus the VFs' vendor and product id
  (nova matches a PF address against each VF's parent; the VF id keeps the PF itself
  out, so a direct-physical port cannot take the PF from under its VFs). ``--match ids``
  drops the address for a fleet of identical hosts (it then selects every such VF).
- the option is ``device_spec`` from Zed on, ``passthrough_whitelist`` before;
- list options (mechanism_drivers, enabled_filters, network_vlan_ranges, extensions)
  gain items and never lose any; an unset enabled_filters starts from nova's default;
- ``firewall_driver = noop`` for the SR-IOV agent, as the guides say: security groups do
  not apply to a VF, and newer agents ignore the option anyway.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sriovctl.errors import InputError
from sriovctl.host.model import Host, PciDevice
from sriovctl.openstack.edit import OptionEdit
from sriovctl.openstack.nova_view import NOVA_AVAILABLE_FILTERS, NOVA_ENABLED_FILTERS
from sriovctl.openstack.releases import Release, uses_device_spec

PCI_FILTER = "PciPassthroughFilter"


@dataclass(frozen=True)
class PhysnetPf:
    physnet: str
    netdev: str
    pf: PciDevice | None  # None without a host: only names are known
    vf_device: str | None  # the VFs' product id


@dataclass(frozen=True)
class Fragment:
    """The settings one service needs in one file."""

    role: str  # nova-compute, nova-scheduler, ml2, sriov_agent, ovs_agent
    service: str  # the systemd unit family, for the restart hint
    path: str  # the usual file
    edits: tuple[OptionEdit, ...]
    notes: tuple[str, ...] = ()

    def ini(self) -> str:
        lines, section = [f"# {self.service}: {self.path}"], None
        lines += [f"# {n}" for n in self.notes]
        for e in self.edits:
            if e.section != section:
                lines.append(f"[{e.section}]")
                section = e.section
            if e.why:
                lines.append(f"# {e.why}")
            if e.only_if_set:
                lines.append(f"# {e.option}: only if set, it must include "
                             f"{', '.join(e.values)}")
                continue
            shown = e.values if e.kind == "multi" else (_shown_items(e),)
            lines += [f"{e.option} = {v}" for v in shown]
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict:
        return {"service": self.service, "role": self.role, "path": self.path,
                "settings": [{"section": e.section, "option": e.option, "kind": e.kind,
                              "values": list(e.values)} for e in self.edits],
                "notes": list(self.notes)}


def _shown_items(e: OptionEdit) -> str:
    base = [*e.default, *e.example]
    items = [*base, *(v for v in e.values if v not in base)]
    return (", " if e.default else ",").join(items) if e.kind == "items" else e.values[0]


def parse_physnets(pairs: list[str] | tuple[str, ...]) -> list[tuple[str, str]]:
    out = []
    for pair in pairs:
        physnet, sep, netdev = pair.partition("=")
        physnet, netdev = physnet.strip(), netdev.strip()
        if not sep or not physnet or not netdev or ":" in physnet or "," in physnet + netdev:
            raise InputError(f"--physnet {pair!r}: expected PHYSNET=PF_NETDEV",
                             fix="e.g. --physnet sriovnet1=enp49s0f1 (repeat for more PFs)")
        out.append((physnet, netdev))
    if not out:
        raise InputError("no --physnet given", fix="e.g. --physnet sriovnet1=enp49s0f1")
    return out


def resolve(pairs: list[tuple[str, str]], host: Host | None) -> list[PhysnetPf]:
    """Look each PF up on the host: it must be an SR-IOV PF (VFs may still be 0)."""
    out = []
    for physnet, netdev in pairs:
        if host is None:
            out.append(PhysnetPf(physnet, netdev, None, None))
            continue
        pf = host.find_pf(netdev)
        if pf is None or not pf.is_pf:
            pfs = ", ".join(n for p in host.pfs() for n in p.netdevs) or "none"
            raise InputError(f"{netdev} is not an SR-IOV PF on {host.label}",
                             fix=f"give a PF's netdev; this host's PFs: {pfs}")
        vf_id = pf.sriov.vf_device if pf.sriov else None
        vfs = host.vfs_of(pf)
        vf_id = vf_id or (vfs[0].device_id if vfs else None)
        name = pf.netdevs[0] if pf.netdevs else netdev
        out.append(PhysnetPf(physnet, name, pf, vf_id))
    return out


def device_spec(p: PhysnetPf, match: str = "address") -> str:
    if p.pf is None or not p.pf.vendor_id or not p.vf_device:
        raise InputError(f"the device_spec for {p.netdev} needs the compute host's PCI ids",
                         fix="run on the compute node, or give --root with its snapshot")
    spec = {"address": p.pf.address} if match == "address" else {}
    spec |= {"vendor_id": p.pf.vendor_id, "product_id": p.vf_device,
             "physical_network": p.physnet}
    return json.dumps(spec)


def _spec_physnet_in(physnets: set[str]):
    def drop(value: str) -> bool:
        try:
            loaded = json.loads(value)
        except ValueError:
            return False
        entries = loaded if isinstance(loaded, list) else [loaded]
        return bool(entries) and all(
            isinstance(e, dict) and e.get("physical_network") in physnets for e in entries)
    return drop


def plan(pfs: list[PhysnetPf], release: Release, *, fdb: bool = False,
         network_type: str = "vlan", match: str = "address",
         roles: tuple[str, ...] | None = None) -> list[Fragment]:
    """The fragments for ``roles`` (default: all; the nova-compute one needs the host)."""
    roles = roles or ("nova-compute", "nova-scheduler", "ml2", "sriov_agent", "ovs_agent")
    physnets = list(dict.fromkeys(p.physnet for p in pfs))
    mappings = [f"{p.physnet}:{p.netdev}" for p in pfs]
    new, old = (("device_spec", "passthrough_whitelist") if uses_device_spec(release)
                else ("passthrough_whitelist", "device_spec"))
    notes = [f"{p.netdev} has no VFs yet: create them (sriov_numvfs) before nova starts"
             for p in pfs if p.pf is not None and not p.pf.virtfns]
    enabled = tuple(NOVA_ENABLED_FILTERS)
    if release.nova < 24:  # before Xena, availability zones were still a scheduler filter
        enabled = ("AvailabilityZoneFilter", *enabled)
    vlan_or_flat = (OptionEdit("ml2_type_vlan", "network_vlan_ranges", "items",
                               tuple(physnets), key_sep=":")
                    if network_type == "vlan" else
                    OptionEdit("ml2_type_flat", "flat_networks", "items", tuple(physnets),
                               only_if_set=True))
    specs = tuple(device_spec(p, match) for p in pfs) if "nova-compute" in roles else ()
    frags = [
        Fragment("nova-compute", "nova-compute", "/etc/nova/nova.conf", (
            OptionEdit("pci", new, "multi", specs,
                       old_names=(old,), drop=_spec_physnet_in(set(physnets)),
                       why="VFs of the mapped PFs, tagged with their physnet"),
        ), tuple(notes)),
        Fragment("nova-scheduler", "nova-scheduler", "/etc/nova/nova.conf", (
            OptionEdit("filter_scheduler", "available_filters", "multi",
                       NOVA_AVAILABLE_FILTERS, only_if_set=True),
            OptionEdit("filter_scheduler", "enabled_filters", "items", (PCI_FILTER,),
                       default=enabled, why="nova's default list plus PciPassthroughFilter"),
        )),
        Fragment("ml2", "neutron-server", "/etc/neutron/plugins/ml2/ml2_conf.ini", (
            OptionEdit("ml2", "mechanism_drivers", "items", ("sriovnicswitch",),
                       example=("openvswitch",),
                       why="add sriovnicswitch to the drivers you have (apply does)"),
            OptionEdit("ml2", "type_drivers", "items", (network_type,), only_if_set=True),
            vlan_or_flat,
        )),
        Fragment("sriov_agent", "neutron-sriov-nic-agent",
                 "/etc/neutron/plugins/ml2/sriov_agent.ini", (
            OptionEdit("sriov_nic", "physical_device_mappings", "items", tuple(mappings),
                       key_sep="\0"),
            OptionEdit("securitygroup", "firewall_driver", "set", ("noop",),
                       why="security groups do not apply to VFs",
                       accept=("neutron.agent.firewall.NoopFirewallDriver",)),
        )),  # fmt: skip
    ]
    if fdb:
        frags.append(Fragment("ovs_agent", "neutron-openvswitch-agent",
                              "/etc/neutron/plugins/ml2/openvswitch_agent.ini", (
            OptionEdit("agent", "extensions", "items", ("fdb",)),
            OptionEdit("FDB", "shared_physical_device_mappings", "items", tuple(mappings),
                       key_sep="\0"),
        )))  # fmt: skip
    return [f for f in frags if f.role in roles]


# systemd units per service: (RHEL/CentOS RDO package names, Ubuntu/Debian names).
UNITS = {
    "nova-compute": ("openstack-nova-compute", "nova-compute"),
    "nova-scheduler": ("openstack-nova-scheduler", "nova-scheduler"),
    "neutron-server": ("neutron-server", "neutron-server"),
    "neutron-sriov-nic-agent": ("neutron-sriov-nic-agent", "neutron-sriov-agent"),
    "neutron-openvswitch-agent": ("neutron-openvswitch-agent", "neutron-openvswitch-agent"),
}


def distro_family(root: str = "/") -> str | None:
    """"rhel" or "debian" from <root>/etc/os-release (ID and ID_LIKE), else None."""
    import os

    try:
        with open(os.path.join(root, "etc/os-release"), encoding="utf-8") as f:
            text = f.read().lower()
    except OSError:
        return None
    words = set(text.replace("=", " ").replace('"', " ").split())
    if words & {"rhel", "centos", "fedora", "rocky", "almalinux"}:
        return "rhel"
    if words & {"debian", "ubuntu"}:
        return "debian"
    return None


def restart_commands(services: list[str], family: str | None) -> list[str]:
    """`systemctl restart` lines; both unit names when the distribution is unknown."""
    out = []
    for service in dict.fromkeys(services):
        rhel, debian = UNITS[service]
        if family == "rhel" or rhel == debian:
            out.append(f"systemctl restart {rhel}")
        elif family == "debian":
            out.append(f"systemctl restart {debian}")
        else:
            out.append(f"systemctl restart {rhel}    # RHEL/CentOS; Ubuntu/Debian: {debian}")
    return out
