"""The simulated cloud: neutron-server, the compute nodes, the scheduler, flavors, servers.

Built from a :class:`~sriovctl.twin.deployment.Deployment`; a benchmark or a test may
hand in ready compute nodes and agents instead (a synthetic fleet needs no sysfs tree).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from sriovctl.twin.deployment import Deployment
from sriovctl.twin.explanation import ApiError
from sriovctl.twin.ids import Ids
from sriovctl.twin.neutron import Neutron
from sriovctl.twin.nova import ComputeNode
from sriovctl.twin.scheduler import Scheduler


@dataclass
class Flavor:
    name: str
    id: str
    vcpus: int
    ram: int
    disk: int
    properties: dict[str, str] = field(default_factory=dict)


#: The flavors a fresh DevStack / packstack cloud has; a scenario may create others.
DEFAULT_FLAVORS = (
    ("m1.tiny", "1", 1, 512, 1),
    ("m1.small", "2", 1, 2048, 20),
    ("m1.medium", "3", 2, 4096, 40),
    ("m1.large", "4", 4, 8192, 80),
    ("m1.xlarge", "5", 8, 16384, 160),
)


@dataclass
class Server:
    id: str
    name: str
    flavor: Flavor
    image: str
    status: str = "BUILD"
    node: Optional[ComputeNode] = None
    port_ids: list[str] = field(default_factory=list)
    created_ports: list[str] = field(default_factory=list)  # nova made them (--nic net-id)
    numa_cells: Optional[list[dict]] = None
    config_drive: bool = False
    fault: Optional[str] = None
    attempts: list[str] = field(default_factory=list)  # "host: error" per failed try

    @property
    def host(self) -> Optional[str]:
        return self.node.name if self.node else None


class Cloud:
    def __init__(
        self,
        deployment: Deployment,
        ids: Optional[Ids] = None,
        nodes: Optional[Sequence[ComputeNode]] = None,
    ):
        self.deployment = deployment
        self.ids = ids or Ids()
        self.neutron = Neutron(deployment, self.ids)
        if nodes is None:
            nodes = build_nodes(deployment.hosts)
        self.nodes = list(nodes)
        self._nodes_by_name = {n.name: n for n in self.nodes}
        for h in deployment.hosts:  # the --host NAME finds the node too
            self._nodes_by_name.setdefault(h.name, self._nodes_by_name.get(h.nova_host))
        self.scheduler = Scheduler(
            self.nodes, deployment.pci_filter, deployment.numa_filter, deployment.max_attempts
        )
        self.flavors = {n: Flavor(n, i, c, r, d) for n, i, c, r, d in DEFAULT_FLAVORS}
        self.servers: dict[str, Server] = {}
        self.vfs: dict[str, tuple[ComputeNode, dict]] = {}  # port id -> (node, device)

    def node(self, name: str) -> Optional[ComputeNode]:
        return self._nodes_by_name.get(name)

    def flavor(self, name: str) -> Flavor:
        found = self.flavors.get(name) or next(
            (f for f in self.flavors.values() if f.id == name), None
        )
        if found is None:
            raise ApiError(f"No flavor with a name or ID of '{name}' exists.")
        return found

    def server(self, name: str) -> Server:
        if name in self.servers:
            return self.servers[name]
        named = [s for s in self.servers.values() if s.name == name]
        if len(named) > 1:
            raise ApiError(f"More than one server exists with the name '{name}'.")
        if not named:
            raise ApiError(f"No server with a name or ID of '{name}' exists.")
        return named[0]


def build_nodes(hosts: Sequence[Any]) -> list[ComputeNode]:
    """One compute node per host; identical machines (same devices, same device_spec) are
    cloned from the first, which is what building them one by one gives, only faster."""
    templates: dict[tuple, ComputeNode] = {}
    nodes = []
    for setup in hosts:
        key = (
            tuple(setup.device_spec.strings),
            tuple(tuple(sorted(d.items(), key=str)) for d in setup.facts.devices),
            setup.facts.numa_nodes,
        )
        if setup.spec_list is not None and key in templates:
            nodes.append(ComputeNode.like(templates[key], setup.nova_host, setup))
            continue
        node = ComputeNode.from_setup(setup)
        templates.setdefault(key, node)
        nodes.append(node)
    return nodes
