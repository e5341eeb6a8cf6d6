"""neutron's own unit-test cases, agent side: sysfs, netlink payloads, ESwitch, loop, QoS, FDB.

Where neutron's tests mock a method, :class:`FakeView` answers the same question; where
they touch sysfs, a tree is built under ``tmp_path``. Legacy (pre-netlink) cases check
the argv/parsing helpers of ``legacy_cli``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sriovctl.openstack.neutron import agent, agent_config, eswitch, fdb, legacy_cli, pci_lib, qos
from sriovctl.openstack.neutron import sysfs as nsysfs
from sriovctl.openstack.neutron.errors import (
    InvalidDeviceError,
    InvalidPciSlotError,
    NeutronError,
    ServiceTerminated,
)

_HERE = Path(__file__).resolve().parent
_CANDIDATES = [
    _HERE.parent / "vectors" / "neutron-sriov.json",
    Path("/work/shared/vectors/neutron-sriov.json"),
]
VECTORS = next(
    (json.loads(p.read_text(encoding="utf-8"))["vectors"] for p in _CANDIDATES if p.is_file()), []
)
AGENT_KINDS = frozenset(
    """
    agent_network_ports agent_report_state agent_scan_devices agent_treat_device
    agent_treat_devices_added_updated agent_treat_devices_removed emb_get_assigned_devices_info
    emb_get_pci_slot_list emb_set_device_rate emb_unknown_pci_slot esm_clear_rate esm_create
    esm_create_emb_switch esm_device_exists esm_discover_devices esm_get_assigned_devices_info
    esm_get_device_state esm_process_emb_switch_map esm_set_rate_dispatch fdb_delete_port
    fdb_handle_port fdb_init fdb_legacy_command get_numvfs get_vf_macvtap_upper_devs
    ip_link_set_vf_command ip_link_show_macvtap netlink_get_link_vfs pci_get_assigned_macs
    pci_get_vf_state pci_set_vf_rate pci_set_vf_spoofcheck pci_set_vf_state pf_device_exists
    qos_agent_driver rpc_binding_activate rpc_network_update rpc_port_update scan_vf_devices
    """.split()
)
STATE_NUMBER = {name: number for number, name in pci_lib.LINK_STATES.items()}
PORT = "17ceda02-43e1-48d8-beb6-35885b20cae6"


def _cases(kind: str) -> list:
    return [
        pytest.param(v, id=f"{v['id']}-{v['source']['test']}") for v in VECTORS if v["kind"] == kind
    ]


def _devs(items) -> set:
    return {eswitch.DeviceInfo(*item) for item in items}


class FakeView:
    """Answers what neutron's tests mock: PF existence, scans, numvfs, VF MACs and states."""

    def __init__(self, exists=True, scans=None, numvfs=-1, direct=True, vfs=None, uppers=None):
        self.exists, self.scans, self.numvfs, self.direct = exists, scans or {}, numvfs, direct
        self.vfs, self.uppers, self.scan_calls = vfs or {}, uppers or {}, []

    def pf_device_exists(self, pf):
        return self.exists if isinstance(self.exists, bool) else pf in self.exists

    def scan_vf_devices(self, pf):
        self.scan_calls.append(pf)
        result = self.scans.get(pf, [])
        if isinstance(result, Exception):
            raise result
        return result.pop(0) if result and isinstance(result[0], list) else result

    def get_numvfs(self, pf):
        return self.numvfs

    def is_assigned_vf_direct(self, pf, vf_index):
        return self.direct

    def get_vf_macvtap_upper_devs(self, pf, vf_index):
        return self.uppers.get(vf_index, [])

    def get_vfs(self, pf):
        return {int(k): pci_lib.VfInfo.of(v) for k, v in self.vfs.get(pf, {}).items()}

    def link_address(self, netdev):
        return None


def _emb(spec) -> eswitch.EmbSwitch:
    view = FakeView(scans={spec["dev_name"]: [tuple(x) for x in spec["scanned"]]})
    return eswitch.make_emb_switch(view, spec["dev_name"], spec.get("exclude", ()))


def _esm(spec, vf_macs=None) -> tuple[eswitch.ESwitch, FakeView]:
    """An ESwitch with the vector's PFs registered; VF MACs as neutron's mocks return them."""
    pfs = [dev for devs in spec["device_mappings"].values() for dev in devs]
    scanned = [tuple(x) for x in spec["scanned"]]
    view = FakeView(scans={pf: scanned for pf in pfs}, vfs={pf: {} for pf in pfs})
    state = eswitch.discover_devices(eswitch.ESwitch(), view, spec["device_mappings"])
    for pf in pfs:
        view.vfs[pf] = {idx: {"mac": mac, "link_state": 1} for idx, mac in (vf_macs or {}).items()}
    return state, view


# --- pci_lib / netlink ---------------------------------------------------------------------


@pytest.mark.parametrize("v", _cases("pci_get_assigned_macs"))
def test_pci_get_assigned_macs(v):
    got = pci_lib.get_assigned_macs(v["get_vfs"], v["vf_list"])
    assert got == {int(k): mac for k, mac in v["expected"].items()}


@pytest.mark.parametrize("v", _cases("pci_get_vf_state"))
def test_pci_get_vf_state(v):
    assert pci_lib.get_vf_state(v["get_vfs"], v["vf_index"]) == v["expected"]


@pytest.mark.parametrize("v", _cases("pci_set_vf_state"))
def test_pci_set_vf_state(v):
    got = pci_lib.set_vf_state_request(v["vf_index"], v["state"], auto=v["auto"])
    assert got == v["expected_set_vf_feature"]


@pytest.mark.parametrize("v", _cases("pci_set_vf_spoofcheck"))
def test_pci_set_vf_spoofcheck(v):
    got = pci_lib.set_vf_spoofcheck_request(v["vf_index"], v["enabled"])
    assert got == v["expected_set_vf_feature"]


@pytest.mark.parametrize("v", _cases("pci_set_vf_rate"))
def test_pci_set_vf_rate(v):
    payload = pci_lib.set_vf_rate_request(v["vf_index"], v["rates_mbps"])
    if "set_vf_feature_raises" in v:
        error = v["set_vf_feature_raises"].split()[0]
        assert pci_lib.rate_error_is_fatal(error) is False
    else:
        assert payload == v["expected_set_vf_feature"]


@pytest.mark.parametrize("v", _cases("netlink_get_link_vfs"))
def test_netlink_get_link_vfs(v):
    got = pci_lib.vfs_from_netlink(v["netlink_input"])
    want = {int(k): pci_lib.VfInfo(**info) for k, info in v["expected"].items()}
    assert got == want
    for _, _, kwargs in v["expected_calls"]:
        assert pci_lib.GET_LINK_VFS_REQUEST.items() <= kwargs.items()
    if "NetlinkDumpInterrupted" in v.get("note", ""):
        assert "NetlinkDumpInterrupted" in pci_lib.GET_LINK_VFS_RETRY_ON


# --- legacy CLI ----------------------------------------------------------------------------


@pytest.mark.parametrize("v", _cases("ip_link_set_vf_command"))
def test_ip_link_set_vf_command(v):
    argv = legacy_cli.ip_link_set_vf_argv(v["dev_name"], v["vf_index"], v["feature"], v["value"])
    if "expected_argv" in v:
        assert argv == v["expected_argv"]
    if "error" in v:
        assert (
            type(legacy_cli.ip_link_error(v["dev_name"], v["command_stderr"])).__name__
            == v["error"]
        )


@pytest.mark.parametrize("v", _cases("ip_link_show_macvtap"))
def test_ip_link_show_macvtap(v):
    assert legacy_cli.is_macvtap_assigned(v["vf_ifname"], v["input"]) is v["expected"]


def _fdb_ext(ok=lambda call: True):
    return fdb.fdb_initialize(["physnet1:p1p1"], "ovs", {"p1p1": []})


@pytest.mark.parametrize("v", _cases("fdb_legacy_command"))
def test_fdb_legacy_command(v):
    if "show_stdout" in v:
        assert legacy_cli.bridge_fdb_argv("show", v["device"]) == v["expected_argv"]
        assert legacy_cli.parse_bridge_fdb_show(v["show_stdout"]) == v["expected_macs"]
        return
    ext, argvs = _fdb_ext(), []
    if "sequence" in v:
        for details in v["sequence"]:
            ext, calls = fdb.handle_port(ext, details)
            argvs += [legacy_cli.bridge_fdb_argv(op, dev, mac) for op, mac, dev in calls]
        assert argvs == v["expected_argv_sequence"]
    elif "details" in v:
        ext, calls = fdb.handle_port(ext, v["details"])
        assert calls == [] and v["expected_argv"] is None
        assert ext.portid_to_mac == {}
    else:  # test_delete_port: the fixture's router port, added then deleted
        details = {
            "device_owner": "network:router_interface",
            "physical_network": "physnet1",
            "mac_address": "fa:16:3e:ba:bc:21",
            "port_id": PORT,
        }
        ext, _ = fdb.handle_port(ext, details)
        ext, calls = fdb.delete_port(ext, {"port_id": PORT})
        op, mac, dev = calls[-1]
        assert legacy_cli.bridge_fdb_argv(op, dev, mac) == v["expected_argv"]


# --- sysfs ---------------------------------------------------------------------------------


def _pf_dir(root: Path, pf: str) -> Path:
    path = root / "sys/class/net" / pf / "device"
    path.mkdir(parents=True)
    return path


@pytest.mark.parametrize("v", _cases("scan_vf_devices"))
def test_scan_vf_devices(v, tmp_path):
    if not v["device_dir_exists"]:
        with pytest.raises(InvalidDeviceError):
            nsysfs.scan_vf_devices(tmp_path, v["pf"])
        return
    device = _pf_dir(tmp_path, v["pf"])
    for name in v.get("listdir", []):
        (device / name).touch()
    assert nsysfs.scan_vf_devices(tmp_path, v["pf"]) == [tuple(x) for x in v["expected"]]


@pytest.mark.parametrize("v", _cases("get_vf_macvtap_upper_devs"))
def test_get_vf_macvtap_upper_devs(v, tmp_path):
    net = _pf_dir(tmp_path, v["pf"]) / f"virtfn{v['vf_index']}" / "net" / "ens1f0v1"
    net.mkdir(parents=True)
    for name in v["glob_result"]:
        (net / name).touch()
    assert nsysfs.get_vf_macvtap_upper_devs(tmp_path, v["pf"], v["vf_index"]) == v["expected"]


@pytest.mark.parametrize("v", _cases("pf_device_exists"))
def test_pf_device_exists(v, tmp_path):
    if v["device_dir_exists"]:
        _pf_dir(tmp_path, v["pf"])
    assert nsysfs.pf_device_exists(tmp_path, v["pf"]) is v["expected"]


@pytest.mark.parametrize("v", _cases("get_numvfs"))
def test_get_numvfs(v, tmp_path):
    device = _pf_dir(tmp_path, v["pf"])
    if "file_content" in v:
        (device / "sriov_numvfs").write_text(v["file_content"])
    assert nsysfs.get_numvfs(tmp_path, v["pf"]) == v["expected"]


# --- EmbSwitch / ESwitchManager ------------------------------------------------------------


@pytest.mark.parametrize("v", _cases("emb_set_device_rate"))
def test_emb_set_device_rate(v):
    emb = _emb(v["emb_switch"])
    view = FakeView(
        vfs={emb.dev_name: {0: {"mac": "m", "link_state": 1, **v["current_vf_rates_mbps"]}}}
    )
    index, rates = eswitch.emb_set_device_rate(view, emb, v["pci_slot"], v["rates_kbps"])
    assert [index, rates] == v["expected_set_vf_rate"]


@pytest.mark.parametrize("v", _cases("emb_unknown_pci_slot"))
def test_emb_unknown_pci_slot(v):
    emb = _emb(v["emb_switch"])
    with pytest.raises(InvalidPciSlotError):
        getattr(eswitch, f"emb_{v['operation']}")(FakeView(), emb, v["pci_slot"])


@pytest.mark.parametrize("v", _cases("emb_get_assigned_devices_info"))
def test_emb_get_assigned_devices_info(v):
    emb = _emb(v["emb_switch"])
    macs = v["get_assigned_macs_returns"]
    view = FakeView(
        exists=v["pf_device_exists"],
        direct=v["is_assigned_vf_direct"],
        vfs={emb.dev_name: {i: {"mac": m, "link_state": 1} for i, m in macs.items()}},
    )
    got = eswitch.emb_get_assigned_devices_info(view, emb)
    assert {d.mac: d.pci_slot for d in got} == v["expected_mac_to_pci"]


@pytest.mark.parametrize("v", _cases("emb_get_pci_slot_list"))
def test_emb_get_pci_slot_list(v):
    assert sorted(_emb(v["emb_switch"]).pci_slot_map) == v["expected_sorted"]


@pytest.mark.parametrize("v", _cases("esm_device_exists"))
def test_esm_device_exists(v):
    state, view = _esm(v["eswitch"], {0: v["vf_current_mac"]})
    assert eswitch.device_exists(state, view, v["device_mac"], v["pci_slot"]) is v["expected"]


@pytest.mark.parametrize("v", _cases("esm_get_device_state"))
def test_esm_get_device_state(v):
    state, view = _esm(v["eswitch"], {0: v["vf_current_mac"]})
    for vfs in view.vfs.values():
        vfs[0]["link_state"] = STATE_NUMBER[v["emb_get_device_state"]]
    assert eswitch.get_device_state(state, view, v["device_mac"], v["pci_slot"]) == v["expected"]


@pytest.mark.parametrize("v", _cases("esm_set_rate_dispatch"))
def test_esm_set_rate_dispatch(v):
    name, mac, pci_slot, kbps = v["call"]
    state, view = _esm(v["eswitch"], {0: mac})
    rate_type = {"set_device_max_rate": "max_tx_rate", "set_device_min_tx_rate": "min_tx_rate"}[
        name
    ]
    change = eswitch.set_device_rate(state, view, mac, pci_slot, rate_type, kbps)
    assert [change.pci_slot, dict(change.rates_kbps)] == v["expected_emb_set_device_rate"]


@pytest.mark.parametrize("v", _cases("esm_clear_rate"))
def test_esm_clear_rate(v):
    state, view = _esm(v["eswitch"], v["vf_macs"])
    change = eswitch.clear_rate(state, view, v["pci_slot"], v["rate_type"])
    if v["expected_set_device_rate"] is None:
        assert change is None
    else:
        assert [change.pci_slot, dict(change.rates_kbps)] == v["expected_set_device_rate"]


@pytest.mark.parametrize("v", _cases("esm_discover_devices"))
def test_esm_discover_devices(v):
    view = FakeView(exists=v["pf_device_exists"])
    eswitch.discover_devices(eswitch.ESwitch(), view, v["device_mappings"])
    assert bool(view.scan_calls) is v["expected_create_emb_switch_called"]


@pytest.mark.parametrize("v", _cases("esm_process_emb_switch_map"))
def test_esm_process_emb_switch_map(v):
    known = FakeView()
    state = eswitch.discover_devices(eswitch.ESwitch(), known, v["already_known"])
    view = FakeView(exists=v["pf_device_exists"])
    after = eswitch.process_emb_switch_map(state, view, v["phys_net"], v["dev_name"], {})
    assert bool(view.scan_calls) is v["expected_create_emb_switch_called"]
    names = [e.dev_name for e in after.emb_switches_map.get(v["phys_net"], ())]
    if not v["pf_device_exists"] and v["dev_name"] in v["already_known"][v["phys_net"]]:
        assert v["dev_name"] not in names  # the PF went to a VM: dropped


@pytest.mark.parametrize("v", _cases("esm_create_emb_switch"))
def test_esm_create_emb_switch(v):
    scans = [[tuple(x) for x in call] for call in v["scan_results_per_call"]]
    view = FakeView(scans={v["dev_name"]: scans}, numvfs=v["numvfs"])
    state = eswitch.ESwitch()
    for expected in v["expected_after_call"]:
        state = eswitch.create_emb_switch(state, view, v["phys_net"], v["dev_name"])
        known = [e.dev_name for e in state.emb_switches_map.get(v["phys_net"], ())]
        assert (v["dev_name"] in known) is expected["in_emb_switches_map"]
        assert sorted(state.skipped_devices) == expected["skipped_devices"]
        for slot in expected.get("pci_slot_map_contains", []):
            assert slot in state.pci_slot_map


@pytest.mark.parametrize("v", _cases("esm_create"))
def test_esm_create(v):
    pfs = [dev for devs in v["device_mappings"].values() for dev in devs]
    error = InvalidDeviceError("Invalid Device: Device not found")
    view = FakeView(exists=v["pf_device_exists"], scans={pf: error for pf in pfs})
    with pytest.raises(InvalidDeviceError):
        eswitch.discover_devices(eswitch.ESwitch(), view, v["device_mappings"])


@pytest.mark.parametrize("v", _cases("esm_get_assigned_devices_info"))
def test_esm_get_assigned_devices_info(v):
    per_pf = v["per_pf_assigned"]
    scans = {pf: [(pci, i) for i, (_, pci) in enumerate(devs)] for pf, devs in per_pf.items()}
    vfs = {
        pf: {i: {"mac": mac, "link_state": 1} for i, (mac, _) in enumerate(devs)}
        for pf, devs in per_pf.items()
    }
    view = FakeView(scans=scans, vfs=vfs)
    state = eswitch.discover_devices(eswitch.ESwitch(), view, v["device_mappings"])
    got = eswitch.get_assigned_devices_info(state, view)
    assert _devs(v["expected_contains"]) <= got


# --- agent loop and RPC --------------------------------------------------------------------


@pytest.mark.parametrize("v", _cases("agent_scan_devices"))
def test_agent_scan_devices(v):
    scan = agent.scan_devices(v["registered"], v["updated"], v["current_from_eswitch"])
    for key in ("current", "added", "removed", "updated"):
        assert getattr(scan, key) == _devs(v["expected"][key])


@pytest.mark.parametrize("v", _cases("agent_treat_devices_added_updated"))
def test_agent_treat_devices_added_updated(v):
    if "steps" in v:
        ports: dict = {}
        for step in v["steps"]:
            if "rpc_details" in step:
                ports = agent.treat_devices_added_updated(
                    step["rpc_details"], ports, lambda d: True
                ).network_ports
            else:
                ports = agent.treat_devices_removed(
                    step["removed"], ports, lambda d: {"exists": True}
                ).network_ports
            want = {
                net: tuple((p["port_id"], eswitch.DeviceInfo(*p["device"])) for p in entries)
                for net, entries in step["expected_network_ports"].items()
            }
            assert ports == want
        return
    out = agent.treat_devices_added_updated(v["rpc_details"], {}, lambda d: v["device_exists"])
    assert out.resync is v["expected_resync"]
    if "expected_set_device_spoofcheck" in v:
        assert [list(c) for c in out.spoofcheck_calls] == v["expected_set_device_spoofcheck"]
    if "expected_set_device_state" in v:
        assert [list(c) for c in out.state_calls] == v["expected_set_device_state"]
    if "expected_update_device_list" in v:
        assert out.reported
        assert out.devices_up == _devs(v["expected_update_device_list"]["up"])
        assert out.devices_down == _devs(v["expected_update_device_list"]["down"])


@pytest.mark.parametrize("v", _cases("agent_treat_device"))
def test_agent_treat_device(v):
    out = agent.treat_device(
        v["device"],
        v["admin_state_up"],
        device_exists=v["device_exists"],
        set_state_error=v.get("set_device_state_raises"),
    )
    assert out.ok is v["expected"]


@pytest.mark.parametrize("v", _cases("agent_treat_devices_removed"))
def test_agent_treat_devices_removed(v):
    def down(device):
        if v["update_device_down_returns"] == "raises Exception":
            raise RuntimeError("rpc failed")
        return v["update_device_down_returns"]

    out = agent.treat_devices_removed(v["devices"], {}, down)
    assert out.resync is v["expected_resync"]
    assert bool(out.device_down_calls) is v["expected_update_device_down_called"]


def _ports(mapping: dict) -> dict:
    return {
        net: tuple((p["port_id"], eswitch.DeviceInfo(*p["device"])) for p in entries)
        for net, entries in mapping.items()
    }


@pytest.mark.parametrize("v", _cases("agent_network_ports"))
def test_agent_network_ports(v):
    ports: dict = {}
    for network_id, port_id, device in v["updates"]:
        ports = agent.update_network_ports(ports, network_id, port_id, device)
    assert ports == _ports(v["expected_after_updates"])
    for step in v["clean_steps"]:
        ports, port_id = agent.clean_network_ports(ports, step["clean"])
        assert port_id == step["returns"]
        assert ports == _ports(step["expected"])


@pytest.mark.parametrize("v", _cases("agent_report_state"))
def test_agent_report_state(v):
    config = agent_config.SriovAgentConfig({}, {}, v.get("rp_bandwidths", {}), {})
    got = agent_config.report_state_configurations(config, v.get("agent_extensions_cfg", []))
    for key, value in v["expected_configurations_subset"].items():
        assert got[key] == value


@pytest.mark.parametrize("v", _cases("rpc_port_update"))
def test_rpc_port_update(v):
    device = agent.port_update(v["port"])
    assert ({device} if device else set()) == _devs(v["expected_updated_devices"])


@pytest.mark.parametrize("v", _cases("rpc_network_update"))
def test_rpc_network_update(v):
    got = agent.network_update(_ports(v["network_ports"]), v["network"]["id"])
    assert got == _devs(v["expected_updated_devices"])


@pytest.mark.parametrize("v", _cases("rpc_binding_activate"))
def test_rpc_binding_activate(v):
    dev = eswitch.DeviceInfo("m", "s")
    ports = {"net": (("pid", dev),)} if v.get("port_known_in_network_ports") else {}
    out = agent.binding_activate(
        v["agent_host"],
        v["kwargs_host"],
        "pid",
        ports,
        lambda port_id: v.get("get_device_details", {}),
    )
    if "expected_activated_bindings_contains" in v:
        assert out.device == tuple(v["expected_activated_bindings_contains"])
    if "expected_activated_bindings" in v:
        assert out.device is None and not v["expected_activated_bindings"]
    if "expected_warning" in v:
        assert out.warning == v["expected_warning"] % "pid"


# --- QoS and FDB ---------------------------------------------------------------------------


@pytest.mark.parametrize("v", _cases("qos_agent_driver"))
def test_qos_agent_driver(v):
    if v["op"] == "_set_vf_max_rate":
        op, rule = "update", {"type": "bandwidth_limit", "max_kbps": 0}
    else:
        op, rule = v["op"], v["rule"]
    call = qos.qos_call(op, rule, v["port"], device_exists=v.get("device_exists", True))
    assert (list(call) if call else None) == v["expected_call"]


@pytest.mark.parametrize("v", _cases("fdb_init"))
def test_fdb_init(v):
    if "error" in v:
        with pytest.raises(ServiceTerminated):
            fdb.fdb_initialize(v["shared_physical_device_mappings"], v["driver_type"], {})
        return
    devices = fdb.fdb_devices(v["shared_physical_device_mappings"])
    assert [{"dev": d} for d in devices] == v["expected_show_calls"]


@pytest.mark.parametrize("v", _cases("fdb_handle_port"))
def test_fdb_handle_port(v):
    devices = fdb.fdb_devices(v["shared_physical_device_mappings"])
    ext = fdb.fdb_initialize(v["shared_physical_device_mappings"], "ovs", {d: [] for d in devices})
    ext, calls = fdb.handle_port(ext, v["details"], ok=lambda call: bool(v["add_returns"]))
    assert [[mac, dev] for op, mac, dev in calls if op == "add"] == v["expected_add_calls"]


@pytest.mark.parametrize("v", _cases("fdb_delete_port"))
def test_fdb_delete_port(v):
    devices = fdb.fdb_devices(v["shared_physical_device_mappings"])
    ext = fdb.fdb_initialize(v["shared_physical_device_mappings"], "ovs", {d: [] for d in devices})
    ext, _ = fdb.handle_port(ext, v["handle_first"], ok=lambda call: v["add_returns"])
    ext, calls = fdb.delete_port(ext, v["delete_details"], ok=lambda call: v["delete_returns"])
    if "expected_delete_calls" in v:
        assert [[mac, dev] for op, mac, dev in calls if op == "delete"] == v[
            "expected_delete_calls"
        ]
    for dev, macs in v.get("expected_macs_contains", {}).items():
        assert set(macs) <= set(ext.device_to_macs[dev])


def test_errors_are_input_errors():
    assert issubclass(InvalidDeviceError, NeutronError) and issubclass(NeutronError, ValueError)
