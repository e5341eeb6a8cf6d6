"""The exporter's text output, read back with prometheus_client's own parser."""

from __future__ import annotations

import json

import pytest
from prometheus_client.parser import text_string_to_metric_families
from vfdumps import PF_PCI, VF_PCI, domain_xml, write_domain

from sriovctl.monitor.collect import Monitor
from sriovctl.monitor.metrics import PF_LABELS, VF_LABELS, exposition


def scrape(monitor) -> dict:
    """{family name: family} from the exposition text."""
    text = exposition(monitor).decode()
    return {f.name: f for f in text_string_to_metric_families(text)}


def samples(families: dict, name: str) -> list:
    return families[name].samples


@pytest.fixture
def families(igb):
    write_domain(igb, "instance-0000002a", domain_xml(
        "instance-0000002a", interfaces=[(VF_PCI[1], "fa:16:3e:fe:47:d2")]))
    state = igb / "etc/sriovctl/vfs.json"
    state.parent.mkdir(parents=True)
    wanted = {"numvfs": 7, "vfs": {"2": {"spoofchk": True}}}
    state.write_text(json.dumps({"version": 1, "pfs": {PF_PCI: wanted}}))
    return scrape(Monitor(str(igb), physnets={"enp1s0": "physnet2"},
                          state_path="/etc/sriovctl/vfs.json"))


def test_counters_are_typed_counters_with_the_vf_labels_and_their_source(families):
    family = families["sriov_vf_tx_packets"]
    assert family.type == "counter"
    sample = next(s for s in family.samples if s.labels["vf"] == "0")
    assert sample.name == "sriov_vf_tx_packets_total" and sample.value == 59
    assert sample.labels == {"host": "compute-0", "pf": "enp1s0", "vf": "0",
                             "vf_pci": VF_PCI[0], "physnet": "physnet2", "domain": "",
                             "port_mac": "", "source": "vf_netdev"}
    for name in ("sriov_vf_rx_packets", "sriov_vf_rx_bytes", "sriov_vf_tx_bytes",
                 "sriov_vf_rx_multicast_packets", "sriov_vf_rx_dropped_packets",
                 "sriov_vf_tx_dropped_packets"):
        assert families[name].type == "counter"
        vfs = {s.labels["vf"] for s in families[name].samples if s.name.endswith("_total")}
        assert vfs == {"0", "1"}, name  # VF 2 has no counter source
    rx_dropped = {s.labels["vf"]: s.value for s in samples(families,
                                                          "sriov_vf_rx_dropped_packets")
                  if s.name.endswith("_total")}
    assert rx_dropped == {"0": 50, "1": 0}


def test_info_carries_the_settings_and_the_domain_labels(families):
    info = {s.labels["vf"]: s.labels for s in samples(families, "sriov_vf_info")}
    assert families["sriov_vf_info"].type == "gauge"  # the text format has no info type
    assert info["1"]["domain"] == "instance-0000002a"
    assert info["1"]["port_mac"] == "fa:16:3e:fe:47:d2"
    assert (info["1"]["vlan"], info["1"]["trust"], info["1"]["spoofchk"]) == ("1000", "on", "on")
    assert (info["2"]["spoofchk"], info["2"]["stats_source"]) == ("off", "none")
    assert (info["0"]["netdev"], info["0"]["driver"], info["0"]["link_state"]) == (
        "enp1s0v0", "igbvf", "auto")
    assert set(info["0"]) == {*VF_LABELS, "mac", "netdev", "driver", "link_state", "spoofchk",
                              "trust", "vlan", "qos", "vlan_proto", "stats_source",
                              "max_tx_rate", "min_tx_rate"}


def test_gauges_for_alerting(families):
    def values(name):
        return {s.labels["vf"]: s.value for s in samples(families, name)}

    assert values("sriov_vf_spoofchk") == {"0": 1, "1": 1, "2": 0}
    assert values("sriov_vf_spoofchk_persisted") == {"2": 1}
    assert values("sriov_vf_trust") == {"0": 0, "1": 1, "2": 0}
    assert values("sriov_vf_vlan") == {"0": 0, "1": 1000, "2": 0}
    assert values("sriov_vf_in_use") == {"0": 0, "1": 1, "2": 0}


def test_pf_metrics_share_one_label_set_so_rules_can_compare_them(families):
    pf = {}
    for name in ("sriov_pf_totalvfs", "sriov_pf_numvfs", "sriov_pf_vfs_in_use",
                 "sriov_pf_numvfs_persisted"):
        (sample,) = samples(families, name)
        assert set(sample.labels) == set(PF_LABELS), name
        assert sample.labels == {"host": "compute-0", "pf": "enp1s0", "pf_pci": PF_PCI,
                                 "physnet": "physnet2"}
        pf[name] = sample.value
    assert pf == {"sriov_pf_totalvfs": 7, "sriov_pf_numvfs": 3, "sriov_pf_vfs_in_use": 1,
                  "sriov_pf_numvfs_persisted": 7}
    (driver,) = samples(families, "sriov_pf_info")
    assert driver.labels["driver"] == "igb"


def test_exporter_health_metrics(families):
    (duration,) = samples(families, "sriov_exporter_scrape_duration_seconds")
    assert 0 <= duration.value < 5
    reads = [s for s in samples(families, "sriov_exporter_topology_reads")
             if s.name.endswith("_total")]
    assert [s.value for s in reads] == [1]
    errors = {s.labels["source"]: s.value for s in samples(families, "sriov_exporter_read_errors")}
    assert errors == {"netlink": 0, "sysfs": 0, "vf_state": 0}


def test_an_empty_host_still_exposes_valid_text(tmp_path):
    (tmp_path / "proc/sys/kernel").mkdir(parents=True)
    (tmp_path / "proc/sys/kernel/hostname").write_text("empty\n")
    families = scrape(Monitor(str(tmp_path)))
    assert families["sriov_vf_rx_packets"].samples == []
    assert samples(families, "sriov_pf_numvfs") == []


def test_label_values_are_escaped(igb):
    """A domain name is the operator's free text: quotes and backslashes must survive."""
    xml = domain_xml('we"ird\\name', interfaces=[(VF_PCI[0], "fa:16:3e:0:0:1")])
    write_domain(igb, "odd", xml)
    families = scrape(Monitor(str(igb)))
    info = {s.labels["vf"]: s.labels for s in samples(families, "sriov_vf_info")}
    assert info["0"]["domain"] == 'we"ird\\name'
