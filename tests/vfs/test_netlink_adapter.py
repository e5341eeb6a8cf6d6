"""The netlink adapter: VF set messages encoded by hand must be exactly what pyroute2 reads
as the right NLAs; kernel answers decode to VfSettings."""

from __future__ import annotations

import struct

import pytest
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from sriovctl.changes.rtnl import ack_errno, setlink_vf
from sriovctl.host.netlink import link_to_json, vf_settings_from_links


def decode(data: bytes) -> dict:
    msg = ifinfmsg(data)
    msg.decode()
    assert msg["header"]["type"] == 16 and msg["header"]["flags"] == 0x5  # NEWLINK, REQ|ACK
    assert msg["header"]["length"] == len(data) and msg["index"] == 7
    (info,) = msg.get_attr("IFLA_VFINFO_LIST").get_attrs("IFLA_VF_INFO")
    return {name: value for name, value in info["attrs"]}


def test_mac_vlan_spoofchk_trust_encode_as_the_kernel_expects():
    nlas = decode(setlink_vf(7, 3, {"mac": "fa:16:3e:fe:47:d2", "vlan": 1000, "qos": 0,
                                    "vlan_proto": "802.1Q", "spoofchk": True,
                                    "trust": False}, seq=42))
    assert list(nlas) == ["IFLA_VF_MAC", "IFLA_VF_VLAN", "IFLA_VF_SPOOFCHK", "IFLA_VF_TRUST"]
    assert (nlas["IFLA_VF_MAC"]["vf"], nlas["IFLA_VF_MAC"]["mac"]) == (3, "fa:16:3e:fe:47:d2")
    assert (nlas["IFLA_VF_VLAN"]["vlan"], nlas["IFLA_VF_VLAN"]["qos"]) == (1000, 0)
    assert nlas["IFLA_VF_SPOOFCHK"]["spoofchk"] == 1 and nlas["IFLA_VF_TRUST"]["trust"] == 0


def test_802_1ad_rates_and_link_state_encode_too():
    nlas = decode(setlink_vf(7, 1, {"vlan": 100, "qos": 3, "vlan_proto": "802.1ad",
                                    "min_tx_rate": 10, "max_tx_rate": 100,
                                    "link_state": "disable"}, seq=1))
    (info,) = nlas["IFLA_VF_VLAN_LIST"].get_attrs("IFLA_VF_VLAN_INFO")
    assert (info["vf"], info["vlan"], info["qos"], info["proto"]) == (1, 100, 3, 0x88A8)
    assert (nlas["IFLA_VF_RATE"]["min_tx_rate"], nlas["IFLA_VF_RATE"]["max_tx_rate"]) == (10, 100)
    assert nlas["IFLA_VF_LINK_STATE"]["link_state"] == 2


@pytest.mark.parametrize("error, expected", [(0, 0), (-95, 95)])
def test_acks_give_the_errno_of_our_sequence_number(error, expected):
    other = struct.pack("IHHII", 36, 2, 0, 6, 0) + struct.pack("i", -1) + b"\0" * 16
    ours = struct.pack("IHHII", 36, 2, 0, 7, 0) + struct.pack("i", error) + b"\0" * 16
    assert ack_errno(other + ours, 7) == expected
    assert ack_errno(other, 7) is None


def test_a_kernel_answer_decodes_to_settings_including_spoofchk_and_trust():
    msg = ifinfmsg()
    msg["index"] = 2
    msg["attrs"] = [("IFLA_IFNAME", "enp1s0"), ("IFLA_VFINFO_LIST", {"attrs": [
        ("IFLA_VF_INFO", {"attrs": [
            ("IFLA_VF_MAC", {"vf": 0, "mac": "fa:16:3e:fe:47:d2"}),
            ("IFLA_VF_VLAN", {"vf": 0, "vlan": 1000, "qos": 0}),
            ("IFLA_VF_RATE", {"vf": 0, "min_tx_rate": 0, "max_tx_rate": 100}),
            ("IFLA_VF_SPOOFCHK", {"vf": 0, "spoofchk": 1}),
            ("IFLA_VF_TRUST", {"vf": 0, "trust": 1}),
            ("IFLA_VF_LINK_STATE", {"vf": 0, "link_state": 0}),
        ]})]})]
    msg.encode()
    decoded = ifinfmsg(msg.data)
    decoded.decode()
    (vf,) = vf_settings_from_links([link_to_json(decoded)])["enp1s0"]
    assert (vf.mac, vf.vlan, vf.spoofchk, vf.trust, vf.max_tx_rate, vf.link_state) == (
        "fa:16:3e:fe:47:d2", 1000, True, True, 100, "auto")
