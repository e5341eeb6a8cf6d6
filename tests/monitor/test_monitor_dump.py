"""Netlink messages -> link entries: real pyroute2 messages, encoded and decoded as the
kernel's bytes would be, and the two ways a dump is asked for."""

from __future__ import annotations

from sriovctl.monitor import dump
from sriovctl.monitor.topology import topology_key


def vf_attrs(i: int, spoofchk: int = 1, trust: int = 0) -> tuple:
    stats = [(f"IFLA_VF_STATS_{k}", v) for k, v in (
        ("RX_PACKETS", 10 + i), ("TX_PACKETS", 20), ("RX_BYTES", 1000), ("TX_BYTES", 2000),
        ("BROADCAST", 3), ("MULTICAST", 4), ("RX_DROPPED", 5), ("TX_DROPPED", 6))]
    return ("IFLA_VF_INFO", {"attrs": [
        ("IFLA_VF_MAC", {"vf": i, "mac": f"fa:16:3e:00:00:{i:02x}"}),
        ("IFLA_VF_VLAN", {"vf": i, "vlan": 1000 if i == 0 else 0, "qos": 0}),
        ("IFLA_VF_RATE", {"vf": i, "min_tx_rate": 0, "max_tx_rate": 100}),
        ("IFLA_VF_SPOOFCHK", {"vf": i, "spoofchk": spoofchk}),
        ("IFLA_VF_LINK_STATE", {"vf": i, "link_state": 2}),
        ("IFLA_VF_TRUST", {"vf": i, "trust": trust}),
        ("IFLA_VF_STATS", {"attrs": stats}),
    ]})


def kernel_message(attrs: list):
    """An RTM_NEWLINK as the kernel would send it: encoded to bytes, then decoded."""
    from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

    msg = ifinfmsg()
    msg["index"] = 2
    msg["attrs"] = attrs
    msg.encode()
    decoded = ifinfmsg(bytes(msg.data))
    decoded.decode()
    return decoded


def pf_message():
    return kernel_message([
        ("IFLA_IFNAME", "ens1f0"), ("IFLA_ADDRESS", "b4:96:91:00:00:00"),
        ("IFLA_PARENT_DEV_NAME", "0000:3b:00.0"),
        ("IFLA_STATS64", {"rx_packets": 5, "tx_packets": 6, "rx_bytes": 7, "tx_bytes": 8,
                          "rx_dropped": 1, "tx_dropped": 2, "multicast": 3}),
        ("IFLA_VFINFO_LIST", {"attrs": [vf_attrs(0), vf_attrs(1, spoofchk=0, trust=1),
                                        vf_attrs(2, spoofchk=0xFFFFFFFF)]}),
    ])


def test_a_pf_message_gives_vfs_with_settings_stats_parent_and_own_counters():
    link = dump.monitor_link(pf_message())
    assert (link["ifname"], link["ifindex"], link["parentdev"]) == ("ens1f0", 2, "0000:3b:00.0")
    assert link["stats64"] == {
        "rx": {"bytes": 7, "packets": 5, "errors": 0, "dropped": 1, "multicast": 3},
        "tx": {"bytes": 8, "packets": 6, "errors": 0, "dropped": 2}}
    vf0, vf1, vf2 = link["vfinfo_list"]
    assert vf0["address"] == "fa:16:3e:00:00:00" and vf0["vlan_list"] == [{"vlan": 1000}]
    assert vf0["link_state"] == "disable" and vf0["rate"] == {"max_tx": 100, "min_tx": 0}
    assert vf0["stats"] == {"rx_packets": 10, "tx_packets": 20, "rx_bytes": 1000,
                            "tx_bytes": 2000, "broadcast": 3, "multicast": 4, "rx_dropped": 5,
                            "tx_dropped": 6}
    # pyroute2 calls the value fields "spoofchk"/"trust": both must come through
    assert (vf0["spoofchk"], vf0["trust"]) == (True, False)
    assert (vf1["spoofchk"], vf1["trust"]) == (False, True)
    assert "spoofchk" not in vf2  # the kernel's "cannot tell" (-1)


def test_a_plain_netdev_has_no_vf_list_and_no_parent_when_virtual():
    link = dump.monitor_link(kernel_message([("IFLA_IFNAME", "tap0")]))
    assert link["ifname"] == "tap0" and "vfinfo_list" not in link and "parentdev" not in link
    assert topology_key([link]) == ((), ())


class FakeIPRoute:
    """pyroute2.IPRoute as the two library generations answer a VF dump."""

    def __init__(self, link_dump: list, unfiltered_dump: list):
        self.link_dump, self.unfiltered_dump = link_dump, unfiltered_dump
        self.requests = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def link(self, command, **kwargs):
        self.requests.append((command, kwargs))
        return iter(self.unfiltered_dump if "match" in kwargs else self.link_dump)


def test_new_pyroute2_answers_the_link_dump(monkeypatch):
    import pyroute2

    fake = FakeIPRoute([pf_message()], [])
    monkeypatch.setattr(pyroute2, "IPRoute", lambda: fake)
    links = dump.dump_live()
    assert [x["ifname"] for x in links] == ["ens1f0"]
    assert fake.requests == [("dump", {"ext_mask": 1})]


def test_old_pyroute2_that_filters_everything_out_is_asked_without_the_filter(monkeypatch):
    """Debian bookworm's pyroute2 0.7 takes ext_mask for a reply filter (seen in the lab)."""
    import pyroute2

    fake = FakeIPRoute([], [pf_message()])
    monkeypatch.setattr(pyroute2, "IPRoute", lambda: fake)
    links = dump.dump_live()
    assert [x["ifname"] for x in links] == ["ens1f0"]
    assert fake.requests == [("dump", {"ext_mask": 1}), ("dump", {"ext_mask": 1, "match": None})]


def test_a_snapshot_root_reads_its_links_file(tmp_path):
    from sriovctl.host.root import Root

    (tmp_path / "_netlink").mkdir()
    (tmp_path / "_netlink/links.json").write_text('[{"ifname": "lo"}, 3]')
    assert dump.read_dump(Root(str(tmp_path))) == [{"ifname": "lo"}]
    assert dump.read_dump(Root(str(tmp_path / "nothing"))) == []
