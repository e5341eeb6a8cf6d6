"""The SR-IOV agent model over a real (temporary) sysfs tree, plus QoS, FDB and legacy parsing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sriovctl.openstack.neutron import agent, eswitch, fdb, legacy_cli, pci_lib, qos
from sriovctl.openstack.neutron.errors import InvalidPciSlotError, NeutronError, ServiceTerminated
from sriovctl.openstack.neutron.sysfs import (
    SysfsView,
    get_numvfs,
    pf_device_exists,
    scan_vf_devices,
)

PF = "enp1s0"
SLOTS = ["0000:01:10.0", "0000:01:10.2", "0000:01:10.4"]


def make_pf(
    root: Path, pf: str = PF, numvfs: int = 3, links: int = 3, netdev_vfs=(), macvtap_vfs=()
) -> None:
    """A PF as the kernel shows it: virtfnN links, sriov_numvfs, a net dir per host-bound VF."""
    pci = root / "sys/bus/pci/devices"
    device = root / "sys/class/net" / pf / "device"
    device.mkdir(parents=True)
    (device / "sriov_numvfs").write_text(f"{numvfs}\n")
    for index in range(links):
        vf = pci / SLOTS[index]
        vf.mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.relpath(vf, device), device / f"virtfn{index}")
        if index in netdev_vfs or index in macvtap_vfs:
            # sysfs shows the VF's netdev below the PF's virtfnN link.
            net = vf / "net" / f"{pf}v{index}"
            net.mkdir(parents=True)
            if index in macvtap_vfs:
                (net / f"upper_macvtap{index}").touch()
    (device / "physfn_marker").touch()  # other names are ignored


def test_sysfs_reads(tmp_path):
    make_pf(tmp_path)
    assert pf_device_exists(tmp_path, PF)
    assert not pf_device_exists(tmp_path, "../../etc")  # never follows a path out of sysfs
    assert scan_vf_devices(tmp_path, PF) == [(SLOTS[0], 0), (SLOTS[1], 1), (SLOTS[2], 2)]
    assert get_numvfs(tmp_path, PF) == 3
    assert get_numvfs(tmp_path, "eth9") == -1
    (tmp_path / "sys/class/net" / PF / "device/sriov_numvfs").write_text("x\n")
    with pytest.raises(NeutronError, match="invalid sriov_numvfs"):
        get_numvfs(tmp_path, PF)


def test_assigned_vfs_direct_and_macvtap(tmp_path):
    # VF0 given to a VM (vfio: no netdev), VF1 under macvtap, VF2 idle in the host.
    make_pf(tmp_path, netdev_vfs=(2,), macvtap_vfs=(1,))
    view = SysfsView(
        tmp_path,
        vfs={
            PF: {
                0: {"mac": "fa:16:3e:00:00:01", "link_state": 1},
                2: {"mac": "fa:16:3e:00:00:03", "link_state": 0},
            }
        },
        link_addresses={"macvtap1": "fa:16:3e:00:00:02"},
    )
    state = eswitch.discover_devices(eswitch.ESwitch(), view, {"physnet2": [PF]})
    assert [e.dev_name for e in state.emb_switches_map["physnet2"]] == [PF]
    assigned = eswitch.get_assigned_devices_info(state, view)
    assert assigned == {
        eswitch.DeviceInfo("fa:16:3e:00:00:01", SLOTS[0]),
        eswitch.DeviceInfo("fa:16:3e:00:00:02", SLOTS[1]),
    }
    assert eswitch.device_exists(state, view, "fa:16:3e:00:00:01", SLOTS[0])
    assert not eswitch.device_exists(state, view, "fa:16:3e:00:00:09", SLOTS[0])  # MAC mismatch
    request = eswitch.set_device_state(state, view, "fa:16:3e:00:00:01", SLOTS[0], False, True)
    assert (request.pf, dict(request.payload)) == (PF, {"vf": 0, "link_state": 2})


def test_pf_not_ready_until_all_vfs_appear(tmp_path):
    make_pf(tmp_path, numvfs=3, links=2)
    view = SysfsView(tmp_path)
    state = eswitch.discover_devices(eswitch.ESwitch(), view, {"physnet2": [PF]})
    assert state.skipped_devices == {PF} and not state.emb_switches_map


def test_pf_with_zero_vfs_accepted_on_second_sighting(tmp_path):
    make_pf(tmp_path, numvfs=0, links=0)
    view = SysfsView(tmp_path)
    first = eswitch.discover_devices(eswitch.ESwitch(), view, {"physnet2": [PF]})
    assert first.skipped_devices == {PF}
    second = eswitch.discover_devices(first, view, {"physnet2": [PF]})
    assert [e.dev_name for e in second.emb_switches_map["physnet2"]] == [PF]
    assert not second.skipped_devices


def test_excluded_vf_is_not_managed(tmp_path):
    make_pf(tmp_path)
    view = SysfsView(tmp_path)
    state = eswitch.discover_devices(eswitch.ESwitch(), view, {"physnet2": [PF]}, {PF: {SLOTS[1]}})
    assert SLOTS[1] not in state.pci_slot_map
    emb = state.emb_switches_map["physnet2"][0]
    with pytest.raises(InvalidPciSlotError, match=f"Invalid pci slot {SLOTS[1]}"):
        eswitch.vf_index(emb, SLOTS[1])


def test_vanished_pf_is_dropped(tmp_path):
    make_pf(tmp_path)
    view = SysfsView(tmp_path)
    state = eswitch.discover_devices(eswitch.ESwitch(), view, {"physnet2": [PF]})
    (tmp_path / "sys/class/net" / PF / "device").rename(tmp_path / "gone")
    after = eswitch.discover_devices(state, view, {"physnet2": [PF]})
    assert after.emb_switches_map["physnet2"] == ()


def test_rates_and_link_states():
    assert [pci_lib.kbps_to_mbps(k) for k in (99, 2000, 2001, 2499, 2500, 0)] == [1, 2, 2, 2, 3, 0]
    current = pci_lib.VfInfo("m", 1, max_tx_rate=500, min_tx_rate=250)
    assert pci_lib.rates_to_set({"max_tx_rate": 2500}, current) == {
        "max_tx_rate": 3,
        "min_tx_rate": 250,
    }
    assert pci_lib.rates_to_set({"max_tx_rate": 0, "min_tx_rate": 1000}, current) == {
        "max_tx_rate": 0,
        "min_tx_rate": 1,
    }
    assert pci_lib.link_state_for(False, True) == 2
    assert pci_lib.link_state_for(True, True) == 0
    assert pci_lib.link_state_for(True, False) == 1
    assert pci_lib.get_vf_state({}, 3) == "disable"


def test_one_polling_cycle():
    d1, d2 = ("mac1", "slot1"), ("mac2", "slot2")
    scan = agent.scan_devices(registered=[d1], updated=[d2, d1], current=[d1, d2])
    assert scan.added == {d2} and scan.updated == {d1, d2} and scan.has_changes  # both kept
    details = [
        {"device": "mac2", "port_id": "p2", "network_id": "n", "admin_state_up": True,
         "profile": {"pci_slot": "slot2"}, "propagate_uplink_status": True},
        {"device": "mac1", "no_active_binding": True},
    ]  # fmt: skip
    out = agent.treat_devices_added_updated(details, {}, lambda dev: True)
    assert out.devices_up == {d2} and out.state_calls == (("mac2", "slot2", True, True),)
    assert out.spoofcheck_calls == (("mac2", "slot2", True),)  # port security defaults to on
    assert out.network_ports == {"n": (("p2", d2),)}
    gone = agent.treat_devices_removed([d2], out.network_ports, lambda dev: {"exists": True})
    assert gone.network_ports == {} and gone.extension_deletes[0]["port_id"] == "p2"
    assert agent.treat_devices_added_updated(None, {}, lambda dev: True).resync


def test_process_network_devices_runs_both_halves():
    d1, d2 = ("mac1", "slot1"), ("mac2", "slot2")
    scan = agent.scan_devices(registered=[d2], updated=[], current=[d1])
    asked = []

    def details(devices):
        asked.append(devices)
        return None  # the RPC failed

    out = agent.process_network_devices(
        scan, {}, details, lambda d: True, lambda d: {"exists": False}
    )
    assert asked == [{d1}] and out.resync
    assert out.removed.device_down_calls == (d2,)


def test_port_update_rpc():
    port = {
        "id": "p",
        "mac_address": "m",
        "binding:vnic_type": "direct",
        "binding:profile": {"pci_slot": "s"},
    }
    assert agent.port_update(port) == ("m", "s")
    assert agent.port_update({**port, "binding:profile": {}}) is None


def test_qos_calls():
    port = {"device": "m", "profile": {"pci_slot": "s"}, "device_owner": "compute:nova"}
    assert qos.qos_call("create", {"type": "bandwidth_limit", "max_kbps": 10000}, port) == (
        "set_device_max_rate",
        "m",
        "s",
        10000,
    )
    released = {"device": "m", "profile": {"pci_slot": "s"}}
    assert qos.qos_call("delete", {"type": "bandwidth_limit"}, released) == ("clear_max_rate", "s")
    ingress = {"type": "minimum_bandwidth", "min_kbps": 1, "direction": "ingress"}
    assert qos.qos_call("delete", ingress, port) is None
    with pytest.raises(NeutronError):
        qos.qos_call("create", {"type": "dscp_marking"}, port)


DETAILS = {
    "device_owner": "compute:nova",
    "physical_network": "physnet1",
    "mac_address": "fa:16:3e:00:00:01",
    "port_id": "p1",
}


def test_fdb_population():
    ext = fdb.fdb_initialize("physnet1:p1p1", "ovs", {"p1p1": ["aa:aa:aa:aa:aa:aa"]})
    ext, calls = fdb.handle_port(ext, DETAILS)
    assert calls == [("add", "fa:16:3e:00:00:01", "p1p1")]
    ext, calls = fdb.handle_port(ext, DETAILS)  # unchanged port: deleted and re-added
    assert calls == [("delete", "fa:16:3e:00:00:01", "p1p1"), ("add", "fa:16:3e:00:00:01", "p1p1")]
    ext, calls = fdb.handle_port(ext, {**DETAILS, "device_owner": "network:floatingip"})
    assert calls == []
    ext, calls = fdb.delete_port(ext, {"port_id": "p1"})
    assert calls == [("delete", "fa:16:3e:00:00:01", "p1p1")] and ext.portid_to_mac == {}


def test_fdb_quirks_and_start_errors():
    with pytest.raises(ServiceTerminated, match="no physical devices"):
        fdb.fdb_initialize("", "ovs", {})
    with pytest.raises(ServiceTerminated, match="only supported for OVS agent"):
        fdb.fdb_initialize("physnet1:p1p1", "sriov", {})
    two = fdb.fdb_initialize("physnet1:p1p1,physnet1:p1p2", "ovs", {"p1p1": [], "p1p2": []})
    two, _ = fdb.handle_port(two, DETAILS)
    with pytest.raises(fdb.FdbTableError):  # neutron raises KeyError deleting from two PFs
        fdb.delete_port(two, {"port_id": "p1"})
    unlisted = fdb.fdb_initialize("physnet1:p1p1", "ovs", {})
    with pytest.raises(fdb.FdbTableError):
        fdb.handle_port(unlisted, DETAILS)


IP_LINK = "\n".join(
    [
        "122: p7p1: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT qlen 1000",
        "    link/ether f4:52:14:2a:3e:c0 brd ff:ff:ff:ff:ff:ff",
        "    vf 0 MAC fa:16:3e:b4:81:ac, vlan 4095, spoof checking off, link-state disable",
        "    vf 1 MAC 00:00:00:00:00:11, vlan 4095, spoof checking off, link-state enable",
        "    vf 2 MAC fa:16:3e:68:4e:79, vlan 4095, spoof checking off, link-state enable",
        # modern iproute2: no "MAC" token, so the old pattern does not match
        "    vf 3     link/ether 00:00:00:00:00:00 brd ff:ff:ff:ff:ff:ff, spoof checking on, "
        "link-state auto, trust off",
    ]
)


def test_legacy_ip_link_parsing():
    assert legacy_cli.assigned_macs(IP_LINK, [0, 1, 3]) == {
        0: "fa:16:3e:b4:81:ac",
        1: "00:00:00:00:00:11",
    }
    assert [legacy_cli.vf_state(IP_LINK, i) for i in range(4)] == [
        "disable",
        "enable",
        "enable",
        "disable",
    ]
    guide = "vf 0 MAC 00:00:00:00:00:00, spoof checking on, link-state auto"
    assert legacy_cli.parse_vf_line(guide) == {
        "vf": 0,
        "MAC": "00:00:00:00:00:00",
        "link-state": "auto",
    }
    assert legacy_cli.parse_vf_line("vf 0 MAC fa:16:3e:00:00:01, link-state enable") == {}
    assert legacy_cli.ip_link_set_vf_argv("p7p1", 1, "spoofchk", "on")[-2:] == ["spoofchk", "on"]
