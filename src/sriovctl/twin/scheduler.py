"""nova-scheduler for PCI requests: PciPassthroughFilter, the NUMA fit, hosts and alternates.

A host passes when ``PciStats.support_requests`` says its pools can serve every request
(PciPassthroughFilter) and, for a guest with a NUMA topology and NUMATopologyFilter
enabled, when some choice of host NUMA cells serves them under each request's
``numa_policy`` (nova's ``numa_fit_instance_to_host`` hands the chosen host cells to
``support_requests``). The scheduler gives the first passing host and up to
``max_attempts - 1`` alternates; nova's weighers (RAM, CPU, PCI) are not modelled, so
hosts are tried in ``--host`` order.

Two shortcuts keep this cheap at fleet scale, without changing an answer:

* for each distinct request shape a heap holds the hosts not yet known to fail it. Pools
  only shrink between releases, so a host that failed a shape keeps failing it until one
  of its devices is released, and then it is offered again;
* alternates are found when a build fails, not up front. nova computes them at
  scheduling time, but nothing changes in between except the failed host giving its
  claim back, and that host is excluded, so the list is the same.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator, Sequence
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

    def fit(self, node: ComputeNode, requests: Sequence[PciRequest], guest_cells: int):
        """False if the filters reject ``node``; else the NUMA cells chosen (None: no NUMA)."""
        if not node.up:
            return False  # a nova-compute that never started is not a candidate at all
        if not requests:
            return None
        if self.pci_filter and not node.stats.support_requests(list(requests)):
            return False
        if self.numa_filter and guest_cells:
            cells = numa_fit(node, requests, guest_cells)
            return False if cells is None else cells
        return None

    def passes(self, node: ComputeNode, requests: Sequence[PciRequest], guest_cells: int) -> bool:
        return self.fit(node, requests, guest_cells) is not False

    def candidates(
        self,
        requests: Sequence[PciRequest],
        guest_cells: int = 0,
        only: Optional[ComputeNode] = None,
        forced: bool = False,
    ) -> Iterator[tuple[ComputeNode, Cells]]:
        """The chosen host, then the alternates, each with the NUMA cells the filter chose.

        ``only`` restricts the candidates to one host (``--host``); ``forced`` also skips
        the filters, as ``--availability-zone zone:host`` does in nova. Nothing yielded
        means NoValidHost.
        """
        if only is not None:
            fit = None if forced else self.fit(only, requests, guest_cells)
            if only.up and fit is not False:
                yield only, fit
            return
        if not requests or not (self.pci_filter or (self.numa_filter and guest_cells)):
            for node in [n for n in self.nodes if n.up][: self.max_attempts]:
                yield node, None
            return
        key = shape(requests, guest_cells)
        heap = self._heaps.get(key)
        if heap is None:
            heap = self._heaps[key] = list(range(len(self.nodes)))  # sorted: a valid heap
        tried: set[int] = set()
        for _ in range(self.max_attempts):
            found = self._first(heap, requests, guest_cells, tried)
            if found is None:
                return
            tried.add(found[0])
            yield self.nodes[found[0]], found[1]

    def _first(self, heap: list[int], requests, guest_cells: int, tried: set[int]):
        """The lowest-numbered passing host not yet tried; failing hosts leave the heap."""
        held, found = [], None
        while heap:
            i = heapq.heappop(heap)
            if i in tried:
                held.append(i)
                continue
            fit = self.fit(self.nodes[i], requests, guest_cells)
            if fit is not False:
                held.append(i)
                found = (i, fit)
                break
        for i in held:
            heapq.heappush(heap, i)
        return found

    def select(
        self,
        requests: Sequence[PciRequest],
        guest_cells: int = 0,
        only: Optional[ComputeNode] = None,
        forced: bool = False,
    ) -> list[ComputeNode]:
        """All the hosts nova would return at once: the chosen one and the alternates."""
        return [node for node, _ in self.candidates(requests, guest_cells, only, forced)]

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
