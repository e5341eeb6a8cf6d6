"""VF settings: parsing `ip link` words, the capability table, programming and rollback."""

from __future__ import annotations

import errno

import pytest

from sriovctl.changes.executor import execute
from sriovctl.errors import ChangeFailed, InputError
from sriovctl.host.model import VfSettings
from sriovctl.vfs.capabilities import caps_for, refusals
from sriovctl.vfs.context import find_pf
from sriovctl.vfs.program import plan_settings
from sriovctl.vfs.settings import VfConfig, differences, parse_words


def test_ip_link_words_parse_to_a_validated_config():
    c = parse_words("mac FA:16:3E:FE:47:D2 vlan 1000 spoofchk on trust on".split())
    assert c == VfConfig(mac="fa:16:3e:fe:47:d2", vlan=1000, spoofchk=True, trust=True)
    assert parse_words("vlan 100 qos 3 proto 802.1ad state disable rate 50".split()) == \
        VfConfig(vlan=100, qos=3, vlan_proto="802.1ad", link_state="disable", max_tx_rate=50)


@pytest.mark.parametrize("words, message", [
    ("mac 01:00:5e:00:00:01", "multicast"),
    ("mac fa:16:3e", "not a MAC"),
    ("vlan 4096", "between 0 and 4095"),
    ("qos 3", "need a VLAN"),
    ("spoofchk yes", "on or off"),
    ("state up", "state must be"),
    ("min_tx_rate 100 max_tx_rate 10", "above max_tx_rate"),
    ("colour blue", "unknown VF setting"),
    ("trust", "needs a value"),
])
def test_bad_words_are_input_errors(words, message):
    with pytest.raises(InputError, match=message):
        parse_words(words.split())


def test_vlan_carries_qos_and_proto_when_compared():
    have = VfSettings(index=0, vlan=1000, qos=3, vlan_proto="802.1Q")
    assert differences(VfConfig(vlan=1000), have) == {"qos": (0, 3)}
    assert differences(VfConfig(vlan=1000, qos=3), have) == {}


def test_igb_capabilities_are_the_lab_facts():
    igb = caps_for("igb")
    assert refusals(igb, {"link_state": "enable"}, True) == [
        "igb cannot set a VF's link state (the kernel answers EOPNOTSUPP)"]
    assert refusals(igb, {"min_tx_rate": 10}, True)
    assert refusals(igb, {"max_tx_rate": 100}, True) == []
    assert "PF link is up" in refusals(igb, {"max_tx_rate": 100}, False)[0]
    assert refusals(igb, {"vlan": 5, "vlan_proto": "802.1ad"}, True)
    assert refusals(caps_for("mlx5_core"), {"vlan": 5, "vlan_proto": "802.1ad"}, True) == []
    assert refusals(caps_for("somethingnew"), {"link_state": "enable"}, True) == []


def program(lab, wanted):
    host = lab.host()
    plan = plan_settings(lab.env, host, find_pf(host, "enp1s0"), wanted)
    execute(plan, lab.env.say, lab.env.guard)
    return plan


def test_settings_go_in_one_message_per_vf_and_are_read_back(lab):
    lab = lab(7)
    program(lab, {0: parse_words("mac fa:16:3e:fe:47:d2 vlan 1000 spoofchk on trust on".split())})
    assert lab.netlink.writes() == [("set_vf", ("enp1s0", 0, {
        "mac": "fa:16:3e:fe:47:d2", "vlan": 1000, "qos": 0, "vlan_proto": "802.1Q",
        "trust": True}))]  # spoofchk was already on: not sent
    vf0 = lab.netlink.vfs("enp1s0")[0]
    assert (vf0.mac, vf0.vlan, vf0.spoofchk, vf0.trust) == ("fa:16:3e:fe:47:d2", 1000, True, True)


def test_nothing_is_sent_when_the_vf_already_matches(lab):
    lab = lab(7)
    plan = program(lab, {2: VfConfig(spoofchk=True)})
    assert lab.netlink.writes() == [] and plan.notes == ["enp1s0 VF 2 already has spoofchk on"]


def test_an_unsupported_setting_is_refused_before_any_write(lab):
    lab = lab(7)
    with pytest.raises(InputError) as e:
        program(lab, {0: VfConfig(trust=True), 1: VfConfig(link_state="enable")})
    assert "nothing was written" in e.value.message and "VF 1: igb cannot set" in e.value.message
    assert lab.netlink.writes() == []


def test_a_kernel_refusal_rolls_back_the_vfs_already_programmed(lab):
    lab = lab(7)
    lab.netlink.refuse[("enp1s0", "max_tx_rate")] = errno.EINVAL
    with pytest.raises(ChangeFailed) as e:
        program(lab, {0: VfConfig(trust=True), 1: VfConfig(mac="fa:16:3e:00:00:01",
                                                            max_tx_rate=100)})
    assert "enp1s0 VF 1: setting" in e.value.message and "EINVAL" in e.value.message
    vfs = lab.netlink.vfs("enp1s0")
    assert vfs[0].trust is False  # undone
    assert vfs[1].mac == "00:00:00:00:00:00"  # the half-applied message undone too


def test_a_vf_that_does_not_exist_is_an_input_error(lab):
    lab = lab(3)
    with pytest.raises(InputError, match="there is no VF 5"):
        program(lab, {5: VfConfig(trust=True)})


def test_a_rate_change_sends_both_rates(lab):
    lab = lab(2)
    program(lab, {1: VfConfig(max_tx_rate=100)})
    assert lab.netlink.writes()[-1] == ("set_vf", ("enp1s0", 1, {"min_tx_rate": 0,
                                                                  "max_tx_rate": 100}))
