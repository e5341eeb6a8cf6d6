"""The one pyroute2 adapter: settings -> vf dicts, and kernel answers -> VfSettings."""

from __future__ import annotations

from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from sriovctl.changes.netlink import vf_request
from sriovctl.host.netlink import link_to_json, vf_settings_from_links


def test_vf_request_uses_the_nlas_every_driver_understands():
    assert vf_request(0, {"mac": "fa:16:3e:fe:47:d2", "vlan": 1000, "qos": 0,
                          "vlan_proto": "802.1Q", "spoofchk": True, "trust": True}) == {
        "vf": 0, "mac": "fa:16:3e:fe:47:d2", "vlan": {"vlan": 1000, "qos": 0},
        "spoofchk": 1, "trust": 1}


def test_vf_request_802_1ad_goes_in_a_vlan_list_and_rates_travel_together():
    assert vf_request(2, {"vlan": 100, "qos": 3, "vlan_proto": "802.1ad"}) == {
        "vf": 2, "vlan": [{"vlan": 100, "qos": 3, "proto": 0x88A8}]}
    assert vf_request(1, {"max_tx_rate": 100, "min_tx_rate": 0, "link_state": "disable"}) == {
        "vf": 1, "rate": {"min_tx_rate": 0, "max_tx_rate": 100}, "link_state": 2}


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
