"""Which pools may serve one PCI request (``PciDeviceStats._filter_pools`` and helpers).

The filters run in nova's order and give up as soon as too few devices are
left: spec match, NUMA affinity, unrequested PFs, unrequested vDPA, unrequested
remote-managed, placement allocation, live-migratability. A pool is a dict of
pool keys plus ``count`` (and ``devices`` on the compute side).
"""

from __future__ import annotations

import collections
from collections.abc import Mapping, Sequence
from typing import Any, Optional

from sriovctl.openstack.nova.request import PciRequest, prop_match
from sriovctl.openstack.nova.strutils import bool_from_string

Pool = dict[str, Any]

#: Keys placement matches, so pooling and request matching ignore them.
#: (In nova both lists are one list object grown with ``+=``, hence identical.)
IGNORED_TAGS = ("resource_class", "traits", "rp_uuids", "rp_uuid")


def cell_id(cell: Any) -> Any:
    """A NUMA cell given as an id, a dict with ``id``, or an object with ``.id``."""
    if isinstance(cell, Mapping):
        return cell.get("id")
    return getattr(cell, "id", cell)


def _cell_socket(cell: Any) -> Any:
    return cell.get("socket") if isinstance(cell, Mapping) else getattr(cell, "socket", None)


def _total(pools: Sequence[Pool]) -> int:
    return sum(pool["count"] for pool in pools)


def filter_for_spec(pools: Sequence[Pool], request: PciRequest) -> list[Pool]:
    specs = [{k: v for k, v in spec.items() if k not in IGNORED_TAGS} for spec in request.spec]
    return [pool for pool in pools if prop_match(pool, specs)]


def _on_nodes(pools: Sequence[Pool], nodes: Sequence[Any]) -> list[Pool]:
    return [pool for pool in pools if any(prop_match(pool, [{"numa_node": n}]) for n in nodes)]


def filter_for_numa_cells(
    pools: Sequence[Pool],
    request: PciRequest,
    numa_cells: Optional[Sequence[Any]],
    host_cells: Sequence[Any],
) -> list[Pool]:
    """Apply the request's numa_policy (default legacy) against the guest's NUMA cells."""
    if not numa_cells:
        return list(pools)
    policy = (request.numa_policy if request.is_set("numa_policy") else None) or "legacy"
    cell_ids = [cell_id(c) for c in numa_cells]
    strict = _on_nodes(pools, cell_ids)
    if policy == "required" or _total(strict) >= request.count:
        return strict
    if policy == "socket":
        return filter_for_socket_affinity(pools, numa_cells, host_cells)
    # Devices without NUMA info (None) are acceptable from here on.
    cell_ids.append(None)
    loose = _on_nodes(pools, cell_ids)
    if policy == "legacy" or _total(loose) >= request.count:
        return loose
    # preferred: anything goes, affine pools first.
    return sorted(pools, key=lambda pool: pool.get("numa_node") not in cell_ids)


def filter_for_socket_affinity(
    pools: Sequence[Pool], numa_cells: Sequence[Any], host_cells: Sequence[Any]
) -> list[Pool]:
    """Pools on any host NUMA node sharing a socket with the guest's cells."""
    if any(_cell_socket(cell) is None for cell in host_cells):
        return []  # no socket info: nova refuses rather than guesses
    guest_ids = [cell_id(c) for c in numa_cells]
    sockets = {_cell_socket(h) for g in guest_ids for h in host_cells if g == cell_id(h)}
    allowed = {cell_id(h) for h in host_cells if _cell_socket(h) in sockets}
    return _on_nodes(pools, list(allowed))


def filter_unrequested_pfs(pools: Sequence[Pool], request: PciRequest) -> list[Pool]:
    if all(spec.get("dev_type") != "type-PF" for spec in request.spec):
        return [pool for pool in pools if pool.get("dev_type") != "type-PF"]
    return list(pools)


def filter_unrequested_vdpa(pools: Sequence[Pool], request: PciRequest) -> list[Pool]:
    if all(spec.get("dev_type") != "vdpa" for spec in request.spec):
        return [pool for pool in pools if pool.get("dev_type") != "vdpa"]
    return list(pools)


def filter_unrequested_remote_managed(pools: Sequence[Pool], request: PciRequest) -> list[Pool]:
    if all(not bool_from_string(spec.get("remote_managed")) for spec in request.spec):
        return [pool for pool in pools if not bool_from_string(pool.get("remote_managed"))]
    return list(pools)


def filter_by_placement(pools: Sequence[Pool], rp_uuids: Sequence[str]) -> list[Pool]:
    """Keep pools of the allocated resource providers that still hold enough devices."""
    if not rp_uuids:
        return list(pools)
    wanted = collections.Counter(rp_uuids)
    return [
        pool
        for pool in pools
        if pool.get("rp_uuid") is not None
        and pool["rp_uuid"] in wanted
        and pool["count"] >= wanted[pool["rp_uuid"]]
    ]


def filter_live_migratable(pools: Sequence[Pool], request: PciRequest) -> list[Pool]:
    for value in ("true", "false"):
        if all(spec.get("live_migratable") == value for spec in request.spec):
            return [pool for pool in pools if pool.get("live_migratable") == value]
    return list(pools)


def filter_pools(
    pools: Sequence[Pool],
    request: PciRequest,
    numa_cells: Optional[Sequence[Any]],
    rp_uuids: Sequence[str],
    host_cells: Sequence[Any] = (),
) -> Optional[list[Pool]]:
    """The pools that can serve ``request``, or None when they hold too few devices."""
    pools = filter_for_spec(pools, request)
    if _total(pools) < request.count:
        return None
    pools = filter_for_numa_cells(pools, request, numa_cells, host_cells)
    if _total(pools) < request.count:
        return None
    pools = filter_unrequested_pfs(pools, request)
    if _total(pools) < request.count:
        return None
    pools = filter_unrequested_vdpa(pools, request)
    pools = filter_unrequested_remote_managed(pools, request)
    pools = filter_by_placement(pools, rp_uuids)
    pools = filter_live_migratable(pools, request)
    if _total(pools) < request.count:
        return None
    return pools


def remove_identical(items: list, item: Any) -> None:
    """``list.remove`` by identity: devices and pools are distinct objects in nova."""
    for i, candidate in enumerate(items):
        if candidate is item:
            del items[i]
            return
    raise ValueError("list.remove(x): x not in list")


def decrease_pool_count(pool_list: list[Pool], pool: Pool, count: int = 1) -> int:
    """Take ``count`` from ``pool``; return what is still wanted.

    nova drops a pool from the list once it would reach zero, without
    updating its count.
    """
    if pool["count"] > count:
        pool["count"] -= count
        return 0
    count -= pool["count"]
    remove_identical(pool_list, pool)
    return count


def apply_request(
    pools: list[Pool],
    request: PciRequest,
    rp_uuids: list[str],
    numa_cells: Optional[Sequence[Any]],
    host_cells: Sequence[Any] = (),
) -> bool:
    """Take one request from the pool counts, as the scheduler does; False if it cannot."""
    filtered = filter_pools(pools, request, numa_cells, rp_uuids, host_cells)
    if not filtered:
        return False
    if not rp_uuids:
        count = request.count
        for pool in filtered:
            count = decrease_pool_count(pools, pool, count)
            if not count:
                break
        return True
    if not one_pool_per_rp_uuid(pools):
        return False
    wanted = collections.Counter(rp_uuids)
    for pool in filtered:
        pool["count"] -= wanted[pool["rp_uuid"]]
        wanted.pop(pool["rp_uuid"], None)
        if pool["count"] == 0:
            remove_identical(pools, pool)
    return True


def rp_uuids_for_request(
    request: PciRequest, provider_mapping: Optional[Mapping[str, Sequence[str]]]
) -> list[str]:
    """The resource providers placement allocated this request from (one per device)."""
    if request.source == "neutron_port":
        return []  # port requests are not (yet) allocated in placement by nova
    if not provider_mapping:
        rp_uuids = request.spec[0].get("rp_uuids")
        return rp_uuids.split(",") if rp_uuids else []
    return [
        rps[0] for group, rps in provider_mapping.items() if group.startswith(request.request_id)
    ]


def one_pool_per_rp_uuid(pools: Sequence[Pool]) -> bool:
    """nova's sanity check: devices of one resource provider must sit in one pool."""
    seen: collections.Counter = collections.Counter(
        pool["rp_uuid"] for pool in pools if "rp_uuid" in pool
    )
    return all(n <= 1 for n in seen.values())
