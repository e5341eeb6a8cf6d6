"""Why a host cannot take a server's PCI requests: nova's filters replayed one at a time.

nova's answer is one line ("No valid host was found. There are not enough hosts
available.") and, at debug level, "PciPassthroughFilter: (host, node) fails". Here each
host gets the first step of ``_filter_pools`` that empties its pools, in words: no pool
with that physnet (and which physnets there are), a trusted/remote-managed/PF mismatch,
the pool exhausted (and who holds the VFs), or the NUMA policy.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Optional

from sriovctl.openstack.nova import PciRequest
from sriovctl.openstack.nova.filters import filter_for_spec, filter_unrequested_pfs
from sriovctl.twin.nova import ComputeNode

FIXES = MappingProxyType(
    {
        "compute-down": "fix the host's nova.conf (see the setup explanations) and restart "
        "nova-compute",
        "no-pools": "add a [pci] device_spec entry on the compute node that selects its VFs, "
        'e.g. {"address": "<PF address>", "physical_network": "<physnet>"}, and restart '
        "nova-compute",
        "physnet": "tag the VFs with the network's physnet in [pci] device_spec "
        '("physical_network": "<physnet>"), or create the network on a physnet the hosts offer',
        "tunnelled": "SR-IOV needs a flat or vlan provider network; create the port on one "
        "(vxlan/geneve ports can use VFs only with OVS hardware offload)",
        "trusted": 'add "trusted": "true" to the device_spec entry of the VFs (and restart '
        "nova-compute), or drop trusted from the port's binding profile",
        "remote-managed": "a remote-managed port needs VFs tagged remote_managed in device_spec "
        "(a SmartNIC/DPU); use vnic type direct for ordinary VFs",
        "pf": "direct-physical takes a whole PF: list the PF's own address in device_spec (it "
        "then also selects its VFs) and keep its VFs unused",
        "only-pfs": "device_spec selects PFs only; a direct/macvtap port needs VFs: create VFs "
        "(sriov_numvfs) and select them",
        "exhausted": "free VFs (delete servers/ports holding them), widen [pci] device_spec to "
        "more VFs, create more VFs, or add hosts",
        "numa": "set the port's or flavor's PCI NUMA policy to preferred "
        "(--numa-policy-preferred / hw:pci_numa_affinity_policy=preferred), or use VFs of a PF "
        "on the guest's NUMA node",
        "no-match": "compare the request spec with the pools in the evidence",
    }
)


@dataclass(frozen=True)
class Reason:
    code: str  # one of FIXES
    text: str
    evidence: tuple[str, ...] = ()


def _physnets(pools: Sequence[dict]) -> str:
    counts = Counter(str(p.get("physical_network")) for p in pools)
    return ", ".join(f"{k} ({n} pool{'s' * (n > 1)})" for k, n in counts.items()) or "none"


def _pool_line(node: ComputeNode, pool: dict) -> str:
    held = [
        (o, d)
        for o, d in node.in_use()
        if (d.get("parent_addr") or d.get("address")) == pool.get("address")
        and d.get("dev_type") == pool.get("dev_type")
    ]
    users = ", ".join(f"{d['address']} by {node.labels.get(o, o)}" for o, d in held[:4])
    return (
        f"{node.name}: pool {pool.get('dev_type')} {pool.get('vendor_id')}:"
        f"{pool.get('product_id')} of PF {pool.get('address')} physnet "
        f"{pool.get('physical_network')} NUMA {pool.get('numa_node')}: {pool['count']} free "
        f"of {pool['count'] + len(held)}" + (f"; in use: {users}" if users else "")
    )


def _spec_scope(node: ComputeNode, pool: dict) -> list[str]:
    """How much of the PF the device_spec offers: the guide's "only 2 of 7 VFs"."""
    setup = node.setup
    if setup is None:
        return []
    vfs = [v for v in setup.facts.vfs.values() if v.pf_address == pool.get("address")]
    offered = sum(
        1
        for d in node.devices
        if d.get("parent_addr") == pool.get("address")
        and node.stats.device_filter.get_devspec(d) is not None
    )
    if not vfs or offered >= len(vfs):
        return []
    lines = [f"{v.where}: {v.value}" for v in setup.device_spec.values]
    pf = vfs[0].pf_netdev or pool.get("address")
    return [f"[pci] device_spec offers {offered} of the {len(vfs)} VFs of {pf}", *lines]


def why_not(
    node: ComputeNode,
    requests: Sequence[PciRequest],
    guest_cells: int = 0,
    numa_filter: bool = False,
) -> Optional[Reason]:
    """The first reason ``node`` cannot serve ``requests``, or None if it can."""
    if not node.up:
        error = node.setup.compute_error if node.setup else "nova-compute is not running"
        return Reason("compute-down", f"nova-compute would not start: {error}")
    all_pools = list(node.stats.pools) + _empty_pools(node)
    for request in requests:
        reason = _spec_reason(node, request, all_pools)
        if reason:
            return reason
    if not node.stats.support_requests(list(requests)):
        pools = [p for r in requests for p in filter_for_spec(all_pools, r)]
        lines = [_pool_line(node, p) for p in pools]
        for pool in pools[:1]:
            lines += _spec_scope(node, pool)
        physnet = requests[0].spec[0].get("physical_network")
        free = sum(p["count"] for p in pools)
        text = f"pool exhausted: {free} free VF(s) on physnet {physnet}"
        if len(requests) > 1 or requests[0].count > 1:
            text += f", {sum(r.count for r in requests)} asked"
        return Reason("exhausted", text, tuple(lines))
    if guest_cells and numa_filter:
        from sriovctl.twin.scheduler import numa_fit

        if numa_fit(node, requests, guest_cells) is None:
            return numa_reason(node, requests, guest_cells)
    return None


def _empty_pools(node: ComputeNode) -> list[dict]:
    # The scheduler side drops a pool from the list once it is used up; to say "exhausted"
    # rather than "no pool", rebuild the keys of pools whose devices are all in use.
    seen = {(p.get("address"), p.get("dev_type")) for p in node.stats.pools}
    out = []
    for _, dev in node.in_use():
        key = (dev.get("parent_addr") or dev.get("address"), dev.get("dev_type"))
        if key in seen:
            continue
        seen.add(key)
        spec = node.stats.device_filter.get_devspec(dev)
        tags = spec.get_tags() if spec else {}
        out.append(
            {
                "address": key[0],
                "dev_type": key[1],
                "vendor_id": dev.get("vendor_id"),
                "product_id": dev.get("product_id"),
                "numa_node": dev.get("numa_node"),
                "remote_managed": "false",
                **tags,
                "count": 0,
            }
        )
    return out


def _spec_reason(node: ComputeNode, request: PciRequest, pools: list[dict]) -> Optional[Reason]:
    spec = request.spec[0] if request.spec else {}
    evidence = tuple(_pool_line(node, p) for p in pools[:8])
    if not pools:
        return Reason("no-pools", "no PCI pool: [pci] device_spec selects no device here")
    if filter_for_spec(pools, request):
        if not filter_unrequested_pfs(filter_for_spec(pools, request), request):
            return Reason("only-pfs", "only PF pools match and a VF was asked for", evidence)
        return None
    physnet = spec.get("physical_network")
    have = {str(p.get("physical_network")).lower() for p in pools}
    if physnet is None and "none" not in have:
        return Reason(
            "tunnelled",
            "the port's network has no physnet (vxlan/geneve), so "
            "nova asks for a device without physical_network; every pool here has "
            f"one: {_physnets(pools)}",
            evidence,
        )
    if physnet is not None and str(physnet).lower() not in have:
        return Reason(
            "physnet",
            f"no pool with physical_network {physnet} (pools here: {_physnets(pools)})",
            evidence,
        )
    same = [p for p in pools if str(p.get("physical_network")).lower() == str(physnet).lower()]
    if spec.get("dev_type") == "type-PF" and not any(p.get("dev_type") == "type-PF" for p in same):
        return Reason(
            "pf",
            f"direct-physical wants a whole PF on {physnet}, and device_spec offers only VFs there",
            evidence,
        )
    if "trusted" in spec:
        tagged = {str(p.get("trusted")).lower() for p in same}
        if str(spec["trusted"]).lower() not in tagged:
            return Reason(
                "trusted",
                f"the port asks for trusted={spec['trusted']} but the "
                f"{physnet} pools are tagged trusted={', '.join(sorted(tagged))}",
                evidence,
            )
    if str(spec.get("remote_managed")).lower() == "true":
        return Reason(
            "remote-managed",
            "a remote-managed port needs a pool tagged remote_managed=true",
            evidence,
        )
    return Reason("no-match", f"no pool matches {spec}", evidence)


def numa_reason(node: ComputeNode, requests: Sequence[PciRequest], guest_cells: int) -> Reason:
    request = requests[0]
    free = node.free_by_numa(request)
    where = ", ".join(f"node {k}: {v}" for k, v in sorted(free.items(), key=str)) or "none"
    policy = request.numa_policy or "legacy"
    return Reason(
        "numa",
        f"NUMA: the guest's {guest_cells} cell(s) and its VFs cannot share "
        f"host NUMA nodes under numa_policy {policy} (free VFs by node: {where}; "
        f"host cells: {node.numa_nodes})",
    )


def summarize(reasons: Sequence[tuple[str, Reason]], limit: int = 10) -> tuple[str, list[str]]:
    """The dominant reason code and per-host evidence lines, grouped when hosts are many."""
    by_code = Counter(r.code for _, r in reasons)
    code = by_code.most_common(1)[0][0] if by_code else "no-match"
    lines = [f"{host}: {r.text}" for host, r in reasons[:limit]]
    if len(reasons) > limit:
        lines.append("... " + ", ".join(f"{n} hosts: {c}" for c, n in by_code.most_common()))
    for _, r in reasons[:2]:
        lines += list(r.evidence[:4])
    return code, lines


def fix_for(code: str) -> str:
    return FIXES.get(code, FIXES["no-match"])
