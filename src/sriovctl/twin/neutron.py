"""neutron-server as far as SR-IOV ports need it: networks and their segments, subnets,
ports with fixed IPs, the NIC Switch agents, and port binding.

Binding is :func:`sriovctl.openstack.neutron.bind_port` (the sriovnicswitch driver,
checked against neutron's own tests) fed with this model's segments, the agents of the
host and the port's subnets; the provider-network rules are ML2's type drivers'. Error
texts are neutron's, so an operator can search the real log for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Optional

from sriovctl.openstack.neutron import Binding, Segment, bind_port
from sriovctl.twin.agents import AgentRow, agent_row
from sriovctl.twin.deployment import Deployment
from sriovctl.twin.explanation import ApiError, Explanation, conflict, not_found
from sriovctl.twin.ids import Ids
from sriovctl.twin.ipam import Subnet
from sriovctl.twin.network_types import allocate_segment

SRIOV_VNIC_TYPES = ("direct", "macvtap", "direct-physical", "accelerator-direct")


@dataclass
class Network:
    id: str
    name: str
    segments: list[Segment]
    shared: bool = False
    external: bool = False
    mtu: int = 1500
    port_security: bool = True
    admin_state_up: bool = True
    subnet_ids: list[str] = field(default_factory=list)

    @property
    def segment(self) -> Segment:
        return self.segments[0]

    @property
    def physnet(self) -> Optional[str]:
        """What nova asks the PCI pools for: the first segment with a physnet, else None."""
        return next((s.physical_network for s in self.segments if s.physical_network), None)


@dataclass
class Port:
    id: str
    name: str
    network_id: str
    mac: str
    vnic_type: str = "normal"
    profile: dict[str, Any] = field(default_factory=dict)
    fixed_ips: list[tuple[str, str]] = field(default_factory=list)  # (subnet id, address)
    security_groups: list[str] = field(default_factory=list)
    port_security: bool = True
    admin_state_up: bool = True
    numa_policy: Optional[str] = None
    device_id: str = ""
    device_owner: str = ""
    host: str = ""
    vif_type: str = "unbound"
    vif_details: dict[str, Any] = field(default_factory=dict)
    status: str = "DOWN"
    binding: Optional[Binding] = None  # the driver's last decision, with its reason

    @property
    def sriov(self) -> bool:
        return self.vnic_type in SRIOV_VNIC_TYPES


class Neutron:
    """The server's state; every method either changes it or raises ApiError."""

    def __init__(self, deployment: Deployment, ids: Ids):
        self.deployment = deployment
        self.ids = ids
        self.networks: dict[str, Network] = {}
        self.subnets: dict[str, Subnet] = {}
        self.ports: dict[str, Port] = {}
        self.used_segments: set[tuple[str, Optional[str], Optional[int]]] = set()
        self.agents: list[AgentRow] = []
        self._agents_by_host: dict[str, list[AgentRow]] = {}
        for h in deployment.hosts:
            if h.agent is not None:
                self.add_agent(agent_row(h, ids))

    def add_agent(self, row: AgentRow) -> None:
        self.agents.append(row)
        self._agents_by_host.setdefault(row.host, []).append(row)

    # -- lookups ---------------------------------------------------------------------------
    @staticmethod
    def _find(items: dict, kind: str, name: str):
        if name in items:
            return items[name]
        named = [x for x in items.values() if x.name == name]
        if len(named) > 1:
            raise conflict(f"More than one {kind} exists with the name '{name}'.")
        if not named:
            raise not_found(kind, name)
        return named[0]

    def network(self, name: str) -> Network:
        return self._find(self.networks, "Network", name)

    def subnet(self, name: str) -> Subnet:
        return self._find(self.subnets, "Subnet", name)

    def port(self, name: str) -> Port:
        return self._find(self.ports, "Port", name)

    def agents_on(self, host: str) -> list[AgentRow]:
        return self._agents_by_host.get(host, [])

    # -- networks and subnets ----------------------------------------------------------------
    def create_network(
        self,
        name: str,
        network_type: Optional[str] = None,
        physnet: Optional[str] = None,
        segment: Optional[str] = None,
        **attrs: Any,
    ) -> Network:
        net_id = self.ids.new("network")
        seg = allocate_segment(
            self.deployment.ml2, self.used_segments, net_id, network_type, physnet, segment
        )
        self.used_segments.add((seg.network_type, seg.physical_network, seg.segmentation_id))
        network = Network(net_id, name, [seg], **attrs)
        self.networks[net_id] = network
        return network

    def add_subnet(self, subnet: Subnet) -> Subnet:
        network = self.networks[subnet.network_id]
        for other in (self.subnets[s] for s in network.subnet_ids):
            if other.cidr.overlaps(subnet.cidr):
                raise ApiError(
                    f"Invalid input for operation: Requested subnet with cidr: "
                    f"{subnet.cidr} for network: {network.id} overlaps with another "
                    "subnet.",
                    "BadRequestException",
                    400,
                )
        self.subnets[subnet.id] = subnet
        network.subnet_ids.append(subnet.id)
        return subnet

    # -- ports -------------------------------------------------------------------------------
    def create_port(
        self,
        name: str,
        network: Network,
        vnic_type: str = "normal",
        profile: Optional[dict] = None,
        fixed_ips: Iterable[tuple] = (),
        no_fixed_ip: bool = False,
        **attrs: Any,
    ) -> Port:
        port = Port(
            self.ids.new("port"),
            name,
            network.id,
            attrs.pop("mac", None) or self.ids.mac(),
            vnic_type,
            dict(profile or {}),
            **attrs,
        )
        if not no_fixed_ip:
            port.fixed_ips = self._allocate_ips(network, list(fixed_ips))
        self.ports[port.id] = port
        return port

    def _allocate_ips(self, network: Network, wanted: list[tuple]) -> list[tuple[str, str]]:
        subnets = [self.subnets[s] for s in network.subnet_ids]
        if wanted:
            out = []
            for subnet_name, address in wanted:
                subnet = (
                    self.subnet(subnet_name) if subnet_name else self._subnet_for(subnets, address)
                )
                out.append((subnet.id, subnet.allocate(address)))
            return out
        for subnet in (s for s in subnets if s.ip_version == 4):
            address = subnet.allocate()
            if address:
                return [(subnet.id, address)]
        if any(s.ip_version == 4 for s in subnets):
            raise conflict(
                f"No more IP addresses available on network {network.id}.",
                [self._exhausted(network, [s for s in subnets if s.ip_version == 4])],
            )
        return []

    def _exhausted(self, network: Network, subnets: list[Subnet]) -> Explanation:
        holders = [
            f"{ip} by port {p.name or p.id}"
            for p in self.ports.values()
            if p.network_id == network.id
            for _, ip in p.fixed_ips
        ]
        pools = ", ".join(f"{s.name}: {' '.join(s.pool_text())}" for s in subnets)
        return Explanation(
            "neutron.ip-exhausted",
            "error",
            f"every address of the allocation pools of {network.name} is taken ({pools}); a "
            "port gets its fixed IP when it is created, so this fails before nova is asked "
            "for a VF",
            "widen the pool (openstack subnet set --allocation-pool start=...,end=...), delete "
            "unused ports, or create the port with --no-fixed-ip if the guest sets its address",
            subject=network.name,
            evidence=tuple(holders[:8]),
        )

    @staticmethod
    def _subnet_for(subnets: list[Subnet], address: Optional[str]) -> Subnet:
        import ipaddress

        for subnet in subnets:
            if address and ipaddress.ip_address(address) in subnet.cidr:
                return subnet
        raise ApiError(
            f"Invalid input for operation: IP address {address} is not a valid IP "
            "for any of the subnets on the specified network.",
            "BadRequestException",
            400,
        )

    def delete_port(self, port: Port) -> None:
        for subnet_id, address in port.fixed_ips:
            if subnet_id in self.subnets:
                self.subnets[subnet_id].release(address)
        self.ports.pop(port.id, None)

    # -- binding -----------------------------------------------------------------------------
    def bind(self, port: Port, host: str, profile: Optional[dict] = None) -> Binding:
        """ML2 binding on ``host``: sriovnicswitch for SR-IOV vnic types, else openvswitch."""
        if profile is not None:
            port.profile = dict(profile)
        network = self.networks[port.network_id]
        ml2 = self.deployment.ml2
        port.host = host
        if not port.sriov:
            bound = "openvswitch" in ml2.mechanism_drivers and port.vnic_type == "normal"
            binding = Binding(
                bound,
                "ovs" if bound else None,
                {},
                network.segment,
                "DOWN",
                reason=None if bound else "no_driver",
                detail="no mechanism driver binds this vnic type",
            )
        elif "sriovnicswitch" not in ml2.mechanism_drivers:
            binding = Binding(
                False,
                reason="no_sriov_driver",
                detail="sriovnicswitch is not in [ml2] mechanism_drivers",
            )
        else:
            subnets = [
                {"id": s, "segment_id": self.subnets[s].segment_id}
                for s, _ in port.fixed_ips
                if s in self.subnets
            ]
            binding = bind_port(
                vnic_type=port.vnic_type,
                profile=port.profile,
                segments=network.segments,
                agents=[a.as_agent() for a in self.agents_on(host)],
                subnets=subnets,
                vnic_type_prohibit_list=list(ml2.prohibited_vnic_types),
            )
        port.binding = binding
        port.vif_type = binding.vif_type if binding.bound else "binding_failed"
        port.vif_details = dict(binding.vif_details or {})
        if binding.bound:
            port.vif_details["bound_drivers"] = {
                "0": "openvswitch" if not port.sriov else "sriovnicswitch"
            }
        port.status = binding.status or "DOWN"
        return binding

    def unbind(self, port: Port) -> None:
        """What nova does when it lets a port go: host, profile and device cleared."""
        port.host, port.vif_type, port.vif_details, port.status = "", "unbound", {}, "DOWN"
        port.device_id, port.device_owner, port.binding = "", "", None
        for key in (
            "pci_slot",
            "pci_vendor_info",
            "physical_network",
            "card_serial_number",
            "pf_mac_address",
            "vf_num",
        ):
            port.profile.pop(key, None)
