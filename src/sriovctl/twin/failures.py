"""Explanations of the failures a server or port meets, worded for the operator.

Each builder takes what the model decided (a Binding, per-host reasons, a VF and its
IOMMU finding) and returns an :class:`Explanation` with what OpenStack prints, the real
cause, the evidence and the fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType
from typing import Optional

from sriovctl.openstack.neutron import Binding
from sriovctl.twin.cloud import Cloud
from sriovctl.twin.diagnose import Reason, fix_for, summarize
from sriovctl.twin.explanation import Explanation
from sriovctl.twin.neutron import Port

NO_VALID_HOST = "No valid host was found. There are not enough hosts available."
MAX_RETRIES = (
    "Exceeded maximum number of retries. Exhausted all hosts available for retrying "
    "build failures for instance {id}."
)


def no_valid_host(
    cloud: Cloud, reasons: Sequence[tuple[str, Reason]], server: str, line: Optional[int] = None
) -> Explanation:
    code, evidence = summarize(reasons)
    if not reasons:
        cause = "no nova-compute service is up: no host can be chosen"
        code = "compute-down"
    elif len(reasons) == 1:
        cause = f"PciPassthroughFilter rejects the only host, {reasons[0][0]}: {reasons[0][1].text}"
    else:
        cause = (
            f"PciPassthroughFilter rejects all {len(reasons)} hosts; the commonest reason: "
            + next(r.text for _, r in reasons if r.code == code)
        )
    return Explanation(
        "nova.no-valid-host",
        "error",
        cause,
        fix_for(code),
        NO_VALID_HOST,
        line,
        None,
        server,
        tuple(evidence),
    )


_BINDING_FIXES = MappingProxyType(
    {
        "no_agent": "run neutron-sriov-nic-agent on {host} with [sriov_nic] "
        "physical_device_mappings = {physnet}:<PF netdev>, and make its [DEFAULT] host equal "
        "nova-compute's host name",
        "agent_dead": "restart it (systemctl restart neutron-sriov-nic-agent) and read its log; "
        "`openstack network agent list --agent-type nic` must show it alive (:-))",
        "physnet_not_mapped": "add {physnet}:<PF netdev> to [sriov_nic] physical_device_mappings "
        "in sriov_agent.ini on {host} and restart neutron-sriov-nic-agent",
        "segment_type_unsupported": "SR-IOV does not support vxlan (as the guide says): create the "
        "SR-IOV network as a VLAN or flat provider network (--provider-network-type vlan "
        "--provider-physical-network {physnet_hint} --provider-segment <id>)",
        "vnic_type_prohibited": "remove {vnic} from [sriov_driver] vnic_type_prohibit_list in "
        "ml2_conf.ini and restart neutron-server, or use another vnic type",
        "vnic_type_unsupported": "sriovnicswitch binds direct, macvtap, direct-physical and "
        "accelerator-direct; use --vnic-type direct",
        "switchdev_direct": "this port is for OVS hardware offload; drop capabilities=switchdev "
        "from the binding profile for a plain SR-IOV port",
        "no_segment": "the port's fixed IPs are on subnets of another segment; create the port on "
        "the segment the host is on",
        "no_sriov_driver": "[ml2] mechanism_drivers = openvswitch,sriovnicswitch, then restart "
        "neutron-server",
        "no_driver": "no mechanism driver binds a {vnic} port here; add openvswitch (or the driver "
        "for this vnic type) to [ml2] mechanism_drivers",
    }
)


def binding_failed(
    cloud: Cloud, port: Port, binding: Binding, host: str, line: Optional[int] = None
) -> Explanation:
    network = cloud.neutron.networks[port.network_id]
    seg = network.segment
    reason = binding.reason or "no_driver"
    agents = cloud.neutron.agents_on(host)
    evidence = [
        f"network {network.name}: {seg.network_type} physnet {seg.physical_network} "
        f"segment {seg.segmentation_id}"
    ]
    evidence += [
        f"agent {a.id} on {a.host}: {'alive' if a.alive else 'dead'}, device_mappings "
        f"{a.configurations.get('device_mappings')}"
        for a in agents
    ]
    cause = f"sriovnicswitch did not bind port {port.name or port.id} on {host}: {binding.detail}"
    node = cloud.node(host)
    setup = node.setup if node else None
    if reason == "no_agent" and setup is not None and setup.agent is not None:
        if setup.agent.host != host:
            cause += (
                f"; the agent on this machine registers as host {setup.agent.host!r} "
                f"([DEFAULT] host in {', '.join(setup.agent.files)}), not {host!r}"
            )
    if reason == "physnet_not_mapped" and setup is not None and setup.agent is not None:
        evidence.append(
            f"{setup.agent.mappings_where}: physical_device_mappings = "
            f"{dict(setup.agent.device_mappings)}"
        )
    where = cloud.deployment.ml2.where.get("vnic_type_prohibit_list")
    if reason == "vnic_type_prohibited" and where:
        evidence.append(
            f"{where}: vnic_type_prohibit_list = "
            f"{','.join(cloud.deployment.ml2.prohibited_vnic_types)}"
        )
    physnets = sorted(
        {p for h in cloud.deployment.hosts if h.agent for p in h.agent.device_mappings}
    )
    fix = _BINDING_FIXES.get(reason, "see the cause").format(
        host=host,
        physnet=seg.physical_network or "<physnet>",
        vnic=port.vnic_type,
        physnet_hint=physnets[0] if physnets else "<physnet>",
    )
    error = f"Binding failed for port {port.id}, please check neutron logs for more information."
    return Explanation(
        "neutron.binding-failed",
        "error",
        cause,
        fix,
        error,
        line,
        host,
        port.name or port.id,
        tuple(evidence),
    )


def spawn_failure(
    cloud: Cloud, host: str, address: str, attach: bool = False, line: Optional[int] = None
) -> Optional[Explanation]:
    """vfio refusing the VF: the IOMMU is off, or the VF's group is not viable."""
    node = cloud.node(host)
    facts = node.setup.facts if node is not None and node.setup is not None else None
    if facts is None:
        return None
    prefix = (
        "attaching network adapter failed.: libvirt.libvirtError: internal error: unable "
        "to execute QEMU command 'device_add': "
        if attach
        else "libvirt.libvirtError: internal error: qemu unexpectedly closed the monitor: "
    )
    if not facts.iommu_active:
        return Explanation(
            "host.iommu-off",
            "error",
            f"the IOMMU is off on {host}: vfio cannot take VF {address}",
            "boot with intel_iommu=on iommu=pt (amd_iommu=on on AMD), VT-d/AMD-Vi on in the BIOS",
            prefix + f"vfio {address}: no iommu_group found: Invalid argument",
            line,
            host,
            address,
            (f"{facts.source}: no IOMMU groups",),
        )
    finding = facts.group_blocks(address)
    if finding is None:
        return None
    vf = facts.vfs.get(address)
    group = vf.iommu_group if vf else None
    return Explanation(
        "host.group-not-viable",
        "error",
        finding.message,
        finding.fix,
        prefix
        + f"vfio {address}: group {group} is not viable"
        + (
            ""
            if attach
            else ". Please ensure all devices within the iommu_group are bound "
            "to their vfio bus driver."
        ),
        line,
        host,
        address,
        finding.evidence,
    )


def vf_not_managed(
    cloud: Cloud,
    port: Port,
    host: str,
    address: str,
    physnet: Optional[str],
    fatal: bool,
    timeout: int,
    line: Optional[int] = None,
) -> Explanation:
    node = cloud.node(host)
    agent = node.setup.agent if node is not None and node.setup is not None else None
    vf = node.setup.facts.vfs.get(address) if node is not None and node.setup else None
    pf = vf.pf_netdev if vf else "?"
    mapped = dict(agent.device_mappings) if agent else {}
    excluded = agent is not None and address in agent.exclude_devices.get(pf or "", ())
    why = (
        f"{pf} lists it in exclude_devices"
        if excluded
        else f"the agent manages {mapped.get(physnet, [])} for {physnet}, not {pf}"
    )
    outcome = (
        "nova waits vif_plugging_timeout ({t} s) for network-vif-plugged and then aborts the build"
        if fatal
        else "the server goes ACTIVE with a port that stays DOWN and passes no traffic"
    ).format(t=timeout)
    error = (
        "Build of instance aborted: Failed to allocate the network(s), not rescheduling."
        if fatal
        else None
    )
    return Explanation(
        "agent.vf-not-managed",
        "error",
        f"port {port.name or port.id} is bound on {host} and "
        f"got VF {address} of {pf}, but {why}: the agent never sees the VF, never reports the "
        f"port up; {outcome}",
        f"physical_device_mappings = {physnet}:{pf} on {host} (and keep the VF out of "
        "exclude_devices), or narrow [pci] device_spec to the mapped PF's VFs",
        error,
        line,
        host,
        port.name or port.id,
        (f"{agent.mappings_where if agent else 'sriov_agent.ini'}: device_mappings {mapped}",),
    )


def max_retries(server, hosts: int, line: Optional[int]) -> Explanation:
    """Every host the scheduler offered failed to build the server."""
    return Explanation(
        "nova.max-retries",
        "error",
        f"the scheduler found {hosts} host(s) and each failed to "
        "build it: " + "; ".join(server.attempts),
        "fix the first failure below; nova only reschedules to the alternates it was given "
        "([scheduler] max_attempts)",
        server.fault,
        line,
        None,
        server.name,
        tuple(server.attempts),
    )


def rescheduled(server, host: str, line: Optional[int]) -> list[Explanation]:
    """The server runs, but only after failed builds elsewhere."""
    return [
        Explanation(
            "nova.rescheduled",
            "warning",
            f"{server.name} runs on {host} only after "
            f"{len(server.attempts)} failed build(s): " + "; ".join(server.attempts),
            "fix the hosts that failed (see the next explanations); every reschedule costs a "
            "build attempt and max_attempts may run out",
            None,
            line,
            host,
            server.name,
            tuple(server.attempts),
        )
    ]
