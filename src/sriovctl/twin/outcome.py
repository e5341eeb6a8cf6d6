"""What a bound SR-IOV port ends up as: host, VF, libvirt XML, the VF settings nova and the
agent apply, and what to check inside the guest; plus the field problems the guide met
after a successful boot (no DHCP answer, VLAN not trunked, security groups ignored).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Optional

from sriovctl.openstack.neutron.pci_lib import link_state_for
from sriovctl.twin.cloud import Cloud, Server
from sriovctl.twin.explanation import Explanation
from sriovctl.twin.neutron import Port

LINK_STATES = MappingProxyType({0: "auto", 1: "enable", 2: "disable"})
#: The Linux driver a guest binds to a VF (vendor:device), for the guide's in-guest check.
GUEST_VF_DRIVERS = MappingProxyType(
    {
        "8086:1520": "igbvf",  # I350 VF
        "8086:10ca": "igbvf",  # 82576 VF
        "8086:152f": "igbvf",
        "8086:10ed": "ixgbevf",  # 82599 VF
        "8086:1515": "ixgbevf",  # X540 VF
        "8086:1565": "ixgbevf",  # X550 VF
        "8086:154c": "iavf",  # XL710/X710 VF
        "8086:1889": "iavf",  # E810 VF
    }
)
GUEST_VENDOR_DRIVERS = MappingProxyType({"15b3": "mlx5_core", "14e4": "bnxt_en", "1077": "qede"})
#: PF drivers that refuse a VF link-state change; the agent logs it and carries on.
NO_LINK_STATE = ("igb",)


def guest_driver(vendor_device: str, host_driver: Optional[str]) -> str:
    if vendor_device in GUEST_VF_DRIVERS:
        return GUEST_VF_DRIVERS[vendor_device]
    if vendor_device.split(":")[0] in GUEST_VENDOR_DRIVERS:
        return GUEST_VENDOR_DRIVERS[vendor_device.split(":")[0]]
    if host_driver and host_driver not in ("vfio-pci", "pci-stub"):
        return host_driver
    return f"the VF driver for {vendor_device}"


def port_outcome(cloud: Cloud, port: Port) -> dict[str, Any]:
    """The record ``simulate`` prints per port."""
    node, dev = cloud.vfs.get(port.id, (None, None))
    facts = node.setup.facts if node is not None and node.setup is not None else None
    address = dev["address"] if dev else None
    vf = facts.vfs.get(address) if facts and address else None
    pf = facts.pfs.get(dev.get("parent_addr") or "") if facts and dev else None
    vlan = port.vif_details.get("vlan")
    server = cloud.servers.get(port.device_id)
    record: dict[str, Any] = {
        "port": port.name or port.id,
        "port_id": port.id,
        "server": server.name if server else None,
        "host": port.host or None,
        "vnic_type": port.vnic_type,
        "vif_type": port.vif_type,
        "vlan": vlan,
        "status": port.status,
        "mac": port.mac,
        "fixed_ips": [ip for _, ip in port.fixed_ips],
        "vf": address,
        "pf": (vf.pf_netdev if vf else None) or (dev.get("parent_addr") if dev else None),
        "vf_index": vf.index if vf else None,
        "numa_node": dev.get("numa_node") if dev else None,
    }
    if dev is None:
        return record
    vendor_device = f"{dev.get('vendor_id')}:{dev.get('product_id')}"
    record["guest_driver"] = guest_driver(vendor_device, vf.driver if vf else None)
    record["libvirt_xml"] = guest_xml(port, address, vlan, vf.netdev if vf else None)
    record["vf_settings"] = vf_settings(port, vf, pf)
    record["in_guest"] = in_guest(port, record["guest_driver"], cloud)
    return record


def guest_xml(
    port: Port, address: str, vlan: Optional[str], netdev: Optional[str]
) -> Optional[str]:
    """nova's device XML, rendered by :mod:`sriovctl.openstack.libvirt` (None if it has none)."""
    from sriovctl.errors import InputError
    from sriovctl.openstack.libvirt import VNIC_TYPES, GuestPort, interface_xml

    if port.vnic_type not in VNIC_TYPES or port.vif_type not in ("hw_veb", "hostdev_physical"):
        return None
    try:
        guest = GuestPort(port.vnic_type, address, port.mac, int(vlan) if vlan else None, netdev)
        return interface_xml(guest).rstrip("\n")
    except (InputError, ValueError):
        return None  # e.g. macvtap on a VF without a netdev: nova could not plug it either


def vf_settings(port: Port, vf: Any, pf: Any) -> list[str]:
    """Who programs what on the VF: libvirt (MAC, VLAN, trust) and the agent (spoofchk, state)."""
    pf_name = (pf.netdev if pf else None) or "<PF>"
    index = vf.index if vf is not None and vf.index is not None else "<N>"
    vlan = port.vif_details.get("vlan")
    out = []
    if port.vif_type == "hostdev_physical":
        return ["the whole PF goes to the guest: no VF settings, no agent involvement"]
    out.append(
        f"libvirt: ip link set {pf_name} vf {index} mac {port.mac}"
        + (f" vlan {vlan}" if vlan and vlan != "0" else "")
    )
    if str(port.profile.get("trusted", "")).lower() in ("true", "1", "yes", "on"):
        out.append(f"nova: ip link set {pf_name} vf {index} trust on")
    state = LINK_STATES[link_state_for(port.admin_state_up, False)]
    out.append(
        f"agent: spoofchk {'on' if port.port_security else 'off'} (port_security_enabled="
        f"{port.port_security}); ip link set {pf_name} vf {index} state {state}"
        + (
            f" ({pf.driver} answers EOPNOTSUPP; the agent logs it and carries on)"
            if pf is not None and pf.driver in NO_LINK_STATE
            else ""
        )
    )
    out.append("agent: no QoS policy on the port, so no max_tx_rate/min_tx_rate")
    return out


def in_guest(port: Port, driver: str, cloud: Cloud) -> list[str]:
    ips = ", ".join(ip for _, ip in port.fixed_ips) or "no fixed IP"
    nic = "virtio_net (macvtap)" if port.vnic_type == "macvtap" else driver
    return [
        f"ethtool -i <new NIC, ens4 in the guide>  ->  driver: {nic}",
        f"ip addr  ->  link/ether {port.mac}; inet {ips} once DHCP (or config drive) sets it",
    ]


def after_boot(cloud: Cloud, server: Server, line: Optional[int]) -> list[Explanation]:
    """The guide's field problems, predicted for each SR-IOV port of a running server."""
    out: list[Explanation] = []
    for port_id in server.port_ids:
        port = cloud.neutron.ports.get(port_id)
        if port is None or not port.sriov or port.vif_type in ("binding_failed", "unbound"):
            continue
        out += dhcp_problem(cloud, server, port, line)
        out += trunk_problem(cloud, server, port, line)
        if port.security_groups:
            out.append(
                Explanation(
                    "neutron.security-groups-ignored",
                    "warning",
                    f"port {port.name or port.id} has security group(s) "
                    f"{', '.join(port.security_groups)}, but nothing enforces them on a VF: "
                    "the SR-IOV agent has no firewall, traffic bypasses the host",
                    "filter in the guest or on the switch/router; create SR-IOV ports with "
                    "--no-security-group so nobody relies on rules that do nothing",
                    line=line,
                    host=server.host,
                    subject=port.name or port.id,
                )
            )
    return out


def dhcp_problem(cloud: Cloud, server: Server, port: Port, line) -> list[Explanation]:
    network = cloud.neutron.networks[port.network_id]
    subnets = [cloud.neutron.subnets[s] for s, _ in port.fixed_ips]
    physnet = network.physnet
    ips = ", ".join(ip for _, ip in port.fixed_ips)
    if not subnets:
        return []
    if any(s.enable_dhcp for s in subnets):
        if physnet in cloud.deployment.dhcp_physnets:
            return []
        cause = (
            f"the subnet has DHCP enabled, but neutron's DHCP port lives on a network node "
            f"whose OVS agent must map {physnet} in bridge_mappings, and none does: no DHCP "
            f"server answers on {network.name}, so the guest never gets {ips} (the guide's "
            "problem 2)"
        )
        fix = (
            f"run a DHCP server on the physical network (VLAN {network.segment.segmentation_id} "
            f"of {physnet}), or map {physnet} in the network node's [ovs] bridge_mappings, or "
            "set the address in the guest (--config-drive true lets cloud-init do it)"
        )
    elif server.config_drive:
        return []
    else:
        cause = (
            f"the subnet has DHCP disabled and the server has no config drive: nothing "
            f"tells the guest its address {ips}"
        )
        fix = "boot with --config-drive true (cloud-init applies network_data.json)"
    return [
        Explanation(
            "guest.no-dhcp",
            "warning",
            cause,
            fix,
            line=line,
            host=server.host,
            subject=port.name or port.id,
            evidence=(
                f"DHCP-capable physnets (OVS bridge_mappings): "
                f"{', '.join(sorted(cloud.deployment.dhcp_physnets)) or 'none'}",
            ),
        )
    ]


def trunk_problem(cloud: Cloud, server: Server, port: Port, line) -> list[Explanation]:
    vlan = port.vif_details.get("vlan")
    if not vlan or vlan == "0":
        return []
    node, dev = cloud.vfs.get(port.id, (None, None))
    setup = node.setup if node is not None else None
    vf = setup.facts.vfs.get(dev["address"]) if setup and dev else None
    whole = setup.facts.pfs.get(dev["address"]) if setup and dev else None  # direct-physical
    pf = (vf.pf_netdev if vf else None) or (whole.netdev if whole else None) or "the PF"
    trunks = (setup.trunks or {}).get(pf) if setup else None
    who = (
        f"the guest owns the whole PF {pf} and must tag its frames with VLAN {vlan} itself "
        "(nothing on the host can)"
        if port.vif_type == "hostdev_physical"
        else f"the VF tags the guest's frames with VLAN {vlan} as they leave {pf}"
    )
    base = f"{who} on {server.host}; the switch port facing {pf} must carry VLAN {vlan} tagged"
    fix = (
        f"allow VLAN {vlan} tagged on the switch port of {pf} (trunk), and put the gateway "
        f"and DHCP server of the subnet on VLAN {vlan}"
    )
    if trunks is None:
        return [
            Explanation(
                "switch.vlan-trunk",
                "warning",
                base + ", or the guest reaches nothing (the "
                "guide's problem 3); the twin cannot see the switch (tell it with "
                "--switch-trunk HOST:PF=VLANS)",
                fix,
                line=line,
                host=server.host,
                subject=pf,
            )
        ]
    if int(vlan) in trunks:
        return []
    shown = _ranges(trunks)
    return [
        Explanation(
            "switch.vlan-not-trunked",
            "error",
            base + f", and it carries only {shown}: "
            "frames are dropped, the guest gets no DHCP answer and reaches nothing",
            fix,
            line=line,
            host=server.host,
            subject=pf,
            evidence=(f"--switch-trunk {server.host}:{pf}={shown}",),
        )
    ]


def _ranges(vlans: frozenset[int]) -> str:
    items, run = [], []
    for v in sorted(vlans):
        if run and v == run[-1] + 1:
            run.append(v)
            continue
        if run:
            items.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
        run = [v]
    if run:
        items.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
    return ",".join(items) or "no VLAN"
