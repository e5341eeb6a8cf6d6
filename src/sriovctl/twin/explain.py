"""``sriovctl explain "<error text>"``: what an SR-IOV error message means and what to do.

Each :class:`Pattern` recognizes the wording of one real message (kernel errno names and
strings, QEMU/vfio, nova, neutron), says what causes it and how to fix it, and names the
host facts worth reading (``--root``). Several patterns may match one pasted log line
(``MaxRetriesExceeded`` after a ``PortBindingFailed``); all are returned, most specific
first, i.e. in the order of :data:`PATTERNS`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional

from sriovctl.twin import explain_evidence as ev

SIMULATE = (
    "`sriovctl simulate --config <nova.conf, ml2_conf.ini> --host NAME=<snapshot> "
    "--host-config NAME=<sriov_agent.ini> --scenario <your openstack commands>` "
    "replays it and names the host, filter, pool or agent"
)


@dataclass(frozen=True)
class Pattern:
    id: str
    regex: str
    cause: str
    fix: str
    evidence: tuple = ()

    def search(self, text: str) -> Optional[dict[str, str]]:
        m = re.search(self.regex, text, re.I | re.S)
        if m is None:
            return None
        return {k: v for k, v in m.groupdict().items() if v is not None}


PATTERNS = (
    Pattern(
        "vfio.group-not-viable",
        r"(vfio (?P<address>[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]):? )?"
        r"group (?P<group>\d+) is not viable",
        "vfio hands a guest whole IOMMU groups only: another device in the VF's group is bound "
        "to a host driver, because no ACS isolates them (a PCIe switch or root port without "
        "ACS puts the PF and its VFs, or other cards, in one group)",
        "move the NIC to a slot under an ACS-capable root port (or update BIOS/firmware), then "
        "check that each VF has its own group: `sriovctl check --root ...`; the "
        "pcie_acs_override patch only hides the risk",
        (ev.group, ev.findings(("acs.",))),
    ),
    Pattern(
        "vfio.no-iommu",
        r"no iommu_group found|failed to setup container|VFIO_MAP_DMA",
        "the IOMMU is off (or the device has no group): vfio cannot isolate the VF",
        "boot with intel_iommu=on iommu=pt (amd_iommu=on on AMD) and enable VT-d/AMD-Vi in "
        "the BIOS; `sriovctl kernel` sets the arguments",
        (ev.kernel, ev.findings(("iommu.",))),
    ),
    Pattern(
        "vf.not-trusted",
        r"(VF \d+ )?is not trusted|not trusted, switch the VF|trust(ed)? off",
        "the PF driver (i40e, ice, ixgbe...) refused something the guest asked of an untrusted "
        "VF: promiscuous or all-multicast mode, more MAC or VLAN filters, changing its MAC",
        "make the VF trusted through OpenStack: tag the VFs in [pci] device_spec with "
        '"trusted": "true", restart nova-compute, and create the port with --binding-profile '
        "trusted=true; nova then runs `ip link set <PF> vf <N> trust on`",
        (ev.trust,),
    ),
    Pattern(
        "neutron.binding-failed",
        r"PortBindingFailed|Binding failed for port|binding_failed",
        "no mechanism driver bound the port on its host; for an SR-IOV port sriovnicswitch "
        "needs: an alive NIC Switch agent registered under the same host name as nova-compute, "
        "the network's physnet in that agent's physical_device_mappings, a flat or vlan segment "
        "(not vxlan/geneve), a vnic type not in vnic_type_prohibit_list, and sriovnicswitch in "
        "[ml2] mechanism_drivers. neutron logs only 'Failed to bind port ... for vnic_type "
        "direct using segments [...]'",
        "check `openstack network agent list --agent-type nic --host <host>` (alive :-)), the "
        "network's type/physnet (`openstack network show <net> -c provider:network_type -c "
        "provider:physical_network`) against physical_device_mappings; " + SIMULATE,
        (ev.pfs,),
    ),
    Pattern(
        "nova.pci-request-failed",
        r"PCI device request (?P<request>.*?) failed",
        "at claim time the compute node had no free device matching the request spec "
        "(physical_network, trusted, remote_managed, dev_type): the scheduler let it through "
        "because PciPassthroughFilter is not enabled, or another build took the last VF first",
        "add PciPassthroughFilter to [filter_scheduler] enabled_filters; make the device_spec "
        "tags match the request spec shown in the message; " + SIMULATE,
        (ev.pfs,),
    ),
    Pattern(
        "nova.max-retries",
        r"Exceeded maximum number of retries|MaxRetriesExceeded",
        "every host the scheduler offered failed to build the server (the scheduler picked "
        "them, compute then failed): the real error is in each host's nova-compute log, "
        "usually PortBindingFailed, a PCI claim failure or a libvirt/vfio error",
        "grep nova-compute.log on the tried hosts for the instance id and explain that line; "
        + SIMULATE,
    ),
    Pattern(
        "nova.no-valid-host",
        r"No valid host was found",
        "the scheduler's filters rejected every host; for SR-IOV ports: PciPassthroughFilter "
        "found no host whose pools (from [pci] device_spec) have a free VF on the network's "
        "physnet (physnet name mismatch, device_spec selecting no VF, all VFs in use, a "
        "trusted=true port and untagged VFs), or the NUMA policy forbids the free ones",
        "compare the network's physnet with device_spec's physical_network on the hosts and "
        "count free VFs; " + SIMULATE,
        (ev.pfs, ev.numa),
    ),
    Pattern(
        "nova.vif-plug-timeout",
        r"network-vif-plugged|VirtualInterfaceCreateException|"
        r"Failed to allocate the network",
        "nova waited vif_plugging_timeout for neutron to report the port up and it never did: "
        "the SR-IOV agent on the host does not watch that VF (the physnet is mapped to another "
        "PF, the VF is in exclude_devices, the agent is down) or the VF's MAC was not set",
        "make physical_device_mappings name the PF whose VFs device_spec offers, keep those VFs "
        "out of exclude_devices, and check the agent is alive",
        (ev.pfs,),
    ),
    Pattern(
        "neutron.ip-exhausted",
        r"No more IP addresses available on network",
        "the subnet's allocation pool is used up: every port takes an address at creation, "
        "before nova is involved",
        "widen --allocation-pool (openstack subnet set --allocation-pool start=,end=), delete "
        "unused ports, or add a subnet",
    ),
    Pattern(
        "neutron.physnet-unknown",
        r"physical_network '(?P<physnet>[^']+)' unknown for "
        r"(?P<kind>VLAN|flat) provider network",
        "neutron-server accepts a VLAN provider network only on a physnet listed in "
        "[ml2_type_vlan] network_vlan_ranges (flat: [ml2_type_flat] flat_networks)",
        "add the physnet to network_vlan_ranges in ml2_conf.ini and restart neutron-server; use "
        "the same name as physical_device_mappings and device_spec",
    ),
    Pattern(
        "neutron.vlan-in-use",
        r"The VLAN (?P<vlan>\d+) on physical network (?P<physnet>\S+) "
        r"is in use",
        "another network already has this VLAN on this physnet",
        "pick a free VLAN, or reuse that network (`openstack network list --long`)",
    ),
    Pattern(
        "numvfs.busy",
        r"EBUSY|Device or resource busy",
        "sriov_numvfs only changes through 0: VFs already exist, or a VF is in use (bound to "
        "vfio-pci for a guest) so the driver cannot remove them; from vfio (/dev/vfio/N), the "
        "VF's group is already open by another guest",
        "echo 0 > /sys/class/net/<PF>/device/sriov_numvfs, then the new count; if writing 0 "
        "fails too, stop or detach the guests that hold VFs (`sriovctl vfs` does this safely)",
        (ev.pfs, ev.vfio_vfs),
    ),
    Pattern(
        "numvfs.nomem",
        r"ENOMEM|Cannot allocate memory",
        "the kernel found no PCI address space (BARs) for the VFs: SR-IOV or 'Above 4G "
        "decoding' is off in the BIOS, or the firmware left too little MMIO room",
        "enable SR-IOV and Above 4G decoding in the BIOS, or boot with pci=realloc",
        (ev.pfs, ev.kernel),
    ),
    Pattern(
        "numvfs.nospc",
        r"ENOSPC|No space left on device",
        "no MSI-X interrupt vectors left for the VFs (too many queues or VFs on the PF)",
        "ask for fewer VFs, or free vectors: fewer PF queues (ethtool -L), RDMA off",
        (ev.pfs,),
    ),
    Pattern(
        "numvfs.range",
        r"ERANGE|Numerical result out of range",
        "more VFs were asked than the PF offers (sriov_totalvfs)",
        "ask for at most sriov_totalvfs VFs",
        (ev.pfs,),
    ),
    Pattern(
        "vf.not-supported",
        r"EOPNOTSUPP|Operation not supported",
        "the PF driver does not implement this VF setting (igb: link state; igb/ixgbe/i40e: "
        "min_tx_rate)",
        "leave the setting out; for the SR-IOV agent the link-state refusal is harmless (it "
        "logs 'does not support state change' and carries on)",
        (ev.pfs,),
    ),
    Pattern(
        "nova.device-spec-invalid",
        r"Invalid \[pci\] ?(device_spec|passthrough_whitelist) "
        r"config|Invalid PCI Whitelist",
        "nova-compute cannot parse a [pci] device_spec entry and does not start",
        "each value must be one JSON dict or list; `sriovctl openstack lint` shows the entry",
    ),
)


def explain(text: str, host: Any = None) -> list[dict[str, Any]]:
    """Every pattern the text matches: id, cause, fix and, with a host, its evidence."""
    out = []
    for pattern in PATTERNS:
        found = pattern.search(text)
        if found is None:
            continue
        spec = re.search(r"spec=(\[\{.*?\}\])", found.get("request", ""))
        if spec:
            found = {"spec": spec.group(1)}
        out.append(
            {
                "id": pattern.id,
                "matched": found or None,
                "cause": pattern.cause,
                "evidence": ev.gather(host, pattern.evidence, found),
                "fix": pattern.fix,
            }
        )
    return out


def known_ids() -> list[str]:
    return [p.id for p in PATTERNS]
