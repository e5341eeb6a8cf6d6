"""One physnet name, three files: device_spec (nova), physical_device_mappings (agent),
network_vlan_ranges / flat_networks (neutron-server). A port binds only when all agree.

- nova tags VFs with ``physical_network``; a port's PCI request asks for that tag;
- the agent must map the same physnet to the VFs' PF, or binding fails
  (``physnet_not_mapped``);
- neutron-server must accept a VLAN (or flat) network on it, or the network cannot be
  created in the first place.

Each side is checked only when its file was given.
"""

from __future__ import annotations

from sriovctl.checks.finding import Finding
from sriovctl.openstack.lint.devspec import Entry
from sriovctl.openstack.neutron.config_views import Ml2View, SriovAgentView


def _first_by_physnet(entries: list[Entry]) -> dict[str, Entry]:
    out: dict[str, Entry] = {}
    for e in entries:
        if isinstance(e.physnet, str):
            out.setdefault(e.physnet, e)
    return out


def _near(name: str, names: set[str]) -> str:
    close = [n for n in names if n.strip().lower() == name.strip().lower() and n != name]
    return f" (did you mean {close[0]!r}? names are compared exactly)" if close else ""


def check_physnets(entries: list[Entry] | None, agent: SriovAgentView | None,
                   ml2: Ml2View | None) -> list[Finding]:
    out: list[Finding] = []
    nova = _first_by_physnet(entries) if entries is not None else None
    mapped = None
    if agent is not None and not agent.physical_device_mappings.error:
        mapped = agent.physical_device_mappings.value or {}
    m_where = agent.physical_device_mappings.where if agent else None
    if nova is not None and mapped is not None:
        for physnet, e in nova.items():
            if physnet not in mapped:
                out.append(Finding(
                    "physnet.not-mapped", "error", e.where,
                    f"nova tags devices with physical_network {physnet!r} but the SR-IOV agent "
                    f"maps {', '.join(map(repr, mapped)) or 'nothing'}{_near(physnet, set(mapped))}"
                    ": ports on this physnet fail to bind (physnet_not_mapped)",
                    (f"{e.value.name} = {e.value.value}", f"physical_device_mappings at {m_where}"),
                    f"add {physnet}:<PF netdev> to [sriov_nic] physical_device_mappings",
                ))  # fmt: skip
        for physnet in mapped:
            if physnet not in nova:
                out.append(Finding(
                    "physnet.no-devices", "warning", m_where or "(none):1",
                    f"the SR-IOV agent maps {physnet!r} but no device_spec entry has "
                    f"physical_network {physnet!r}{_near(physnet, set(nova))}: nova has no VF "
                    "to give a port on it (the build fails with no valid host)",
                    (f"physical_device_mappings: {physnet}:{','.join(mapped[physnet])}",),
                    f'add "physical_network": "{physnet}" to the device_spec entry of its VFs',
                ))  # fmt: skip
    if ml2 is None or ml2.network_vlan_ranges.error or ml2.flat_networks.error:
        return out
    vlan = ml2.network_vlan_ranges.value or {}
    flat = ml2.flat_networks.value  # None: any physnet may carry a flat network
    wanted: dict[str, str] = {}
    for physnet, e in (nova or {}).items():
        wanted.setdefault(physnet, e.where)
    for physnet in mapped or {}:
        wanted.setdefault(physnet, m_where or "(none):1")
    v_where = ml2.network_vlan_ranges.where
    for physnet, where in wanted.items():
        if physnet in vlan:
            continue
        if flat is not None and physnet not in flat:
            out.append(Finding(
                "physnet.not-in-ml2", "error", where,
                f"neutron-server accepts no VLAN or flat network on {physnet!r}: "
                f"network_vlan_ranges has {', '.join(map(repr, vlan)) or 'nothing'}"
                f"{_near(physnet, set(vlan))} and flat_networks does not list it",
                (f"network_vlan_ranges at {v_where or '(default)'}",),
                f"[ml2_type_vlan] network_vlan_ranges = {','.join([*vlan, physnet])}",
            ))  # fmt: skip
        else:
            out.append(Finding(
                "physnet.flat-only", "warning", where,
                f"{physnet!r} is not in network_vlan_ranges: only a flat network can use it; "
                f"a VLAN provider network on it is refused (physical_network '{physnet}' "
                "unknown for VLAN provider network)",
                (f"network_vlan_ranges at {v_where or '(default)'}",),
                f"[ml2_type_vlan] network_vlan_ranges = {','.join([*vlan, physnet])}",
            ))  # fmt: skip
    return out
