"""nova-compute's PCI side on each host: pools, claims and releases.

The pools are :class:`sriovctl.openstack.nova.PciStats` built from the host's device dicts
and its ``[pci] device_spec`` (:class:`~sriovctl.openstack.nova.DeviceSpecList`), so pool
keys, consumption order and the PF/VF interplay are nova's. A claim is
``consume_requests``; a release gives the device back the way nova's PCI tracker does:
the device itself, a PF's VFs taken out when the PF was claimed, and a VF's PF once no
sibling VF is in use.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Optional

from sriovctl.openstack.nova import DeviceSpecList, PciRequest, PciStats
from sriovctl.openstack.nova.filters import (
    Pool,
    filter_for_spec,
    filter_unrequested_pfs,
    filter_unrequested_remote_managed,
    filter_unrequested_vdpa,
)


class SpecMatcher:
    """``get_devspec`` (what PciStats asks) remembered per device object.

    Device dicts are never changed once pooled, so a device's first matching entry never
    changes either; hosts built from the same dicts and the same device_spec (a fleet of
    identical machines) share one matcher and match each device description once.
    """

    def __init__(self, spec_list: DeviceSpecList):
        self.spec_list = spec_list
        self._memo: dict[int, tuple[Mapping, Any]] = {}

    def get_devspec(self, dev: Mapping[str, Any]) -> Any:
        hit = self._memo.get(id(dev))
        if hit is not None and hit[0] is dev:
            return hit[1]
        spec = self.spec_list.get_devspec(dev)
        self._memo[id(dev)] = (dev, spec)  # keeps dev alive, so its id stays unique
        return spec


class ComputeNode:
    """One nova-compute: its pools (None when the service would not start) and claims."""

    def __init__(
        self,
        name: str,
        devices: Sequence[dict],
        matcher: Optional[SpecMatcher],
        numa_nodes: Sequence[int] = (0,),
        setup: Any = None,
        host_cells: Optional[Sequence[dict]] = None,
    ):
        self.name = name
        self.setup = setup
        self.devices = list(devices)
        # The inventory has no socket of each NUMA node; nova's socket policy then refuses.
        self.host_cells = list(host_cells or ({"id": n, "socket": None} for n in numa_nodes))
        self.stats: Optional[PciStats] = None
        if matcher is not None:
            self.stats = PciStats(matcher, self.host_cells).add_devices(self.devices)
        self.claims: dict[str, list[dict]] = {}  # owner (port id / request id) -> devices
        self.labels: dict[str, str] = {}  # owner -> how to name it to an operator
        self._in_use: set[int] = set()

    @classmethod
    def like(cls, template: ComputeNode, name: str, setup: Any = None) -> ComputeNode:
        """A node identical to ``template`` (same devices, same device_spec), unclaimed.

        Its pools are a deep copy of the template's, made before any claim, with the device
        dicts and the matcher shared: what ``add_devices`` would have built, for a fraction
        of the cost (nova's pool lookup compares each device with every pool).
        """
        if template.claims:
            raise ValueError("clone a node before anything is claimed on it")
        node = cls.__new__(cls)
        node.name, node.setup, node.devices = name, setup, template.devices
        node.host_cells = [dict(c) for c in template.host_cells]
        node.stats = None
        if template.stats is not None:
            memo: dict[int, Any] = {id(d): d for d in template.devices}
            memo[id(template.stats.device_filter)] = template.stats.device_filter
            node.stats = copy.deepcopy(template.stats, memo)
        node.claims, node.labels, node._in_use = {}, {}, set()
        return node

    @classmethod
    def from_setup(cls, setup: Any) -> ComputeNode:
        devices = [dict(d) for d in setup.facts.devices]  # our own objects: pools use identity
        matcher = SpecMatcher(setup.spec_list) if setup.spec_list is not None else None
        return cls(setup.nova_host, devices, matcher, setup.facts.numa_nodes, setup)

    @property
    def up(self) -> bool:
        return self.stats is not None

    @property
    def numa_nodes(self) -> list[int]:
        return [c["id"] for c in self.host_cells]

    # -- claims --------------------------------------------------------------------------
    def claim(
        self, owner: str, requests: Sequence[PciRequest], numa_cells: Optional[Sequence[Any]] = None
    ) -> list[dict]:
        """``consume_requests``; raises PciDeviceRequestFailed (nothing kept) if they do not fit."""
        assert self.stats is not None
        devices = self.stats.consume_requests(list(requests), numa_cells)
        self.claims.setdefault(owner, []).extend(devices)
        self._in_use.update(id(d) for d in devices)
        return devices

    def release(self, owner: str) -> list[dict]:
        """Give back ``owner``'s devices; returns them."""
        devices = self.claims.pop(owner, [])
        self.labels.pop(owner, None)
        if self.stats is None or not devices:
            return devices
        free = {id(d) for d in self.stats.get_free_devs()}
        for dev in devices:
            self._in_use.discard(id(dev))
        for dev in devices:
            for freed in (dev, *self._dependents(dev)):
                if id(freed) not in free and id(freed) not in self._in_use:
                    self.stats.add_device(freed)
                    free.add(id(freed))
        return devices

    def _dependents(self, dev: Mapping[str, Any]) -> list[dict]:
        # nova's PciDevice.free(): a PF frees its VFs; a VF frees its PF once no sibling is used.
        if dev.get("dev_type") == "type-PF":
            return [d for d in self.devices if d.get("parent_addr") == dev.get("address")]
        parent_addr = dev.get("parent_addr")
        if not parent_addr:
            return []
        siblings = [d for d in self.devices if d.get("parent_addr") == parent_addr]
        if any(id(s) in self._in_use for s in siblings):
            return []
        return [d for d in self.devices if d.get("address") == parent_addr]

    def in_use(self) -> Iterable[tuple[str, dict]]:
        for owner, devices in self.claims.items():
            for dev in devices:
                yield owner, dev

    # -- views -----------------------------------------------------------------------------
    def candidate_pools(self, request: PciRequest) -> list[Pool]:
        """Pools a request may take from, before NUMA and placement (the count-free filters)."""
        if self.stats is None:
            return []
        pools = filter_for_spec(self.stats.pools, request)
        pools = filter_unrequested_pfs(pools, request)
        pools = filter_unrequested_vdpa(pools, request)
        return filter_unrequested_remote_managed(pools, request)

    def free_by_numa(self, request: PciRequest) -> dict[Optional[int], int]:
        out: dict[Optional[int], int] = {}
        for pool in self.candidate_pools(request):
            out[pool.get("numa_node")] = out.get(pool.get("numa_node"), 0) + pool["count"]
        return out
