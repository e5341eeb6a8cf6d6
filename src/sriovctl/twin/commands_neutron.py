"""``openstack network agent|network|subnet ...``: options to model calls, and the records
the client would print (field names as python-openstackclient shows them). Ports are in
:mod:`sriovctl.twin.commands_ports`."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from sriovctl.twin.agents import AgentRow
from sriovctl.twin.cloud import Cloud
from sriovctl.twin.explanation import ApiError, Explanation
from sriovctl.twin.ipam import make_subnet
from sriovctl.twin.neutron import Network
from sriovctl.twin.scenario import Command

#: ``--agent-type`` choices of the client and the agent_type they select.
AGENT_TYPES = MappingProxyType(
    {
        "bgp": "BGP dynamic routing agent",
        "dhcp": "DHCP agent",
        "open-vswitch": "Open vSwitch agent",
        "linux-bridge": "Linux bridge agent",
        "ofa": "OFA driver agent",
        "l3": "L3 agent",
        "loadbalancer": "Loadbalancer agent",
        "metering": "Metering agent",
        "metadata": "Metadata agent",
        "macvtap": "Macvtap agent",
        "nic": "NIC Switch agent",
        "baremetal": "Baremetal Node",
    }
)
AGENT_COLUMNS = ["ID", "Agent Type", "Host", "Availability Zone", "Alive", "State", "Binary"]
Result = tuple[Any, list[Explanation]]


def agent_row(a: AgentRow) -> dict[str, Any]:
    return {
        "ID": a.id,
        "Agent Type": a.agent_type,
        "Host": a.host,
        "Availability Zone": None,
        "Alive": ":-)" if a.alive else "XXX",
        "State": "UP" if a.admin_state_up else "DOWN",
        "Binary": a.binary,
    }


def agent_list(cloud: Cloud, cmd: Command, line: int) -> Result:
    wanted = cmd.get("agent_type")
    if wanted is not None and wanted not in AGENT_TYPES:
        raise ApiError(f"argument --agent-type: invalid choice: '{wanted}'")
    agents = [
        a
        for a in cloud.neutron.agents
        if (wanted is None or AGENT_TYPES[wanted] == a.agent_type)
        and (cmd.get("host") is None or a.host == cmd.get("host"))
    ]
    notes: list[Explanation] = []
    if wanted in (None, "nic") and not agents:
        notes.append(
            Explanation(
                "neutron.no-nic-agent",
                "error",
                "no NIC Switch agent is registered: "
                "sriovnicswitch binds a port only through an alive agent on the port's host, so "
                "every direct/macvtap port will end binding_failed",
                "give each compute host its sriov_agent.ini (--host-config NAME=FILE) and start "
                "neutron-sriov-nic-agent there",
                line=line,
            )
        )
    for a in agents:
        if not a.alive:
            notes.append(
                Explanation(
                    "neutron.agent-dead",
                    "warning",
                    f"the NIC Switch agent on {a.host} is dead "
                    "(XXX): ports bound to that host fail with binding_failed",
                    "systemctl restart neutron-sriov-nic-agent on the host and read its log",
                    line=line,
                    host=a.host,
                    subject=a.id,
                )
            )
    return (AGENT_COLUMNS, [agent_row(a) for a in agents]), notes


def _agent(cloud: Cloud, name: str) -> AgentRow:
    for a in cloud.neutron.agents:
        if name in (a.id, a.host):
            return a
    raise ApiError(f"No Agent found for {name}")


def agent_show(cloud: Cloud, cmd: Command, line: int) -> Result:
    a = _agent(cloud, cmd.args[0])
    record = {
        "admin_state_up": a.admin_state_up,
        "agent_type": a.agent_type,
        "alive": a.alive,
        "binary": a.binary,
        "configurations": a.configurations,
        "host": a.host,
        "id": a.id,
        "topic": "N/A",
    }
    return record, []


def agent_set(cloud: Cloud, cmd: Command, line: int) -> Result:
    a = _agent(cloud, cmd.args[0])
    up = cmd.get("admin_state_up")
    notes = []
    if up is not None:
        a.admin_state_up = up
        if not up:
            notes.append(
                Explanation(
                    "neutron.agent-disabled",
                    "info",
                    f"the agent on {a.host} is now "
                    "administratively down, but ML2 still binds ports through it: binding skips "
                    "only dead agents; admin state matters to DHCP/L3 scheduling",
                    f"to keep SR-IOV servers off {a.host}, disable its nova-compute service "
                    f"(openstack compute service set --disable {a.host} nova-compute)",
                    line=line,
                    host=a.host,
                    subject=a.id,
                )
            )
    return None, notes


# -- networks ----------------------------------------------------------------------------


def network_record(cloud: Cloud, n: Network) -> dict[str, Any]:
    seg = n.segment
    return {
        "admin_state_up": "UP" if n.admin_state_up else "DOWN",
        "id": n.id,
        "mtu": n.mtu,
        "name": n.name,
        "port_security_enabled": n.port_security,
        "provider:network_type": seg.network_type,
        "provider:physical_network": seg.physical_network,
        "provider:segmentation_id": seg.segmentation_id,
        "router:external": n.external,
        "shared": n.shared,
        "status": "ACTIVE",
        "subnets": list(n.subnet_ids),
    }


def network_create(cloud: Cloud, cmd: Command, line: int) -> Result:
    attrs = {k: cmd.get(k) for k in ("shared", "external", "admin_state_up") if k in cmd.options}
    if "port_security" in cmd.options:
        attrs["port_security"] = cmd.get("port_security")
    if cmd.get("mtu"):
        attrs["mtu"] = int(cmd.get("mtu"))
    network = cloud.neutron.create_network(
        cmd.args[0], cmd.get("network_type"), cmd.get("physnet"), cmd.get("segment"), **attrs
    )
    return network_record(cloud, network), []


def network_show(cloud: Cloud, cmd: Command, line: int) -> Result:
    return network_record(cloud, cloud.neutron.network(cmd.args[0])), []


def network_list(cloud: Cloud, cmd: Command, line: int) -> Result:
    rows = [
        {"ID": n.id, "Name": n.name, "Subnets": list(n.subnet_ids)}
        for n in cloud.neutron.networks.values()
    ]
    return (["ID", "Name", "Subnets"], rows), []


def network_delete(cloud: Cloud, cmd: Command, line: int) -> Result:
    for name in cmd.args:
        network = cloud.neutron.network(name)
        if any(p.network_id == network.id for p in cloud.neutron.ports.values()):
            raise ApiError(
                f"Unable to complete operation on network {network.id}. There are "
                "one or more ports still in use on the network.",
                "ConflictException",
                409,
            )
        for subnet_id in network.subnet_ids:
            cloud.neutron.subnets.pop(subnet_id, None)
        seg = network.segment
        cloud.neutron.used_segments.discard(
            (seg.network_type, seg.physical_network, seg.segmentation_id)
        )
        del cloud.neutron.networks[network.id]
    return None, []


# -- subnets -----------------------------------------------------------------------------


def subnet_create(cloud: Cloud, cmd: Command, line: int) -> Result:
    network = cloud.neutron.network(cmd.get("network"))
    subnet = make_subnet(
        cloud.ids.new("subnet"),
        cmd.args[0],
        network.id,
        cmd.get("subnet_range"),
        cmd.get("allocation_pools", []),
        cmd.get("gateway"),
        cmd.get("dhcp", True),
    )
    cloud.neutron.add_subnet(subnet)
    return subnet.record(), []


def subnet_show(cloud: Cloud, cmd: Command, line: int) -> Result:
    return cloud.neutron.subnet(cmd.args[0]).record(), []


def subnet_list(cloud: Cloud, cmd: Command, line: int) -> Result:
    net = cloud.neutron.network(cmd.get("network")).id if cmd.get("network") else None
    rows = [
        {"ID": s.id, "Name": s.name, "Network": s.network_id, "Subnet": str(s.cidr)}
        for s in cloud.neutron.subnets.values()
        if net in (None, s.network_id)
    ]
    return (["ID", "Name", "Network", "Subnet"], rows), []


def subnet_delete(cloud: Cloud, cmd: Command, line: int) -> Result:
    for name in cmd.args:
        subnet = cloud.neutron.subnet(name)
        if subnet.allocated:
            raise ApiError(
                f"Unable to complete operation on subnet {subnet.id}: One or more "
                "ports have an IP allocation from this subnet.",
                "ConflictException",
                409,
            )
        cloud.neutron.networks[subnet.network_id].subnet_ids.remove(subnet.id)
        del cloud.neutron.subnets[subnet.id]
    return None, []
