"""Hosts from snapshots and inventory JSON alike; other vnic types; capacity; the CLI."""

from __future__ import annotations

import json

from twin_helpers import GUIDE, GUIDE_CONFIGS, GUIDE_NET, explanation, ids

from sriovctl.checks.isolation import check_group
from sriovctl.host.inventory import to_inventory
from sriovctl.host.read import load_host
from sriovctl.twin.hosts import load_hosts


def test_inventory_json_gives_the_same_host_as_the_snapshot(write, guide_root, shared_root):
    for root in (guide_root, shared_root):
        inventory = to_inventory(load_host(str(root)))
        path = write("inv.json", json.dumps(inventory))
        [from_root] = load_hosts(f"cmp={root}")
        [from_json] = load_hosts(f"cmp={path}")
        assert from_json.devices == from_root.devices
        assert from_json.vfs == from_root.vfs
        # The inventory-only group rule gives the doctor's own findings.
        assert {a: f.message for a, f in from_json.group_findings.items()} == {
            a: f.message for a, f in from_root.group_findings.items()
        }


def test_shared_group_findings_are_the_doctors(shared_root):
    host = load_host(str(shared_root))
    [facts] = load_hosts(str(shared_root))
    vf = host.devices["0000:03:10.2"]
    assert facts.group_blocks("0000:03:10.2").message == check_group(host, vf).message


def test_fleet_json_is_a_list_of_inventories(write, guide_root, simulate):
    inventory = to_inventory(load_host(str(guide_root)))
    second = json.loads(json.dumps(inventory))
    second["host"]["hostname"] = "compute-1"
    path = write("fleet.json", json.dumps([inventory, second]))
    assert [h.name for h in load_hosts(path)] == ["compute-0", "compute-1"]
    report = simulate("openstack network agent list\n", hosts=[path])
    assert [r["Host"] for r in report.steps[0].rows] == ["compute-0", "compute-1"]


def test_macvtap_port_uses_the_vf_netdev(simulate):
    report = simulate(GUIDE_NET + (
        "openstack port create --network sriov-net --vnic-type macvtap pm\n"
        "openstack server create --flavor m1.small --image img --nic port-id=pm vm\n"
    ))  # fmt: skip
    [port] = report.ports
    assert port["vif_type"] == "hw_veb" and port["guest_driver"] == "igbvf"
    assert port["libvirt_xml"].startswith('<interface type="direct">')
    assert '<source dev="enp49s0f1v5" mode="passthrough"/>' in port["libvirt_xml"]
    assert "driver: virtio_net (macvtap)" in port["in_guest"][0]


def test_direct_physical_takes_the_whole_pf(simulate, write):
    spec = write("nova.conf", '[pci]\ndevice_spec = {"address": "0000:31:00.0", '
                              '"physical_network": "sriovnet1"}\n')  # fmt: skip
    files = [spec, *[str(c) for c in GUIDE_CONFIGS[1:]]]
    report = simulate(GUIDE_NET + (
        "openstack port create --network sriov-net --vnic-type direct-physical pp\n"
        "openstack server create --flavor m1.small --image img --nic port-id=pp vm\n"
    ), configs=files)  # fmt: skip
    assert report.steps[-1].ok, report.steps[-1].error
    [port] = report.ports
    assert port["vf"] == "0000:31:00.0" and port["vif_type"] == "hostdev_physical"
    assert port["libvirt_xml"].startswith('<hostdev mode="subsystem" type="pci" managed="yes">')
    assert 'domain="0x0000" bus="0x31" slot="0x00" function="0x0"' in port["libvirt_xml"]
    trunk = explanation(report, "switch.vlan-trunk")
    assert "the guest owns the whole PF enp49s0f0 and must tag its frames with VLAN 1000" in (
        trunk.cause
    )


def test_capacity_before_and_after_the_guide(simulate):
    report = simulate("", with_capacity=True)
    assert report.capacity == [
        {"Host": "compute-0", "Physnet": "sriovnet1", "NUMA": None, "Free VFs": 2, "Usable": 2,
         "Why not usable": None},
        {"Host": "TOTAL", "Physnet": "sriovnet1", "NUMA": None, "Free VFs": 2, "Usable": 2,
         "Why not usable": None},
    ]  # fmt: skip
    after = simulate((GUIDE / "scenario.txt").read_text(), with_capacity=True)
    assert after.capacity[-1]["Free VFs"] == 1
    dead = simulate("", with_capacity=True, agents_down=["compute-0"])
    assert dead.capacity[0]["Usable"] == 0
    assert dead.capacity[0]["Why not usable"] == "no alive NIC Switch agent"


def test_capacity_per_numa_node_and_physnet_filter(simulate, write, big_root):
    files = [write("nova.conf", '[pci]\ndevice_spec = {"vendor_id": "8086", "product_id": '
                                '"1889", "physical_network": "physA"}\n'),
             write("agent.ini", "[sriov_nic]\nphysical_device_mappings = physA:ens1f0,"
                                "physA:ens2f0,physA:ens3f0\n")]  # fmt: skip
    report = simulate("", configs=files, hosts=[f"big={big_root}"], with_capacity=True,
                      physnets=["physA"])  # fmt: skip
    rows = {r["NUMA"]: r for r in report.capacity if r["Host"] == "big"}
    assert (rows[0]["Free VFs"], rows[0]["Usable"]) == (128, 128)
    assert (rows[1]["Free VFs"], rows[1]["Usable"]) == (128, 64)
    assert rows[1]["Why not usable"] == "the agent does not map physA to ens4f0"


def test_simulate_cli_json_and_exit_codes(cli, guide_root, write):
    base = ["simulate", "--host", f"compute-0={guide_root}"]
    for c in GUIDE_CONFIGS:
        base += ["--config", str(c)]
    code, out, err = cli(*base, "--scenario", str(GUIDE / "scenario.txt"), "-f", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert [s["ok"] for s in doc["steps"]] == [True] * 6
    assert doc["ports"][0]["vif_type"] == "hw_veb"
    assert "6 steps, 0 failed; 0 errors" in err
    code, out, _ = cli(*base, "--scenario", str(GUIDE / "scenario.txt"), "-c", "VF", "-f", "value")
    assert out.strip() in ("0000:31:12.1", "0000:31:12.5")
    bad = write("bad.txt", GUIDE_NET + "openstack port create --network nope p\n")
    code, out, _ = cli(*base, "--scenario", bad)
    assert code == 1 and "FAILED line 6: openstack port create --network nope p" in out
    assert "No Network found for nope" in out
    code, out, _ = cli(*base, "--capacity", "-f", "value", "-c", "Host", "-c", "Free VFs")
    assert out.split("\n")[:2] == ["compute-0 2", "TOTAL 2"]
    code, _, err = cli("simulate", "--scenario", bad)
    assert code == 2 and "--host" in err


def test_ids_helper_sees_setup_notes(simulate):
    report = simulate("")
    assert "nova.filter-removed" in ids(report)
    assert explanation(report, "config.deprecated-name").evidence[0].endswith("nova-compute.conf:4")
