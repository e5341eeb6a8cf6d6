"""The state file, drift between it and the host, apply, and persistence files."""

from __future__ import annotations

import json

import pytest

from sriovctl.changes.executor import execute
from sriovctl.changes.files import FileState
from sriovctl.errors import InputError
from sriovctl.vfs.context import find_pf
from sriovctl.vfs.drift import drift, plan_apply
from sriovctl.vfs.persist import (
    NM_RULES,
    PF_RULES,
    UNIT_PATH,
    WANTS_PATH,
    plan_persist,
    possible_vf_addresses,
    render_unit_file,
)
from sriovctl.vfs.settings import VfConfig
from sriovctl.vfs.state import STATE_PATH, State, load_state, parse_state, recorded

STATE = {"version": 1, "pfs": {"0000:01:00.0": {
    "netdev": "enp1s0", "device": "8086:10c9", "numvfs": 7,
    "vfs": {"0": {"mac": "fa:16:3e:fe:47:d2", "vlan": 1000, "spoofchk": True,
                  "trust": True}}}}}


def with_state(lab, data=STATE):
    lab.env.files.write(STATE_PATH, json.dumps(data).encode())
    return load_state(lab.env.files)


def test_state_round_trips():
    state = parse_state(json.dumps(STATE).encode(), "/s.json")
    assert state.pfs["0000:01:00.0"].vfs[0] == VfConfig(mac="fa:16:3e:fe:47:d2", vlan=1000,
                                                        spoofchk=True, trust=True)
    assert json.loads(state.to_json()) == STATE


@pytest.mark.parametrize("content, message", [
    (b"{not json", "is corrupt"),
    (b'{"pfs": {}}', "no version"),
    (b'{"version": 2, "pfs": {}}', "is version 2, written by a newer sriovctl"),
    (b'{"version": 1, "pfs": {"enp1s0": {}}}', "expected a PCI address"),
    (b'{"version": 1, "pfs": {"0000:01:00.0": {"numvfs": "7"}}}', "whole number"),
    (b'{"version": 1, "pfs": {"0000:01:00.0": {"vfs": {"0": {"trust": "maybe"}}}}}',
     "on or off"),
    (b'{"version": 1, "pfs": {"0000:01:00.0": {"vfio": ["5"]}}}', "list of VF indexes"),
])
def test_a_corrupt_or_newer_state_file_is_refused_in_one_line(content, message):
    with pytest.raises(InputError) as e:
        parse_state(content, "/etc/sriovctl/vfs.json")
    assert message in e.value.message and "\n" not in e.value.one_line()


def test_recording_merges_settings_and_forgets_vfs_beyond_a_smaller_count(lab):
    lab = lab(7)
    pf = find_pf(lab.host(), "enp1s0")
    state = recorded(State(), pf, vfs={5: VfConfig(trust=True),
                                       0: VfConfig(mac="fa:16:3e:00:00:01")})
    assert state.pfs[pf.address].numvfs == 7  # settings alone record the count too
    state = recorded(state, pf, vfs={0: VfConfig(vlan=10)})
    assert state.pfs[pf.address].vfs[0] == VfConfig(mac="fa:16:3e:00:00:01", vlan=10)
    state = recorded(state, pf, numvfs=3)
    assert set(state.pfs[pf.address].vfs) == {0}


def test_drift_lists_each_difference_and_apply_changes_only_those(lab):
    lab = lab(0)
    state = with_state(lab)
    rows = [(d.vf, d.field, d.want, d.have) for d in drift(state, lab.host())]
    assert rows == [(None, "numvfs", 7, 0), (0, "mac", "fa:16:3e:fe:47:d2", None),
                    (0, "spoofchk", True, None), (0, "trust", True, None),
                    (0, "vlan", "1000", None)]
    plan, skipped = plan_apply(lab.env, state, lab.host())
    execute(plan, lab.env.say, lab.env.guard)
    assert skipped == [] and drift(state, lab.host()) == []
    assert lab.netlink.writes()[-1][1][2] == {"mac": "fa:16:3e:fe:47:d2", "vlan": 1000,
                                              "qos": 0, "vlan_proto": "802.1Q", "trust": True}
    plan, _ = plan_apply(lab.env, state, lab.host())
    assert not plan  # idempotent: a second apply changes nothing


def test_vfio_vfs_come_back_on_vfio_after_the_vfs_are_recreated(lab):
    """At boot re-creation puts every VF on igbvf: the recorded vfio-pci binding follows."""
    lab = lab(0)
    (lab.root / "sys/bus/pci/drivers/vfio-pci").mkdir(parents=True, exist_ok=True)
    data = json.loads(json.dumps(STATE))
    data["pfs"]["0000:01:00.0"]["vfio"] = [5, 6]
    state = with_state(lab, data)
    assert json.loads(state.to_json()) == data
    assert [(d.vf, d.field, d.want) for d in drift(state, lab.host())][-2:] == [
        (5, "driver", "vfio-pci"), (6, "driver", "vfio-pci")]
    plan, _ = plan_apply(lab.env, state, lab.host())
    assert plan.describe()[-1] == "enp1s0: bind VF 5-6 to vfio-pci"
    execute(plan, lab.env.say, lab.env.guard)
    assert [lab.kernel.driver_of(f"0000:01:11.{f}") for f in (2, 4)] == ["vfio-pci"] * 2
    assert lab.kernel.driver_of("0000:01:10.0") == "igbvf"
    assert drift(state, lab.host()) == [] and not plan_apply(lab.env, state, lab.host())[0]
    # a smaller count forgets the vfio VFs that no longer exist
    pf = find_pf(lab.host(), "enp1s0")
    assert recorded(state, pf, numvfs=6).pfs[pf.address].vfio == (5,)


def test_apply_skips_a_missing_or_swapped_pf_and_says_why(lab):
    lab = lab(0)
    data = json.loads(json.dumps(STATE))
    data["pfs"]["0000:01:00.0"]["device"] = "15b3:1017"
    data["pfs"]["0000:5e:00.0"] = {"netdev": "ens5f0", "numvfs": 4}
    plan, skipped = plan_apply(lab.env, with_state(lab, data), lab.host())
    assert not plan
    assert skipped[0].startswith("PF 0000:01:00.0 (enp1s0) is now a 8086:10c9, not the 15b3")
    assert skipped[1] == "PF 0000:5e:00.0 (ens5f0) is not on this host"


def test_a_setting_the_pf_cannot_take_now_is_skipped_but_the_vfs_are_created(lab):
    lab = lab(0)
    (lab.root / "sys/class/net/enp1s0/operstate").write_text("down\n")
    data = json.loads(json.dumps(STATE))
    data["pfs"]["0000:01:00.0"]["vfs"]["1"] = {"max_tx_rate": 100}
    plan, skipped = plan_apply(lab.env, with_state(lab, data), lab.host())
    execute(plan, lab.env.say, lab.env.guard)
    assert lab.kernel.numvfs("enp1s0") == 7 and lab.netlink.vfs("enp1s0")[0].trust is True
    assert len(skipped) == 1 and "max_tx_rate only while the PF link is up" in skipped[0]


def test_persist_writes_unit_rules_and_the_wants_link(lab):
    lab = lab(7)
    state = with_state(lab)
    (lab.root / "run/udev").mkdir(parents=True)
    (lab.root / "run/udev/control").write_text("")
    plan = plan_persist(lab.env, state, lab.host(), nm_unmanaged=True,
                        argv=["/usr/bin/sriovctl"])
    execute(plan)
    files = lab.env.files
    unit = files.text(UNIT_PATH)
    assert "Before=network-pre.target NetworkManager.service" in unit
    assert "openvswitch.service" in unit and "Type=oneshot" in unit
    assert ("ExecStart=/usr/bin/sriovctl vfs apply --state /etc/sriovctl/vfs.json "
            "--wait-pf 60") in unit
    assert files.readlink(WANTS_PATH) == UNIT_PATH
    assert ('ACTION=="add", SUBSYSTEM=="net", KERNELS=="0000:01:00.0", RUN+="/usr/bin/'
            'sriovctl vfs apply --state /etc/sriovctl/vfs.json --pf 0000:01:00.0 --wait-pf 30"'
            ) in files.text(PF_RULES)
    nm = files.text(NM_RULES)
    assert 'KERNELS=="0000:01:10.0|0000:01:10.2|' in nm and 'ENV{NM_UNMANAGED}="1"' in nm
    assert lab.env.commands.log == [["udevadm", "control", "--reload"]]
    again = plan_persist(lab.env, state, lab.host(), nm_unmanaged=True,
                         argv=["/usr/bin/sriovctl"])
    assert not again and "already persistent" in again.notes[0]


def test_vf_addresses_for_the_nm_rule_cover_vfs_not_created_yet(lab):
    lab = lab(0)
    pf = find_pf(lab.host(), "enp1s0")
    assert possible_vf_addresses(pf) == ["0000:01:10.0", "0000:01:10.2", "0000:01:10.4",
                                         "0000:01:10.6", "0000:01:11.0", "0000:01:11.2",
                                         "0000:01:11.4"]


def test_the_unit_file_quotes_a_path_with_spaces():
    assert 'ExecStart="/opt/my tools/sriovctl" vfs apply' in render_unit_file(
        ["/opt/my tools/sriovctl"])


def test_persist_keeps_an_existing_state_files_mode(lab):
    lab = lab(7)
    lab.env.files.files[STATE_PATH] = FileState(json.dumps(STATE).encode(), 0o600, 0, 0)
    state = recorded(load_state(lab.env.files), find_pf(lab.host(), "enp1s0"),
                     vfs={1: VfConfig(trust=True)})
    execute(plan_persist(lab.env, state, lab.host(), argv=["sriovctl"]))
    assert lab.env.files.files[STATE_PATH].mode == 0o600
    assert lab.env.files.files[STATE_PATH + ".sriovctl.bak"].content == json.dumps(STATE).encode()
