"""Each failure class the twin explains, with the explanation's words checked."""

from __future__ import annotations

from twin_helpers import GUIDE, GUIDE_NET, explanation, ids

SCHED = str(GUIDE / "nova-scheduler.conf")
COMPUTE = str(GUIDE / "nova-compute.conf")
ML2 = str(GUIDE / "ml2_conf.ini")
AGENT = str(GUIDE / "sriov_agent.ini")
BOOT = (
    "openstack port create --network sriov-net --vnic-type direct p1\n"
    "openstack server create --flavor m1.large --image img --nic port-id=p1 s1\n"
)


def configs(write, *, ml2=None, agent=None, compute=None, sched=None):
    files = [compute or COMPUTE, sched or SCHED]
    files.append(write("ml2_conf.ini", ml2) if ml2 else ML2)
    if agent != "":
        files.append(write("sriov_agent.ini", agent) if agent else AGENT)
    return files


# -- No valid host -------------------------------------------------------------------------


def test_no_pool_with_the_networks_physnet(simulate, write):
    ml2 = (
        "[ml2]\nmechanism_drivers = openvswitch,sriovnicswitch\n"
        "[ml2_type_vlan]\nnetwork_vlan_ranges = sriovnet1,sriovnet2\n"
    )
    report = simulate(
        GUIDE_NET.replace("sriovnet1", "sriovnet2") + BOOT, configs=configs(write, ml2=ml2)
    )
    assert report.steps[-1].error.startswith("No valid host was found.")
    why = explanation(report, "nova.no-valid-host")
    assert "no pool with physical_network sriovnet2 (pools here: sriovnet1 (1 pool))" in why.cause
    assert '"physical_network": "<physnet>"' in why.fix


def test_unknown_physnet_is_refused_by_neutron_first(simulate):
    report = simulate(GUIDE_NET.replace("sriovnet1", "sriovnet9"))
    assert report.steps[0].error == (
        "BadRequestException: 400, Invalid input for operation: physical_network 'sriovnet9' "
        "unknown for VLAN provider network."
    )
    why = explanation(report, "neutron.physnet-unknown")
    assert "ml2_conf.ini:6: network_vlan_ranges = sriovnet1" in why.evidence[0]


NUMA_SPEC = (
    '[pci]\ndevice_spec = {"address": "0000:3b:00.0", "physical_network": "physA"}\n'
    'device_spec = {"address": "0000:5b:00.0", "physical_network": "physB"}\n'
)
NUMA_AGENT = "[sriov_nic]\nphysical_device_mappings = physA:ens1f0,physB:ens3f0\n"
NUMA_ML2 = (
    "[ml2]\nmechanism_drivers = sriovnicswitch\n[ml2_type_vlan]\n"
    "network_vlan_ranges = physA,physB\n"
)
NUMA_SCENARIO = """
openstack flavor create --vcpus 4 --ram 4096 --property hw:numa_nodes=1 pinned
openstack network create --provider-network-type vlan --provider-physical-network physA \\
  --provider-segment 10 netA
openstack network create --provider-network-type vlan --provider-physical-network physB \\
  --provider-segment 20 netB
openstack port create --network netA --vnic-type direct --numa-policy-{policy} pa
openstack port create --network netB --vnic-type direct --numa-policy-{policy} pb
openstack server create --flavor pinned --image img --nic port-id=pa --nic port-id=pb vm
"""


def numa_report(simulate, write, big_root, policy, filters):
    files = [
        write("nova.conf", NUMA_SPEC),
        write("sched.conf", f"[filter_scheduler]\nenabled_filters = {filters}\n"),
        write("ml2.ini", NUMA_ML2),
        write("agent.ini", NUMA_AGENT),
    ]
    return simulate(NUMA_SCENARIO.format(policy=policy), configs=files, hosts=[f"big={big_root}"])


def test_numa_required_with_numa_filter_is_no_valid_host(simulate, write, big_root):
    report = numa_report(
        simulate, write, big_root, "required", "PciPassthroughFilter,NUMATopologyFilter"
    )
    assert report.steps[-1].error.startswith("No valid host was found.")
    why = explanation(report, "nova.no-valid-host")
    assert (
        "NUMA: the guest's 1 cell(s) and its VFs cannot share host NUMA nodes under "
        "numa_policy required" in why.cause
    )
    assert "free VFs by node: node 0: 64" in why.cause
    assert "--numa-policy-preferred" in why.fix


def test_numa_required_without_numa_filter_fails_at_the_compute_claim(simulate, write, big_root):
    report = numa_report(simulate, write, big_root, "required", "PciPassthroughFilter")
    assert report.steps[-1].error.startswith("Exceeded maximum number of retries.")
    claim = explanation(report, "nova.numa")
    assert claim.error.startswith(
        "Insufficient compute resources: Requested instance NUMA "
        "topology together with requested PCI devices cannot fit"
    )


def test_numa_preferred_boots_across_nodes(simulate, write, big_root):
    report = numa_report(
        simulate, write, big_root, "preferred", "PciPassthroughFilter,NUMATopologyFilter"
    )
    assert report.steps[-1].ok, report.steps[-1].error
    assert sorted(p["numa_node"] for p in report.ports) == [0, 1]


# -- binding_failed ------------------------------------------------------------------------


def test_dead_agent_means_binding_failed_then_max_retries(simulate):
    report = simulate(GUIDE_NET + BOOT, agents_down=["compute-0"])
    assert report.steps[0].ok
    assert report.steps[-1].error.startswith(
        "Exceeded maximum number of retries. Exhausted all hosts available for retrying build "
        "failures for instance "
    )
    why = explanation(report, "neutron.binding-failed")
    assert why.error.startswith("Binding failed for port ")
    assert "none alive" in why.cause and "restart" in why.fix
    assert any(":-)" not in e and "dead" in e for e in why.evidence)


def test_physnet_not_mapped_by_the_agent(simulate, write):
    agent = "[sriov_nic]\nphysical_device_mappings = sriovnet2:enp49s0f1\n"
    report = simulate(GUIDE_NET + BOOT, configs=configs(write, agent=agent))
    why = explanation(report, "neutron.binding-failed")
    assert "segments need physnet sriovnet1; alive agents map sriovnet2" in why.cause
    assert "add sriovnet1:<PF netdev> to [sriov_nic] physical_device_mappings" in why.fix


def test_vxlan_segment_cannot_be_bound(simulate, write):
    ml2 = (
        "[ml2]\ntype_drivers = vlan,vxlan\nmechanism_drivers = openvswitch,sriovnicswitch\n"
        "[ml2_type_vlan]\nnetwork_vlan_ranges = sriovnet1\n"
    )
    scenario = (
        "openstack network create --provider-network-type vxlan --provider-segment 42 vx\n"
        "openstack subnet create --network vx --subnet-range 10.9.0.0/24 vx-subnet\n"
        "openstack port create --network vx --vnic-type direct p1\n"
        "openstack port set --host compute-0 p1\n"
        "openstack port create --network vx --vnic-type direct p2\n"
        "openstack server create --flavor m1.small --image img --nic port-id=p2 s2\n"
    )
    report = simulate(scenario, configs=configs(write, ml2=ml2))
    bind = explanation(report, "neutron.binding-failed")
    assert bind.line == 4 and "segment types vxlan: SR-IOV binds only flat and vlan" in bind.cause
    assert "SR-IOV does not support vxlan" in bind.fix
    nova = explanation(report, "nova.no-valid-host")  # nova asks for a VF with no physnet
    assert "has no physnet (vxlan/geneve)" in nova.cause


def test_prohibited_vnic_type(simulate, write):
    ml2 = (
        "[ml2]\nmechanism_drivers = openvswitch,sriovnicswitch\n"
        "[ml2_type_vlan]\nnetwork_vlan_ranges = sriovnet1\n"
        "[sriov_driver]\nvnic_type_prohibit_list = direct\n"
    )
    report = simulate(GUIDE_NET + BOOT, configs=configs(write, ml2=ml2))
    why = explanation(report, "neutron.binding-failed")
    assert "vnic type direct is prohibited by configuration" in why.cause
    assert any("ml2_conf.ini:6: vnic_type_prohibit_list = direct" in e for e in why.evidence)


def test_no_agent_at_all(simulate, write):
    report = simulate(
        "openstack network agent list --agent-type nic\n" + GUIDE_NET + BOOT,
        configs=configs(write, agent=""),
    )
    assert report.steps[0].rows == []
    assert "neutron.no-nic-agent" in ids(report, "error")
    why = explanation(report, "neutron.binding-failed")
    assert "no NIC Switch agent is registered on the host" in why.cause


def test_agent_registered_under_another_host_name(simulate, write):
    agent = (
        "[DEFAULT]\nhost = compute-0.example.org\n"
        "[sriov_nic]\nphysical_device_mappings = sriovnet1:enp49s0f1\n"
    )
    report = simulate(GUIDE_NET + BOOT, configs=configs(write, agent=agent))
    why = explanation(report, "neutron.binding-failed")
    assert "registers as host 'compute-0.example.org'" in why.cause


# -- IOMMU group not viable ----------------------------------------------------------------

SHARED = [
    '[pci]\ndevice_spec = {"vendor_id": "8086", "product_id": "10ca", '
    '"physical_network": "sriovnet1"}\n',
    "[sriov_nic]\nphysical_device_mappings = sriovnet1:enp3s0\n",
]


def test_group_not_viable_on_boot(simulate, write, shared_root):
    files = [write("nova.conf", SHARED[0]), SCHED, ML2, write("agent.ini", SHARED[1])]
    report = simulate(GUIDE_NET + BOOT, configs=files, hosts=[f"cmp={shared_root}"])
    assert report.steps[-1].error.startswith("Exceeded maximum number of retries.")
    why = explanation(report, "host.group-not-viable")
    assert "group 2 is not viable" in why.error
    assert why.error.startswith("libvirt.libvirtError: internal error: qemu unexpectedly closed")
    assert "0000:03:00.0 (igb)" in why.cause
    assert any("/sys/kernel/iommu_groups/2/devices" in e for e in why.evidence)
    assert "ACS" in why.fix


def test_group_not_viable_on_attach_as_in_the_guide(simulate, write, shared_root):
    files = [write("nova.conf", SHARED[0]), SCHED, ML2, write("agent.ini", SHARED[1])]
    scenario = GUIDE_NET + (
        "openstack port create --network sriov-net --vnic-type direct p1\n"
        "openstack server create --flavor m1.large --image img --nic none test\n"
        "openstack server add port test p1\n"
    )
    report = simulate(scenario, configs=files, hosts=[f"cmp={shared_root}"])
    attach = report.steps[-1]
    assert attach.error.startswith("Failed to attach network adapter device to ")
    assert attach.error.endswith("(HTTP 500)")
    why = explanation(report, "host.group-not-viable")
    assert why.error.startswith(
        "attaching network adapter failed.: libvirt.libvirtError: "
        "internal error: unable to execute QEMU command 'device_add': "
        "vfio 0000:03:"
    )


# -- after a successful boot ---------------------------------------------------------------


def test_no_dhcp_subnet_needs_a_config_drive(simulate):
    net = GUIDE_NET.replace("sriov-subnet", "--no-dhcp sriov-subnet")
    report = simulate(net + BOOT)
    why = explanation(report, "guest.no-dhcp")
    assert "DHCP disabled" in why.cause and "--config-drive true" in why.fix
    report = simulate(net + BOOT.replace("--image img", "--image img --config-drive true"))
    assert "guest.no-dhcp" not in ids(report)


def test_vlan_not_trunked_on_the_switch(simulate):
    report = simulate(GUIDE_NET + BOOT, trunks=["compute-0:enp49s0f1=100-199,2000"])
    why = explanation(report, "switch.vlan-not-trunked")
    assert why.severity == "error" and "carries only 100-199,2000" in why.cause
    assert "allow VLAN 1000 tagged on the switch port of enp49s0f1" in why.fix
    report = simulate(GUIDE_NET + BOOT, trunks=["compute-0:enp49s0f1=1000"])
    assert not {"switch.vlan-trunk", "switch.vlan-not-trunked"} & set(ids(report))


def test_security_groups_are_ignored_on_vfs(simulate):
    report = simulate(GUIDE_NET + BOOT)
    why = explanation(report, "neutron.security-groups-ignored")
    assert "nothing enforces them on a VF" in why.cause
    report = simulate(GUIDE_NET + BOOT.replace("direct p1", "direct --no-security-group p1"))
    assert "neutron.security-groups-ignored" not in ids(report)


# -- the agent and nova disagree, or the scheduler does not look -----------------------------


def test_vf_on_a_pf_the_agent_does_not_watch_aborts_the_build(simulate, write):
    agent = "[sriov_nic]\nphysical_device_mappings = sriovnet1:enp49s0f0\n"
    report = simulate(GUIDE_NET + BOOT, configs=configs(write, agent=agent))
    assert "agent.vf-not-managed" in ids(report, "warning")  # predicted from the files alone
    server = report.steps[-1]
    assert server.error.endswith("Failed to allocate the network(s), not rescheduling.")
    why = [e for e in report.explanations if e.id == "agent.vf-not-managed" and e.line][0]
    assert "never reports the port up" in why.cause and "300 s" in why.cause


def test_without_pci_filter_nova_reschedules_after_a_failed_claim(simulate, write, guide_root):
    sched = write("sched.conf", "[filter_scheduler]\nenabled_filters = ComputeFilter\n")
    files = [sched, ML2, AGENT]
    report = simulate(
        GUIDE_NET + BOOT,
        configs=files,
        hosts=[f"cmp-a={guide_root}", f"cmp-b={guide_root}"],
        host_configs=[f"cmp-b={COMPUTE}"],
    )
    assert report.steps[-1].ok and report.steps[-1].record["OS-EXT-SRV-ATTR:host"] == "cmp-b"
    assert "nova.no-pci-filter" in ids(report, "warning")
    moved = explanation(report, "nova.rescheduled")
    assert (
        "runs on cmp-b only after 1 failed build(s): cmp-a: Insufficient compute "
        "resources: Claim pci failed." in moved.cause
    )
    assert explanation(report, "nova.pci-claim-failed").severity == "warning"


def test_deleting_a_server_frees_its_vf(simulate):
    scenario = (
        GUIDE_NET
        + "".join(
            f"openstack port create --network sriov-net --vnic-type direct p{i}\n"
            for i in (1, 2, 3)
        )
        + "".join(
            f"openstack server create --flavor m1.large --image img --nic port-id=p{i} s{i}\n"
            for i in (1, 2, 3)
        )
        + "openstack server delete s1\n"
        "openstack server create --flavor m1.large --image img --nic port-id=p3 s3b\n"
    )
    report = simulate(scenario)
    assert [s.ok for s in report.steps[-5:]] == [True, True, False, True, True]
    assert {p["server"] for p in report.ports if p["vf"]} == {"s2", "s3b"}


def test_trusted_port_needs_trusted_vfs(simulate, write):
    boot = BOOT.replace("direct p1", "direct --binding-profile trusted=true p1")
    report = simulate(GUIDE_NET + boot)
    why = explanation(report, "nova.no-valid-host")
    assert "the port asks for trusted=True but the sriovnet1 pools are tagged trusted=none" in (
        why.cause
    )
    assert '"trusted": "true"' in why.fix
    spec = write(
        "nova.conf",
        '[pci]\ndevice_spec = {"address": "*:31:12.*", '
        '"physical_network": "sriovnet1", "trusted": "true"}\n',
    )
    report = simulate(GUIDE_NET + boot, configs=configs(write, compute=spec))
    assert report.steps[-1].ok
    [port] = report.ports
    assert "nova: ip link set enp49s0f1 vf 5 trust on" in port["vf_settings"]
