"""How many more ``direct`` ports fit, per host, physnet and NUMA node.

"Free" is what nova would still hand out: the VFs a ``direct`` port's PCI request matches
(:func:`~sriovctl.openstack.nova.request_for_port`, then the same pool filters nova runs),
grouped by the pools' NUMA node. "Usable" is the part of it that would also work: the
host's NIC Switch agent is alive and maps the physnet to the VF's PF, the VF is not in
``exclude_devices``, and vfio accepts its IOMMU group.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Optional

from sriovctl.openstack.nova import request_for_port
from sriovctl.twin.cloud import Cloud
from sriovctl.twin.nova import ComputeNode

COLUMNS = ["Host", "Physnet", "NUMA", "Free VFs", "Usable", "Why not usable"]


def physnets_of(cloud: Cloud) -> list[str]:
    found: dict[str, None] = {}
    for node in cloud.nodes:
        for pool in node.stats.pools if node.stats is not None else ():
            if pool.get("dev_type") == "type-VF" and pool.get("physical_network") is not None:
                found.setdefault(str(pool["physical_network"]), None)
    return list(found)


def capacity(cloud: Cloud, physnets: Optional[Iterable[str]] = None) -> list[dict[str, Any]]:
    """One row per host, physnet and NUMA node, then a total per physnet (Host ``TOTAL``)."""
    rows: list[dict[str, Any]] = []
    totals: dict[str, list[int]] = {}
    for physnet in list(physnets or physnets_of(cloud)):
        request = request_for_port("direct", physnet)
        total = totals.setdefault(physnet, [0, 0])
        for node in cloud.nodes:
            for numa, (free, usable, why) in _node_capacity(cloud, node, request, physnet).items():
                rows.append(
                    {
                        "Host": node.name,
                        "Physnet": physnet,
                        "NUMA": numa,
                        "Free VFs": free,
                        "Usable": usable,
                        "Why not usable": why,
                    }
                )
                total[0] += free
                total[1] += usable
    for physnet, (free, usable) in totals.items():
        rows.append(
            {
                "Host": "TOTAL",
                "Physnet": physnet,
                "NUMA": None,
                "Free VFs": free,
                "Usable": usable,
                "Why not usable": None,
            }
        )
    return rows


def _node_capacity(cloud: Cloud, node: ComputeNode, request, physnet: str) -> dict:
    out: dict[Any, list] = {}
    if not node.up:
        return out
    agents = [a for a in cloud.neutron.agents_on(node.name) if a.alive]
    mapped = {dev for a in agents for dev in a.configurations["device_mappings"].get(physnet, [])}
    setup = node.setup
    for pool in node.candidate_pools(request):
        numa = pool.get("numa_node")
        entry = out.setdefault(numa, [0, 0, set()])
        entry[0] += pool["count"]
        pf = pool.get("parent_ifname")
        if not agents:
            entry[2].add("no alive NIC Switch agent")
            continue
        if pf is not None and pf not in mapped:
            entry[2].add(f"the agent does not map {physnet} to {pf}")
            continue
        if setup is None:
            entry[1] += pool["count"]
            continue
        for dev in pool["devices"]:
            why = _device_problem(setup, dev, pf)
            if why:
                entry[2].add(why)
            else:
                entry[1] += 1
    return {
        numa: (free, usable, "; ".join(sorted(why)) or None)
        for numa, (free, usable, why) in out.items()
    }


def _device_problem(setup: Any, dev: dict, pf: Optional[str]) -> Optional[str]:
    facts, agent = setup.facts, setup.agent
    if agent is not None and dev["address"] in agent.exclude_devices.get(pf or "", ()):
        return f"in exclude_devices of {pf}"
    if not facts.iommu_active:
        return "IOMMU off"
    if facts.group_blocks(dev["address"]) is not None:
        return "IOMMU group not viable"
    return None
