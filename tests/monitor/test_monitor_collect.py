"""The collector over fixture roots: counter sources, labels, caches, failures."""

from __future__ import annotations

import json
import os

from vfdumps import (
    PF_PCI,
    VF_PCI,
    Dumps,
    domain_xml,
    netdev_link,
    pf_link,
    pf_root,
    vf_info,
    write_domain,
    write_links,
)

from sriovctl.monitor import domains, topology
from sriovctl.monitor.collect import Monitor

from hostbuilder import big_host


def by_index(sample) -> dict:
    return {v.index: v for v in sample.vfs}


def test_igb_counters_come_from_the_vf_netdevs_and_say_so(igb):
    sample = Monitor(str(igb)).scrape()
    assert sample.host == "compute-0" and sample.errors == ()
    vfs = by_index(sample)
    assert [v.address for v in sample.vfs] == VF_PCI[:3]
    assert vfs[0].stats_source == "vf_netdev" and vfs[0].netdev == "enp1s0v0"
    assert vfs[0].counters == {"rx_packets": 51, "tx_packets": 59, "rx_bytes": 3086,
                               "tx_bytes": 3726, "multicast": 1, "rx_dropped": 50,
                               "tx_dropped": 0}
    assert "broadcast" not in vfs[0].counters  # a netdev does not count broadcasts apart
    assert vfs[1].stats_source == "vf_netdev" and vfs[1].counters["rx_packets"] == 0
    # VF 2's netdev is not in the dump (another namespace, or no driver): no counters at all,
    # rather than the PF driver's meaningless zeros
    assert vfs[2].stats_source == "none" and vfs[2].counters == {}


def test_settings_and_pf_facts_come_through(igb):
    sample = Monitor(str(igb), physnets={"enp1s0": "physnet2"}).scrape()
    vfs = by_index(sample)
    assert (vfs[1].vlan, vfs[1].trust, vfs[1].spoofchk) == (1000, True, True)
    assert vfs[2].spoofchk is False and vfs[0].mac == "52:a8:23:12:a1:2d"
    assert {v.physnet for v in sample.vfs} == {"physnet2"}
    assert {(v.driver, v.link_state, v.pf_pci) for v in sample.vfs} == {
        ("igbvf", "auto", PF_PCI)}
    (pf,) = sample.pfs
    assert (pf.netdev, pf.address, pf.driver, pf.physnet) == ("enp1s0", PF_PCI, "igb",
                                                               "physnet2")
    assert (pf.totalvfs, pf.numvfs, pf.vfs_in_use, pf.numvfs_persisted) == (7, 3, 0, None)


def test_a_pf_driver_that_reports_vf_stats_is_the_source(tmp_path):
    root = pf_root(tmp_path / "root", num=2, driver="ice", vf_driver="iavf")
    write_links(root, [
        pf_link([vf_info(0, stats={"rx_packets": 7, "broadcast": 2}), vf_info(1)]),
        netdev_link("enp1s0v0", VF_PCI[0], rx_packets=5),
    ])
    vfs = by_index(Monitor(str(root)).scrape())
    assert vfs[0].stats_source == "pf"
    assert vfs[0].counters["rx_packets"] == 7 and vfs[0].counters["broadcast"] == 2
    # the PF counts VF 1 too, netdev or not (it may be in a guest)
    assert vfs[1].stats_source == "pf"


def test_an_unknown_driver_reporting_zeros_is_found_out_after_three_scrapes(tmp_path):
    root = pf_root(tmp_path / "root", num=2, driver="ixgbe", vf_driver="ixgbevf")
    dumps = Dumps([pf_link([vf_info(0), vf_info(1)]),
                   netdev_link("enp1s0v0", VF_PCI[0], tx_packets=10)])
    monitor = Monitor(str(root), dump=dumps)
    sources = []
    for n in range(4):
        dumps.links[1]["stats64"]["tx"]["packets"] = 10 + n
        sources.append(by_index(monitor.scrape())[0].stats_source)
    assert sources == ["pf", "pf", "vf_netdev", "vf_netdev"]
    # once concluded it stays: no flapping when the VF falls quiet
    dumps.links[1]["stats64"]["tx"]["packets"] = 0
    assert by_index(monitor.scrape())[0].stats_source == "vf_netdev"


def test_a_quiet_host_is_not_taken_for_a_driver_without_vf_stats(tmp_path):
    root = pf_root(tmp_path / "root", num=1, driver="ixgbe", vf_driver="ixgbevf")
    dumps = Dumps([pf_link([vf_info(0)]), netdev_link("enp1s0v0", VF_PCI[0])])
    monitor = Monitor(str(root), dump=dumps)
    assert {by_index(monitor.scrape())[0].stats_source for _ in range(5)} == {"pf"}


def test_sysfs_is_read_only_when_the_dump_shows_a_change(igb):
    dumps = Dumps(json.loads((igb / "_netlink/links.json").read_text()))
    now = [0.0]
    monitor = Monitor(str(igb), dump=dumps, clock=lambda: now[0], max_age=300)
    for _ in range(3):
        monitor.scrape()
    assert monitor.topology_reads == 1
    dumps.links.append(netdev_link("tap1", None))  # an instance's tap: not a VF matter
    dumps.links[0]["vfinfo_list"][0]["stats"]["rx_packets"] = 5  # counters move each scrape
    monitor.scrape()
    assert monitor.topology_reads == 1
    del dumps.links[2]  # enp1s0v1 went away: VF 1 bound to vfio-pci for a guest
    monitor.scrape()
    assert monitor.topology_reads == 2
    dumps.links[0]["vfinfo_list"].pop()  # numvfs changed
    sample = monitor.scrape()
    assert monitor.topology_reads == 3 and sample.topology_reads == 3
    now[0] = 301.0  # nothing visible changed, but the cache is older than max_age
    monitor.scrape()
    assert monitor.topology_reads == 4


def test_topology_follows_sysfs_when_it_is_reread(tmp_path):
    root = pf_root(tmp_path / "root", num=3)
    dumps = Dumps([pf_link([vf_info(i) for i in range(3)])])
    monitor = Monitor(str(root), dump=dumps)
    assert by_index(monitor.scrape())[1].driver == "igbvf"
    vf_dir = os.path.realpath(root / "sys/bus/pci/devices" / VF_PCI[1])
    os.unlink(os.path.join(vf_dir, "driver"))
    os.symlink(os.path.relpath(root / "sys/bus/pci/drivers/vfio-pci", vf_dir),
               os.path.join(vf_dir, "driver"))
    dumps.links[0]["vfinfo_list"].pop()  # any visible change triggers the re-read
    vfs = by_index(monitor.scrape())
    assert vfs[1].driver == "vfio-pci" and vfs[1].in_use


def test_without_pci_parents_vf_netdevs_are_found_by_their_sysfs_names(igb):
    links = json.loads((igb / "_netlink/links.json").read_text())
    for link in links:
        link.pop("parentdev", None)  # kernels before 5.16
    write_links(igb, links)
    vfs = by_index(Monitor(str(igb)).scrape())
    assert vfs[0].netdev == "enp1s0v0" and vfs[0].counters["tx_packets"] == 59


def test_running_domains_label_their_vfs(igb):
    write_domain(igb, "instance-0000002a", domain_xml(
        "instance-0000002a", interfaces=[(VF_PCI[1], "FA:16:3E:FE:47:D2")]))
    write_domain(igb, "instance-0000002b", domain_xml(
        "instance-0000002b", hostdevs=[VF_PCI[2]], status=False))
    write_domain(igb, "macvtap-guest", domain_xml(
        "macvtap-guest", direct=[("enp1s0v0", "fa:16:3e:00:00:01")]))
    (igb / "run/libvirt/qemu/instance-0000002a.pid").write_text("42\n")
    sample = Monitor(str(igb)).scrape()
    vfs = by_index(sample)
    assert (vfs[1].domain, vfs[1].port_mac) == ("instance-0000002a", "fa:16:3e:fe:47:d2")
    assert (vfs[2].domain, vfs[2].port_mac) == ("instance-0000002b", "")
    assert (vfs[0].domain, vfs[0].port_mac) == ("macvtap-guest", "fa:16:3e:00:00:01")
    assert all(v.in_use for v in sample.vfs) and sample.pfs[0].vfs_in_use == 3


def test_domain_files_are_parsed_again_only_when_the_directory_changes(igb, monkeypatch):
    path = write_domain(igb, "vm1", domain_xml("vm1", interfaces=[(VF_PCI[1], "fa:16:3e:0:0:1")]))
    calls = []
    real = domains.running_attachments
    monkeypatch.setattr(domains, "running_attachments",
                        lambda root: calls.append(1) or real(root))
    monitor = Monitor(str(igb))
    for _ in range(3):
        assert by_index(monitor.scrape())[1].domain == "vm1"
    assert len(calls) == 1
    path.unlink()  # the domain stopped
    assert by_index(monitor.scrape())[1].domain == ""
    assert len(calls) == 2


def test_the_persisted_state_gives_the_wanted_counts_and_spoofchk(igb):
    state = igb / "etc/sriovctl/vfs.json"
    state.parent.mkdir(parents=True)
    state.write_text(json.dumps({"version": 1, "pfs": {PF_PCI: {
        "netdev": "enp1s0", "numvfs": 7, "vfs": {"2": {"spoofchk": True}}}}}))
    sample = Monitor(str(igb), state_path="/etc/sriovctl/vfs.json").scrape()
    assert sample.pfs[0].numvfs_persisted == 7 and sample.pfs[0].numvfs == 3
    vfs = by_index(sample)
    assert (vfs[2].spoofchk, vfs[2].spoofchk_persisted) == (False, True)
    assert vfs[0].spoofchk_persisted is None


def test_a_corrupt_state_file_is_a_scrape_error_not_a_crash(igb):
    state = igb / "etc/sriovctl/vfs.json"
    state.parent.mkdir(parents=True)
    state.write_text("{not json")
    sample = Monitor(str(igb), state_path="/etc/sriovctl/vfs.json").scrape()
    assert [s for s, _ in sample.errors] == ["vf_state"]
    assert "is corrupt" in sample.errors[0][1]
    assert sample.pfs[0].numvfs_persisted is None and len(sample.vfs) == 3


def test_a_failed_netlink_dump_is_reported_and_yields_no_vfs(igb):
    def broken(root):
        raise OSError(93, "Protocol not supported")

    sample = Monitor(str(igb), dump=broken).scrape()
    assert sample.vfs == () and sample.pfs == ()
    assert sample.errors == (("netlink", "OSError: [Errno 93] Protocol not supported"),)


def test_a_snapshot_tarball_works_too(tmp_path, igb):
    import tarfile

    tarball = tmp_path / "host.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        for name in os.listdir(igb):
            tar.add(igb / name, arcname=name)
    monitor = Monitor(str(tarball))
    first, second = monitor.scrape(), monitor.scrape()
    assert [v.address for v in first.vfs] == VF_PCI[:3]
    assert second.vfs == first.vfs and monitor.topology_reads == 1


def test_bad_link_entries_are_skipped(igb):
    write_links(igb, [pf_link([vf_info(0), {"vf": "x"}, "junk"]), {"ifname": 3}, "junk"])
    sample = Monitor(str(igb)).scrape()
    assert [v.index for v in sample.vfs] == [0] and sample.pfs[0].numvfs == 3


def test_vf_stats_as_ip_json_prints_them_are_read_too(tmp_path):
    """A snapshot may carry `ip -j -s -d link` output, which nests the VF stats."""
    root = pf_root(tmp_path / "root", num=1, driver="ice", vf_driver="iavf")
    info = vf_info(0)
    info["stats"] = {"rx": {"bytes": 640, "packets": 10, "multicast": 2, "broadcast": 1,
                            "dropped": 3},
                     "tx": {"tx_bytes": 1280, "tx_packets": 20, "dropped": 4}}
    write_links(root, [pf_link([info])])
    (vf,) = Monitor(str(root)).scrape().vfs
    assert vf.stats_source == "pf"
    assert vf.counters == {"rx_packets": 10, "rx_bytes": 640, "tx_packets": 20,
                           "tx_bytes": 1280, "broadcast": 1, "multicast": 2, "rx_dropped": 3,
                           "tx_dropped": 4}


def test_only_the_pf_that_changed_is_read_again(tmp_path, monkeypatch):
    root = big_host(tmp_path / "root", pfs=2, vfs=2).build()
    vfs = {"ens1f0": ["0000:3b:01.0", "0000:3b:01.1"], "ens2f0": ["0000:4b:01.0", "0000:4b:01.1"]}
    dumps = Dumps([pf_link([vf_info(0), vf_info(1)], name="ens1f0", pci="0000:3b:00.0"),
                   pf_link([vf_info(0), vf_info(1)], name="ens2f0", pci="0000:4b:00.0"),
                   *(netdev_link(f"{pf}v{i}", pci) for pf, pcis in vfs.items()
                     for i, pci in enumerate(pcis))])
    reads = []
    real = topology.read_pf
    monkeypatch.setattr(topology, "read_pf", lambda r, name, p: reads.append(name) or
                        real(r, name, p))
    monitor = Monitor(str(root), dump=dumps)
    monitor.scrape()
    assert sorted(reads) == ["ens1f0", "ens2f0"]
    reads.clear()
    dumps.links.pop()  # ens2f0v1 gone: VF 1 of ens2f0 bound to vfio-pci
    sample = monitor.scrape()
    assert reads == ["ens2f0"]
    assert {v.address for v in sample.vfs} == set(vfs["ens1f0"] + vfs["ens2f0"])
    reads.clear()
    dumps.links[0]["vfinfo_list"].pop()  # ens1f0 down to 1 VF
    monitor.scrape()
    assert reads == ["ens1f0"] and monitor.topology_reads == 3


def test_a_failed_dump_keeps_the_cached_topology(igb):
    dumps = Dumps(json.loads((igb / "_netlink/links.json").read_text()))
    failing = [False]

    def dump(root):
        if failing[0]:
            raise OSError("netlink gone")
        return dumps(root)

    monitor = Monitor(str(igb), dump=dump)
    monitor.scrape()
    failing[0] = True
    assert monitor.scrape().vfs == ()
    failing[0] = False
    assert len(monitor.scrape().vfs) == 3
    assert monitor.topology_reads == 1
