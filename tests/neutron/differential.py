"""The differential matrix: one port binding case through real neutron, the twin and bind_port.

Axes (see the README, "Tests against real neutron"): vnic type × network variant × host
agent × prohibit list.
Network variants cover flat/vlan/vxlan, physnet mapped/unmapped, and subnet segments (a
two-segment network whose subnets sit on one segment each). The prohibit-list axis needs a
differently configured server: a second API process on the same database and broker, so
the matrix costs no restart.
"""

from __future__ import annotations

import itertools
import time
import uuid
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Optional

from realneutron import AGENT_HOST, MAPPED_PHYSNET, PROHIBITED, UNMAPPED_PHYSNET, VLAN_RANGES

from sriovctl.verify.predict import Outcome, agrees, observed, predict

VNIC_TYPES = ("direct", "macvtap", "direct-physical", "normal")
HOSTS = {"alive": AGENT_HOST, "dead": "sriov-dead", "absent": "sriov-absent"}
#: name -> (segments as (type, physnet, segmentation id), which port IPs)
NETWORKS = {
    "flat/mapped": ([("flat", MAPPED_PHYSNET, None)], "default"),
    "flat/unmapped": ([("flat", UNMAPPED_PHYSNET, None)], "default"),
    "vlan/mapped": ([("vlan", MAPPED_PHYSNET, 1001)], "default"),
    "vlan/unmapped": ([("vlan", UNMAPPED_PHYSNET, 2001)], "default"),
    "vxlan": ([("vxlan", None, 101)], "default"),
    # One network, two segments, a subnet on each: the port's fixed IP picks the segment.
    "segments/ip-on-mapped": ([("vlan", UNMAPPED_PHYSNET, 2002), ("vlan", MAPPED_PHYSNET, 1002)],
                              "mapped"),
    "segments/ip-on-unmapped": (None, "unmapped"),  # same network as above
    "segments/no-ip": (None, "none"),
}
SHARED_NETWORK = {"segments/ip-on-unmapped": "segments/ip-on-mapped",
                  "segments/no-ip": "segments/ip-on-mapped"}


@dataclass(frozen=True)
class Case:
    vnic: str
    network: str
    host: str  # key of HOSTS
    prohibit: bool

    def label(self) -> str:
        return (f"{self.vnic:15} {self.network:24} agent {self.host:6} "
                f"prohibit={'set' if self.prohibit else 'not set'}")


def all_cases() -> list[Case]:
    return [Case(*c) for c in itertools.product(VNIC_TYPES, NETWORKS, HOSTS, (False, True))]


@dataclass
class Net:
    id: str
    segments: list[dict]  # with ids, in ML2's order
    subnets: dict[str, str]  # "mapped"/"unmapped"/"default" -> subnet id
    physnet: Optional[str]


def create_networks(rest) -> dict[str, Net]:
    """The real networks, with subnets (on segments for the two-segment one)."""
    nets: dict[str, Net] = {}
    for n, (name, (segs, _)) in enumerate(NETWORKS.items()):
        if segs is None:
            nets[name] = nets[SHARED_NETWORK[name]]
            continue
        provider = [{k: v for k, v in (("provider:network_type", t),
                                       ("provider:physical_network", p),
                                       ("provider:segmentation_id", s)) if v is not None}
                    for t, p, s in segs]
        body = provider[0] if len(provider) == 1 else {"segments": provider}
        net = rest.ok("POST", "/networks", {"network": {"name": f"diff-{n}", **body}})["network"]
        found = rest.ok("GET", f"/segments?network_id={net['id']}")["segments"]
        ordered = []
        for t, p, s in segs:
            seg = next(f for f in found if (f["network_type"], f["physical_network"],
                                            f["segmentation_id"]) == (t, p, s))
            ordered.append({k: seg[k] for k in ("id", "network_type", "physical_network",
                                                "segmentation_id", "network_id")})
        subnets = {}
        if len(segs) == 1:
            subnets["default"] = _subnet(rest, net["id"], f"10.{n}.0.0/24", None)
        else:
            for i, seg in enumerate(ordered):
                key = "mapped" if seg["physical_network"] == MAPPED_PHYSNET else "unmapped"
                subnets[key] = _subnet(rest, net["id"], f"10.{n}.{i}.0/24", seg["id"])
        physnet = next((p for _, p, _ in segs if p), None)
        nets[name] = Net(net["id"], ordered, subnets, physnet)
    return nets


def _subnet(rest, net_id: str, cidr: str, segment_id: Optional[str]) -> str:
    body = {"network_id": net_id, "ip_version": 4, "cidr": cidr, "enable_dhcp": False}
    if segment_id:
        body["segment_id"] = segment_id
    return rest.ok("POST", "/subnets", {"subnet": body})["subnet"]["id"]


def profile_for(case: Case, net: Net, mac: str) -> dict:
    """The binding:profile nova sends for this vnic type."""
    if case.vnic == "normal":
        return {}
    profile = {"pci_slot": "0000:00:10.0", "physical_network": net.physnet,
               "pci_vendor_info": "8086:10ca"}
    if case.vnic == "direct-physical":
        profile["device_mac_address"] = mac
    return profile


def run_real(rest, case: Case, net: Net) -> tuple[Outcome, dict]:
    """Create, bind (as nova does) and delete one port; the outcome and the port's subnets."""
    ips = NETWORKS[case.network][1]
    port_body = {"network_id": net.id, "binding:vnic_type": case.vnic}
    if ips == "none":
        port_body["fixed_ips"] = []
    elif ips in ("mapped", "unmapped"):
        port_body["fixed_ips"] = [{"subnet_id": net.subnets[ips]}]
    port = retry(rest, "POST", "/ports", {"port": port_body})[1]["port"]
    try:
        update = {"binding:host_id": HOSTS[case.host], "device_owner": "compute:nova",
                  "device_id": str(uuid.uuid4()),
                  "binding:profile": profile_for(case, net, port["mac_address"])}
        status, data = retry(rest, "PUT", f"/ports/{port['id']}", {"port": update})
        if status >= 400:
            kind = (data.get("NeutronError") or {}).get("type") or f"HTTP {status}"
            return observed({}, kind), port
        return observed(data["port"]), port
    finally:
        rest.call("DELETE", f"/ports/{port['id']}")


def retry(rest, method: str, path: str, body: dict) -> tuple[int, dict]:
    """SQLite under three writer processes sometimes answers 500 "database is locked": a
    property of the test database, not of neutron's semantics, so such a request is
    repeated (a 500 that persists is kept and compared)."""
    for attempt in range(6):
        status, data = rest.call(method, path, body)
        if status != 500:
            break
        time.sleep(0.5 * (attempt + 1))
    if method == "POST":
        assert status < 300, f"{method} {path}: {status} {data}"
    return status, data


def run_model(case: Case, net: Net, port: dict, agents: list[dict], rest) -> Outcome:
    """bind_port (plus the routed-network rule) fed with what the real API shows."""
    subnets = [rest.ok("GET", f"/subnets/{ip['subnet_id']}")["subnet"]
               for ip in port.get("fixed_ips", [])]
    everything = [rest.ok("GET", f"/subnets/{sid}")["subnet"] for sid in net.subnets.values()]
    return predict(vnic_type=case.vnic, profile=profile_for(case, net, port["mac_address"]),
                   segments=net.segments, host=HOSTS[case.host], agents=agents,
                   subnets=subnets, prohibit_list=PROHIBITED if case.prohibit else None,
                   network_subnets=everything)


class TwinSide:
    """The twin's neutron model (sriovctl.twin.neutron) set up like the real server."""

    def __init__(self, prohibit: bool):
        from sriovctl.twin.deployment import Ml2Settings
        from sriovctl.twin.ids import Ids
        from sriovctl.twin.neutron import AgentRow, Neutron

        ml2 = Ml2Settings(
            mechanism_drivers=("sriovnicswitch",), type_drivers=("flat", "vlan", "vxlan"),
            project_network_types=(), vlan_ranges={p: [r] for p, r in VLAN_RANGES.items()},
            flat_networks=(MAPPED_PHYSNET, UNMAPPED_PHYSNET),
            prohibited_vnic_types=PROHIBITED if prohibit else ())
        self.neutron = Neutron(SimpleNamespace(hosts=(), ml2=ml2), Ids())
        mappings = {"device_mappings": {MAPPED_PHYSNET: ["eth0"]}}
        self.neutron.add_agent(AgentRow("a1", HOSTS["alive"], True, mappings))
        self.neutron.add_agent(AgentRow("a2", HOSTS["dead"], False, mappings))
        self.networks = {}
        for name, (segs, _) in NETWORKS.items():
            if segs is not None and len(segs) == 1:  # the twin has one segment per network
                t, p, s = segs[0]
                self.networks[name] = self.neutron.create_network(
                    name, t, p, None if s is None else str(s))

    def run(self, case: Case, net: Net) -> Optional[Outcome]:
        network = self.networks.get(case.network)
        if network is None:
            return None
        port = self.neutron.create_port("p", network, case.vnic)
        try:
            binding = self.neutron.bind(port, HOSTS[case.host],
                                        profile_for(case, net, port.mac))
            if not binding.bound:
                return Outcome(False, "binding_failed", {})
            return Outcome(True, port.vif_type, dict(port.vif_details))
        finally:
            self.neutron.delete_port(port)


def compare(real: Outcome, model: Optional[Outcome]) -> Optional[bool]:
    return None if model is None else agrees(model, real)
