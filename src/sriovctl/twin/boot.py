"""Booting a server with SR-IOV ports, and attaching/detaching them (nova API, conductor,
compute), in nova's order:

1. nova-api turns each SR-IOV port into a PCI request (``request_for_port``: the
   network's physnet, ``trusted`` from the binding profile, the NUMA policy);
2. the scheduler picks a host and alternates (:mod:`sriovctl.twin.scheduler`);
3. nova-compute claims the devices (NUMA fit, ``consume_requests``), asks neutron to bind
   each port with ``pci_slot``/``pci_vendor_info``/``physical_network`` in its profile,
   and spawns the guest (vfio must accept the VF's IOMMU group);
4. a failure in 3 reschedules to the next alternate; when they are used up the server
   ends in ERROR with MaxRetriesExceeded; a VF the SR-IOV agent does not manage aborts the
   build after vif_plugging_timeout.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Optional

from sriovctl.openstack.nova import NovaPciError, PciRequest, request_for_port
from sriovctl.twin import failures
from sriovctl.twin.cloud import Cloud, Server
from sriovctl.twin.diagnose import why_not
from sriovctl.twin.explanation import Explanation, nova_error
from sriovctl.twin.neutron import Network, Port
from sriovctl.twin.nova import ComputeNode
from sriovctl.twin.scheduler import guest_numa_cells, numa_fit

TUNNEL_TYPES = ("vxlan", "gre", "geneve")
CLAIM_FAILED = "Insufficient compute resources: Claim pci failed."
NUMA_FAILED = (
    "Insufficient compute resources: Requested instance NUMA topology together with "
    "requested PCI devices cannot fit the given host NUMA topology."
)
VFIO_VNIC_TYPES = ("direct", "direct-physical")  # macvtap uses the VF's netdev, not vfio


@dataclass
class Failure:
    """One host's build failing: what nova logs, whether it reschedules, and why.

    ``fatal`` False: the server still goes ACTIVE (a port that never comes up when
    vif_plugging_is_fatal is off).
    """

    host: str
    error: str
    explanation: Explanation
    reschedule: bool = True
    fatal: bool = True


def physnet_for(network: Network) -> Optional[str]:
    """nova's ``_get_physnet_tunneled_info``: tunnelled networks have no physnet."""
    if len(network.segments) == 1 and network.segment.network_type in TUNNEL_TYPES:
        return None
    return network.physnet


def pci_request(cloud: Cloud, port: Port, flavor_policy: Optional[str]) -> Optional[PciRequest]:
    network = cloud.neutron.networks[port.network_id]
    request = request_for_port(
        port.vnic_type,
        physnet_for(network),
        trusted=port.profile.get("trusted"),
        numa_policy=port.numa_policy or flavor_policy,
        port_id=port.id,
    )
    if request is None:
        return None
    # A stable request id, so the same scenario prints the same nova messages.
    kwargs = {"numa_policy": request.numa_policy} if request.is_set("numa_policy") else {}
    return PciRequest(
        1, request.spec, request_id=cloud.ids.new("request"), requester_id=port.id, **kwargs
    )


def check_free(port: Port) -> None:
    if port.device_id:
        raise nova_error(f"Port {port.id} is still in use.", 409)


def create_server(
    cloud: Cloud,
    server: Server,
    ports: Sequence[Port],
    only: Optional[ComputeNode] = None,
    forced: bool = False,
    line: Optional[int] = None,
) -> list[Explanation]:
    """Schedule and build; returns the explanations (the server's status says how it ended)."""
    policy = server.flavor.properties.get("hw:pci_numa_affinity_policy")
    pairs = [(p, pci_request(cloud, p, policy)) for p in ports]
    requests = [r for _, r in pairs if r is not None]
    cells = guest_numa_cells(server.flavor.properties)
    hosts = cloud.scheduler.candidates(requests, cells, only, forced)
    first = next(hosts, None)
    server.port_ids = [p.id for p in ports]
    if first is None:
        candidates = [only] if only is not None else cloud.nodes
        reasons = [
            (n.name, r)
            for n in candidates[:1000]
            if (r := why_not(n, requests, cells, cloud.deployment.numa_filter))
        ]
        server.status, server.fault = "ERROR", failures.NO_VALID_HOST
        return [failures.no_valid_host(cloud, reasons, server.name, line)]
    tried: list[Failure] = []
    for node, fitted in itertools.chain([first], hosts):
        failure = build_on(cloud, server, node, pairs, cells, line, fitted)
        if failure is None or not failure.fatal:
            notes = [failure.explanation] if failure else []
            if tried:
                notes += failures.rescheduled(server, node.name, line)
                notes += [replace(f.explanation, severity="warning") for f in tried]  # it runs
            return notes
        tried.append(failure)
        server.attempts.append(f"{failure.host}: {failure.error}")
        if not failure.reschedule:
            server.status = "ERROR"
            server.fault = f"Build of instance {server.id} aborted: {failure.error}"
            return [failure.explanation]
    server.status = "ERROR"
    if cloud.deployment.max_attempts == 1:
        server.fault = tried[-1].error
        return [tried[-1].explanation]
    server.fault = failures.MAX_RETRIES.format(id=server.id)
    return [failures.max_retries(server, len(tried), line)] + [f.explanation for f in tried]


def build_on(
    cloud: Cloud,
    server: Server,
    node: ComputeNode,
    pairs: Sequence[tuple[Port, Optional[PciRequest]]],
    cells: int,
    line: Optional[int],
    fitted: Optional[list[dict]] = None,
) -> Optional[Failure]:
    """Claim, bind and spawn on one host; a fatal failure gives everything back.

    ``fitted`` are the host NUMA cells the scheduler's NUMA filter chose, if it ran: the
    compute's own fit comes to the same answer on the same pools, so it is not redone.
    """
    failure = (
        claim_on(cloud, node, pairs, cells, line, server, fitted)
        or bind_on(cloud, node, pairs, line)
        or spawn_on(cloud, node, pairs, line)
    )
    if failure is not None and failure.fatal:
        give_back(cloud, node, pairs)
        return failure
    down = failure.explanation.subject if failure is not None else None
    for port, _ in pairs:
        port.device_id, port.device_owner = server.id, "compute:nova"
        if (port.name or port.id) != down:
            port.status = "ACTIVE"  # the agent saw the VF with the port's MAC and reported up
    server.node, server.status = node, "ACTIVE"
    return failure


def claim_on(
    cloud: Cloud,
    node: ComputeNode,
    pairs,
    cells: int,
    line,
    server: Server,
    fitted: Optional[list[dict]] = None,
):
    requests = [r for _, r in pairs if r is not None]
    chosen = server.numa_cells  # an attach claims on the cells the server already has
    if cells:
        chosen = fitted or numa_fit(node, requests, cells)
        if chosen is None:
            from sriovctl.twin.diagnose import numa_reason

            reason = numa_reason(node, requests, cells)
            return Failure(
                node.name,
                NUMA_FAILED,
                Explanation(
                    "nova.numa",
                    "error",
                    reason.text,
                    "see the fix of nova.no-valid-host",
                    NUMA_FAILED,
                    line,
                    node.name,
                    server.name,
                ),
            )
        server.numa_cells = chosen
    for port, request in pairs:
        if request is None:
            continue
        try:
            devices = node.claim(port.id, [request], chosen)
        except NovaPciError as e:
            reason = why_not(node, [request], 0)
            text = reason.text if reason else "the pools changed since scheduling"
            give_back(cloud, node, pairs)
            return Failure(
                node.name,
                CLAIM_FAILED,
                Explanation(
                    "nova.pci-claim-failed",
                    "error",
                    f"{node.name} accepted the server but its PCI claim failed: {text}",
                    "add PciPassthroughFilter to enabled_filters so "
                    "the scheduler only picks hosts with a free VF"
                    if not cloud.deployment.pci_filter
                    else "see nova.no-valid-host",
                    f"{CLAIM_FAILED} ({e.message})",
                    line,
                    node.name,
                    port.name or port.id,
                    reason.evidence if reason else (),
                ),
            )
        cloud.vfs[port.id] = (node, devices[0])
        node.labels[port.id] = f"port {port.name or port.id} of server {server.name}"
    return None


def bind_on(cloud: Cloud, node: ComputeNode, pairs, line) -> Optional[Failure]:
    for port, request in pairs:
        profile = dict(port.profile)
        if request is not None and port.id in cloud.vfs:
            dev = cloud.vfs[port.id][1]
            profile.update(
                {
                    "pci_vendor_info": f"{dev['vendor_id']}:{dev['product_id']}",
                    "pci_slot": dev["address"],
                    "physical_network": request.spec[0].get("physical_network"),
                }
            )
        binding = cloud.neutron.bind(port, node.name, profile)
        if not binding.bound:
            explanation = failures.binding_failed(cloud, port, binding, node.name, line)
            return Failure(node.name, explanation.error or "binding failed", explanation)
    return None


def spawn_on(
    cloud: Cloud, node: ComputeNode, pairs, line, attach: bool = False
) -> Optional[Failure]:
    setup = node.setup
    for port, request in pairs:
        if request is None or port.id not in cloud.vfs:
            continue
        address = cloud.vfs[port.id][1]["address"]
        if port.vnic_type in VFIO_VNIC_TYPES:
            explanation = failures.spawn_failure(cloud, node.name, address, attach, line)
            if explanation is not None:
                return Failure(node.name, explanation.error or "spawn failed", explanation)
        if setup is None or port.vif_type != "hw_veb" or managed_by_agent(setup, address, request):
            continue
        fatal = setup.vif_plugging_is_fatal
        explanation = failures.vf_not_managed(
            cloud,
            port,
            node.name,
            address,
            request.spec[0].get("physical_network"),
            fatal,
            setup.vif_plugging_timeout,
            line,
        )
        port.status = "DOWN"
        return Failure(
            node.name,
            "Failed to allocate the network(s), not rescheduling.",
            explanation,
            reschedule=False,
            fatal=fatal,
        )
    return None


def managed_by_agent(setup, address: str, request: PciRequest) -> bool:
    """Does the host's SR-IOV agent watch this VF (its PF mapped to the physnet, not excluded)?"""
    agent, vf = setup.agent, setup.facts.vfs.get(address)
    if agent is None or vf is None:
        return True  # without the facts, assume what the binding implied
    physnet = request.spec[0].get("physical_network")
    mapped = vf.pf_netdev in agent.device_mappings.get(physnet, [])
    return mapped and address not in agent.exclude_devices.get(vf.pf_netdev or "", ())


def give_back(cloud: Cloud, node: ComputeNode, pairs) -> None:
    released = False
    for port, _ in pairs:
        if node.release(port.id):
            released = True
        cloud.vfs.pop(port.id, None)
        if port.host:
            cloud.neutron.unbind(port)
    if released:
        cloud.scheduler.released(node)


def release_port(cloud: Cloud, port: Port) -> None:
    """Take the port off its server's host: free the VF, clear the binding."""
    node, _ = cloud.vfs.pop(port.id, (None, None))
    if node is not None and node.release(port.id):
        cloud.scheduler.released(node)
    cloud.neutron.unbind(port)
