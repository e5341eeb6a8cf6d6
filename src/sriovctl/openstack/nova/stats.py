"""PCI device pools, as nova's ``PciDeviceStats`` builds and consumes them.

A device joins a pool only if a device_spec entry matches it (first match).
Its pool key is ``product_id``, ``vendor_id``, ``numa_node``, ``dev_type``, the
entry's tags (minus resource_class/traits/rp_uuid(s)), ``address`` = the parent
PF's address for a VF (else its own), ``parent_ifname`` when known, and
``remote_managed="false"`` for untagged VF/PF/vDPA devices. Equal keys share a
pool; the pool list is kept stably sorted by number of keys, which decides
which pools are consumed first.

Devices are plain dicts and are compared by identity, as nova's PciDevice
objects (each with its own uuid) effectively are.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Optional

from sriovctl.openstack.nova import filters
from sriovctl.openstack.nova.errors import (
    NovaUnhandledError,
    PciDevicePoolEmpty,
    PciDeviceRequestFailed,
    nova_guarded,
)
from sriovctl.openstack.nova.filters import (
    IGNORED_TAGS,
    Pool,
    decrease_pool_count,
    remove_identical,
)
from sriovctl.openstack.nova.request import PciRequest, as_request

POOL_KEYS = ("product_id", "vendor_id", "numa_node", "dev_type")
_DEVICE_TYPES_WITH_REMOTE_MANAGED = ("type-VF", "type-PF", "vdpa")


def _contains(items: Iterable[Any], item: Any) -> bool:
    return any(candidate is item for candidate in items)


class PciStats:
    """Pools of assignable devices on one compute node (nova's ``PciDeviceStats``).

    ``device_filter`` is a :class:`~sriovctl.openstack.nova.whitelist.DeviceSpecList`
    (anything with ``get_devspec(dev)``); ``host_cells`` the host NUMA cells
    as ``{"id", "socket"}`` dicts, used by the ``socket`` NUMA policy.
    """

    def __init__(self, device_filter: Any, host_cells: Optional[Sequence[Any]] = None):
        self.device_filter = device_filter
        self.host_cells = list(host_cells or ())
        self.pools: list[Pool] = []
        # Every device ever added, matched or not: parents and children are found here.
        self._known: list[dict] = []
        self._known_ids: set[int] = set()

    # -- pool bookkeeping ----------------------------------------------------

    def _pool_key(self, dev: Mapping[str, Any]) -> Optional[Pool]:
        spec = self.device_filter.get_devspec(dev)
        if not spec:
            return None
        key: Pool = {k: dev.get(k) for k in POOL_KEYS}
        key.update({k: v for k, v in spec.get_tags().items() if k not in IGNORED_TAGS})
        # Placement maps a PF (or a type-PCI device) to one provider, so pools
        # are split by it; VFs of one PF stay together.
        key["address"] = dev.get("parent_addr") or dev.get("address")
        extra_info = dev.get("extra_info") or {}
        parent_ifname = extra_info.get("parent_ifname") or dev.get("parent_ifname")
        if parent_ifname:
            key["parent_ifname"] = parent_ifname
        if dev.get("dev_type") in _DEVICE_TYPES_WITH_REMOTE_MANAGED:
            if key.get("remote_managed") is None:
                key["remote_managed"] = "false"
        return key

    def _find_pool(self, key: Pool) -> Optional[Pool]:
        for pool in self.pools:
            others = {k: v for k, v in pool.items() if k not in ("count", "devices") + IGNORED_TAGS}
            if len(others) == len(key) and all(key.get(k) == others.get(k) for k in key):
                return pool
        return None

    @nova_guarded
    def add_device(self, dev: dict) -> None:
        """Add ``dev`` to its pool, creating the pool if needed (unmatched devices are ignored)."""
        if id(dev) not in self._known_ids:  # _known keeps dev alive, so its id stays unique
            self._known_ids.add(id(dev))
            self._known.append(dev)
        key = self._pool_key(dev)
        if not key:
            return
        pool = self._find_pool(key)
        if pool is None:
            pool = key
            pool["count"] = 0
            pool["devices"] = []
            self.pools.append(pool)
            self.pools.sort(key=len)
        pool["count"] += 1
        pool["devices"].append(dev)

    def add_devices(self, devices: Iterable[dict]) -> PciStats:
        for dev in devices:
            self.add_device(dev)
        return self

    @nova_guarded
    def remove_device(self, dev: dict) -> None:
        """Take ``dev`` out of its pool; PciDevicePoolEmpty if that pool is gone."""
        key = self._pool_key(dev)
        if not key:
            return
        pool = self._find_pool(key)
        if pool is None:
            raise PciDevicePoolEmpty(
                compute_node_id=dev.get("compute_node_id"), address=dev.get("address")
            )
        remove_identical(pool["devices"], dev)
        decrease_pool_count(self.pools, pool)

    @nova_guarded
    def update_device(self, dev: dict) -> None:
        """Re-pool ``dev`` if a pooled device at its address now has another dev_type."""
        for pool in self.pools:
            for device in pool["devices"]:
                if device.get("address") == dev.get("address"):
                    if dev.get("dev_type") == pool["dev_type"]:
                        return
                    remove_identical(pool["devices"], device)
                    decrease_pool_count(self.pools, pool)
                    self.add_device(dev)
                    return

    def get_free_devs(self) -> list[dict]:
        return [dev for pool in self.pools for dev in pool["devices"]]

    def __iter__(self) -> Iterator[Pool]:
        """The pools without their device lists, as nova reports them."""
        return iter([{k: v for k, v in pool.items() if k != "devices"} for pool in self.pools])

    # -- scheduler side: counts only ---------------------------------------------

    def _apply_requests(self, pools, requests, provider_mapping, numa_cells) -> None:
        requests = [as_request(r) for r in requests]
        for request in requests:
            rp_uuids = filters.rp_uuids_for_request(request, provider_mapping)
            if not filters.apply_request(pools, request, rp_uuids, numa_cells, self.host_cells):
                raise PciDeviceRequestFailed(requests=requests)

    @nova_guarded
    def apply_requests(
        self,
        requests: Sequence[PciRequest | Mapping[str, Any]],
        provider_mapping: Optional[Mapping[str, Sequence[str]]] = None,
        numa_cells: Optional[Sequence[Any]] = None,
    ) -> None:
        """Take the requests from the pool counts (scheduler); PciDeviceRequestFailed if not."""
        self._apply_requests(self.pools, requests, provider_mapping, numa_cells)

    @nova_guarded
    def support_requests(
        self,
        requests: Sequence[PciRequest | Mapping[str, Any]],
        provider_mapping: Optional[Mapping[str, Sequence[str]]] = None,
        numa_cells: Optional[Sequence[Any]] = None,
    ) -> bool:
        """Could this node serve all ``requests``? (nova's scheduler check; pools untouched)."""
        pools = [dict(pool) for pool in self.pools]  # apply only changes counts and the list
        try:
            self._apply_requests(pools, requests, provider_mapping, numa_cells)
        except PciDeviceRequestFailed:
            return False
        return True

    def filter_pools_for_socket_affinity(
        self, pools: Sequence[Pool], numa_cells: Sequence[Any]
    ) -> list[Pool]:
        return filters.filter_for_socket_affinity(pools, numa_cells, self.host_cells)

    def has_remote_managed_device_pools(self) -> bool:
        """Is any pool tagged remote_managed true? (nova asks with a request for ``True``)."""
        return bool(filters.filter_for_spec(self.pools, PciRequest(0, [{"remote_managed": True}])))

    # -- compute side: real devices ---------------------------------------------

    def _parent_of(self, dev: Mapping[str, Any]) -> Optional[dict]:
        parent_addr = dev.get("parent_addr")
        for candidate in self._known:
            if parent_addr and candidate.get("address") == parent_addr:
                return candidate
        return None

    def _children_of(self, dev: Mapping[str, Any]) -> list[dict]:
        return [d for d in self._known if d.get("parent_addr") == dev.get("address")]

    def _handle_device_dependents(self, dev: dict) -> None:
        # A PF in use makes its VFs unusable and the other way round.
        if dev.get("dev_type") == "type-PF":
            children = self._children_of(dev)
            if children:
                free = self.get_free_devs()
                for child in children:
                    if _contains(free, child):
                        self.remove_device(child)
        elif dev.get("dev_type") in ("type-VF", "vdpa"):
            parent = self._parent_of(dev)
            if parent is not None and _contains(self.get_free_devs(), parent):
                self.remove_device(parent)

    def _allocate_devs(self, pool: Pool, num: int, request_id: Any) -> list[dict]:
        # nova also stamps request_id on each device; we leave the caller's dicts alone.
        allocated = []
        for _ in range(num):
            dev = pool["devices"].pop()
            self._handle_device_dependents(dev)
            allocated.append(dev)
        return allocated

    @nova_guarded
    def consume_requests(
        self,
        requests: Sequence[PciRequest | Mapping[str, Any]],
        numa_cells: Optional[Sequence[Any]] = None,
    ) -> list[dict]:
        """Allocate devices for ``requests`` (compute side) and return them.

        On failure the devices taken so far go back to their pools and
        PciDeviceRequestFailed is raised (VFs removed because their PF was
        taken are not given back, as in nova).
        """
        requests = [as_request(r) for r in requests]
        allocated: list[dict] = []
        for request in requests:
            count = request.count
            rp_uuids = filters.rp_uuids_for_request(request, None)
            pools = filters.filter_pools(self.pools, request, numa_cells, rp_uuids, self.host_cells)
            if not pools:
                while allocated:
                    self.add_device(allocated.pop())
                raise PciDeviceRequestFailed(requests=requests)
            if not rp_uuids:
                for pool in pools:
                    num = min(count, pool["count"])
                    count -= num
                    pool["count"] -= num
                    allocated += self._allocate_devs(pool, num, request.request_id)
                    if count == 0:
                        break
                continue
            if not filters.one_pool_per_rp_uuid(pools):
                raise PciDeviceRequestFailed(requests=requests)
            wanted = Counter(rp_uuids)
            for pool in pools:
                num = wanted[pool["rp_uuid"]]
                pool["count"] -= num
                allocated += self._allocate_devs(pool, num, request.request_id)
                wanted.pop(pool["rp_uuid"], None)
        return allocated

    def populate_pools_metadata_from_assigned_devices(self) -> None:
        """Copy each pool's placement provider (``extra_info["rp_uuid"]`` of its devices)."""
        for pool in self.pools:
            rps = {
                (dev.get("extra_info") or {}).get("rp_uuid")
                for dev in pool["devices"]
                if "rp_uuid" in (dev.get("extra_info") or {})
            }
            if len(rps) >= 2:
                raise NovaUnhandledError(
                    ValueError(f"We have a pool {pool} connected to more than one RPs {rps}")
                )
            if rps:
                pool["rp_uuid"] = next(iter(rps))
