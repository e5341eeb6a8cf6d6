"""nova-scheduler for PCI requests: PciPassthroughFilter, the NUMA fit, hosts and alternates.

A host passes when ``PciStats.support_requests`` says its pools can serve every request
(PciPassthroughFilter) and, for a guest with a NUMA topology and NUMATopologyFilter
enabled, when some choice of host NUMA cells serves them under each request's
``numa_policy`` (nova's ``numa_fit_instance_to_host`` hands the chosen host cells to
``support_requests``). The scheduler returns the first passing host and up to
``max_attempts - 1`` alternates; nova's weighers (RAM, CPU, PCI) are not modelled, so
hosts are tried in ``--host`` order.

At fleet scale the filter must not walk every host for every request: for each distinct
request shape a heap holds the hosts not yet known to fail it. Pools only shrink between
releases, so a host that failed a shape keeps failing it until one of its devices is
released, and then it is offered again. The answers are those of the full walk.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Sequence
from typing import Any, Optional

from sriovctl.openstack.nova import PciRequest
from sriovctl.twin.nova import ComputeNode

Cells = Optional[list[dict]]


def numa_fit(node: ComputeNode, requests: Sequence[PciRequest], guest_cells: int) -> Cells:
    """Host cells the guest's NUMA cells can take with its PCI devices, or None."""
    assert node.stats is not None
    for cells in itertools.permutations(node.host_cells, guest_cells):
        chosen = [{"id": c["id"], "socket": c.get("socket")} for c in cells]
        if not requests or node.stats.support_requests(list(requests), numa_cells=chosen):
            return chosen
    return None


def shape(requests: Sequence[PciRequest], guest_cells: int) -> tuple:
    """What decides whether a host can serve the requests (ids and requesters left out)."""
    return (guest_cells,) + tuple(
        (
            r.count,
            r.numa_policy,
            tuple(tuple(sorted((k, str(v)) for k, v in spec.items())) for spec in r.spec),
        )
        for r in requests
    )


class Scheduler:
    def __init__(
        self,
        nodes: Sequence[ComputeNode],
        pci_filter: bool = True,
        numa_filter: bool = False,
        max_attempts: int = 3,
    ):
        self.nodes = list(nodes)
        self.pci_filter = pci_filter
        self.numa_filter = numa_filter
        self.max_attempts = max(1, max_attempts)
        self._index = {id(n): i for i, n in enumerate(self.nodes)}
        self._heaps: dict[tuple, list[int]] = {}

    def passes(self, node: ComputeNode, requests: Sequence[PciRequest], guest_cells: int) -> bool:
        if not node.up:
            return False  # a nova-compute that never started is not a candidate at all
        if not requests:
            return True
        if self.pci_filter and not node.stats.support_requests(list(requests)):
            return False
        if self.numa_filter and guest_cells:
            return numa_fit(node, requests, guest_cells) is not None
        return True

    def select(
        self,
        requests: Sequence[PciRequest],
        guest_cells: int = 0,
        only: Optional[ComputeNode] = None,
        forced: bool = False,
    ) -> list[ComputeNode]:
        """The chosen host first, then the alternates; empty means NoValidHost.

        ``only`` restricts the candidates to one host (``--host``); ``forced`` also skips
        the filters, as ``--availability-zone zone:host`` does in nova.
        """
        if only is not None:
            if forced:
                return [only] if only.up else []
            return [only] if self.passes(only, requests, guest_cells) else []
        filtered = requests and (self.pci_filter or (self.numa_filter and guest_cells))
        if not filtered:
            return [n for n in self.nodes if n.up][: self.max_attempts]
        heap = self._heaps.get(shape(requests, guest_cells))
        if heap is None:
            heap = self._heaps[shape(requests, guest_cells)] = list(range(len(self.nodes)))
        chosen: list[int] = []
        seen: set[int] = set()
        while heap and len(chosen) < self.max_attempts:
            i = heapq.heappop(heap)
            if i in seen:
                continue
            seen.add(i)
            if self.passes(self.nodes[i], requests, guest_cells):
                chosen.append(i)
        for i in chosen:
            heapq.heappush(heap, i)
        return [self.nodes[i] for i in chosen]

    def released(self, node: ComputeNode) -> None:
        """Devices came back on ``node``: offer it again for every request shape."""
        i = self._index[id(node)]
        for heap in self._heaps.values():
            heapq.heappush(heap, i)


def guest_numa_cells(flavor_properties: dict[str, Any]) -> int:
    """How many NUMA cells nova gives the guest (0: no NUMA topology, no PCI affinity)."""
    nodes = flavor_properties.get("hw:numa_nodes")
    if nodes:
        try:
            return max(1, int(nodes))
        except ValueError:
            return 1
    if flavor_properties.get("hw:cpu_policy") == "dedicated" or flavor_properties.get(
        "hw:mem_page_size"
    ):
        return 1
    return 0
