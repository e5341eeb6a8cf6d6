"""`openstack lint` as a library: the guide's files on the guide's host, and each mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from sriovctl.openstack.lint import run_lint
from sriovctl.openstack.releases import find_release

from hostbuilder import big_host, guide_host

GUIDE_NOVA = """\
[pci]
passthrough_whitelist = [{"physical_network": "sriovnet1", "address": "*:31:12.*"}]
"""
GUIDE_SCHEDULER = """\
[filter_scheduler]
available_filters = nova.scheduler.filters.all_filters
enabled_filters = ComputeFilter, ComputeCapabilitiesFilter, ImagePropertiesFilter, \
ServerGroupAntiAffinityFilter, ServerGroupAffinityFilter, PciPassthroughFilter
"""
GUIDE_ML2 = """\
[ml2]
mechanism_drivers = openvswitch,sriovnicswitch

[ml2_type_vlan]
network_vlan_ranges = sriovnet1
"""
GUIDE_AGENT = """\
[sriov_nic]
physical_device_mappings = sriovnet1:enp49s0f1
exclude_devices =

[securitygroup]
firewall_driver = neutron.agent.firewall.NoopFirewallDriver
"""


@pytest.fixture(scope="module")
def host(tmp_path_factory) -> str:
    return str(guide_host(tmp_path_factory.mktemp("guide")).build())


def write(tmp_path: Path, **files: str) -> list[str]:
    paths = []
    for name, text in files.items():
        p = tmp_path / name.replace("_conf", ".conf").replace("_ini", ".ini")
        p.write_text(text)
        paths.append(str(p))
    return paths


def ids(report) -> dict[str, list]:
    out: dict[str, list] = {}
    for f in report.findings:
        out.setdefault(f.id, []).append(f)
    return out


def guide_files(tmp_path, **override):
    files = {"nova_conf": GUIDE_NOVA, "scheduler_conf": GUIDE_SCHEDULER,
             "ml2_ini": GUIDE_ML2, "sriov_agent_ini": GUIDE_AGENT}
    files.update(override)
    return write(tmp_path, **{k: v for k, v in files.items() if v is not None})


def test_guide_spec_matches_the_two_vfs_the_guide_names(tmp_path, host):
    report = run_lint(guide_files(tmp_path), host_paths=[host])
    [m] = report.matches
    assert [d["address"] for d in m.devices] == ["0000:31:12.1", "0000:31:12.5"]
    assert m.entry.where == f"{tmp_path}/nova.conf:2"
    assert m.to_dict()["dev_types"] == ["type-VF"]


def test_guide_files_have_only_the_rename_warning(tmp_path, host):
    report = run_lint(guide_files(tmp_path), host_paths=[host])
    assert [(f.id, f.severity) for f in report.findings] == [
        ("config.deprecated-name", "warning")]
    assert report.summary["ok"] is True


def test_before_zed_the_old_name_is_right_and_the_new_one_ignored(tmp_path, host):
    yoga = find_release("yoga")
    assert run_lint(guide_files(tmp_path), host_paths=[host], release=yoga).findings == ()
    nova = GUIDE_NOVA.replace("passthrough_whitelist", "device_spec")
    report = run_lint(guide_files(tmp_path, nova_conf=nova), release=yoga)
    assert [f.id for f in report.findings] == ["devspec.unknown-name"]


def test_every_finding_names_file_and_line(tmp_path, host):
    examples = sorted(str(p) for p in Path("examples/openstack").iterdir())
    report = run_lint(examples, host_paths=[host])
    assert report.findings
    for f in report.findings:
        path, _, line = f.subject.rpartition(":")
        assert path in examples and int(line) >= 1, f
        assert f.fix, f


def test_examples_show_each_kind_of_mistake(host):
    examples = sorted(str(p) for p in Path("examples/openstack").iterdir())
    found = ids(run_lint(examples, host_paths=[host]))
    for expected in ("devspec.pf-only", "devspec.regex-prefix", "devspec.regex-prefix-hit",
                     "devspec.shadowed", "config.deprecated-name", "physnet.not-mapped",
                     "ml2.no-sriovnicswitch", "ml2.invalid", "ml2.tunnel-only-project-types",
                     "scheduler.pci-filter-disabled", "scheduler.filter-not-available",
                     "scheduler.unknown-filter", "agent.fdb-in-sriov-agent",
                     "agent.exclude-unmapped", "agent.mapped-no-vfs", "agent.firewall-ignored",
                     "fdb.no-devices"):
        assert expected in found, expected
    assert "4095 is not a valid VLAN tag" in found["ml2.invalid"][0].message


def test_regex_bus_zero_also_takes_bus_0a(tmp_path):
    nova = '[pci]\ndevice_spec = {"physical_network": "p", "address": {"bus": "0"}}\n'
    [f] = [f for f in run_lint(write(tmp_path, nova_conf=nova)).findings
           if f.id == "devspec.regex-prefix"]
    assert "bus 00, 01, 02, 03, …, 0f (16 values)" in f.message
    assert f.subject.endswith("nova.conf:2")
    assert '"bus": "00$"' in f.fix


def test_spec_matching_nothing_is_an_error(tmp_path, host):
    nova = '[pci]\ndevice_spec = {"physical_network": "sriovnet1", "address": "*:99:00.*"}\n'
    found = ids(run_lint(guide_files(tmp_path, nova_conf=nova), host_paths=[host]))
    assert found["devspec.matches-nothing"][0].severity == "error"


def test_pf_address_with_vf_product_selects_only_vfs(tmp_path, host):
    nova = ('[pci]\ndevice_spec = {"physical_network": "sriovnet1", "address": "0000:31:00.1",'
            ' "vendor_id": "8086", "product_id": "1520"}\n')
    report = run_lint(guide_files(tmp_path, nova_conf=nova), host_paths=[host])
    assert len(report.matches[0].devices) == 7
    assert report.findings == ()


def test_pf_address_alone_selects_pf_and_vfs(tmp_path, host):
    nova = '[pci]\ndevice_spec = {"physical_network": "sriovnet1", "address": "0000:31:00.1"}\n'
    report = run_lint(guide_files(tmp_path, nova_conf=nova), host_paths=[host])
    assert len(report.matches[0].devices) == 8
    assert [f.id for f in report.findings] == ["devspec.pf-and-vfs"]
    assert '"product_id": "1520"' in report.findings[0].fix


def test_devname_of_a_missing_netdev_is_a_host_finding(tmp_path, host):
    nova = '[pci]\ndevice_spec = {"physical_network": "sriovnet1", "devname": "eth9"}\n'
    found = ids(run_lint(guide_files(tmp_path, nova_conf=nova), host_paths=[host]))
    assert "devspec.matches-nothing" in found


def test_physnet_must_agree_across_files(tmp_path):
    agent = GUIDE_AGENT.replace("sriovnet1:", "sriovnet2:")
    ml2 = GUIDE_ML2.replace("= sriovnet1", "= physnet1")
    found = ids(run_lint(guide_files(tmp_path, sriov_agent_ini=agent, ml2_ini=ml2)))
    assert found["physnet.not-mapped"][0].subject.endswith("nova.conf:2")
    assert found["physnet.no-devices"][0].subject.endswith("sriov_agent.ini:2")
    flat_only = {f.message.split("'")[1] for f in found["physnet.flat-only"]}
    assert flat_only == {"sriovnet1", "sriovnet2"}


def test_physnet_not_allowed_flat_or_vlan_is_an_error(tmp_path):
    ml2 = GUIDE_ML2.replace("= sriovnet1", "= physnet1") + "\n[ml2_type_flat]\nflat_networks =\n"
    found = ids(run_lint(guide_files(tmp_path, ml2_ini=ml2)))
    assert found["physnet.not-in-ml2"][0].severity == "error"


def test_near_miss_physnet_names_are_pointed_out(tmp_path):
    agent = GUIDE_AGENT.replace("sriovnet1:", "SriovNet1:")
    found = ids(run_lint(guide_files(tmp_path, sriov_agent_ini=agent)))
    assert "did you mean 'SriovNet1'" in found["physnet.not-mapped"][0].message


def test_missing_sriovnicswitch_points_at_the_option(tmp_path):
    ml2 = GUIDE_ML2.replace(",sriovnicswitch", "")
    [f] = ids(run_lint(guide_files(tmp_path, ml2_ini=ml2)))["ml2.no-sriovnicswitch"]
    assert f.subject.endswith("ml2.ini:2") and f.fix.endswith("openvswitch,sriovnicswitch")


def test_unset_options_point_at_their_section_or_the_end(tmp_path):
    sched = "[DEFAULT]\ndebug = true\n\n[filter_scheduler]\nhost_subset_size = 1\n"
    found = ids(run_lint(write(tmp_path, scheduler_conf=sched)))
    [f] = found["scheduler.pci-filter-disabled"]
    assert f.subject.endswith("scheduler.conf:4")
    assert "nova's default" in f.evidence[0]


def test_mapped_interface_must_be_a_pf_with_vfs(tmp_path, host):
    for mapping, expected in (("enp49s0f1v0", "agent.mapped-not-pf"),
                              ("enp49s0f0", "agent.mapped-no-vfs"),
                              ("eth7", "agent.mapped-missing")):
        agent = GUIDE_AGENT.replace("sriovnet1:enp49s0f1", f"sriovnet1:{mapping}")
        found = ids(run_lint(guide_files(tmp_path, sriov_agent_ini=agent), host_paths=[host]))
        assert expected in found, (mapping, found.keys())


def test_excluded_devices_must_be_vfs_of_the_mapped_pf(tmp_path, host):
    agent = GUIDE_AGENT.replace("exclude_devices =", "exclude_devices = enp49s0f1:0000:31:00.0")
    found = ids(run_lint(guide_files(tmp_path, sriov_agent_ini=agent), host_paths=[host]))
    assert "0000:31:00.0" in found["agent.exclude-not-vf"][0].message


def test_fdb_shared_mapping_is_compared_with_the_agent(tmp_path):
    ovs = "[ovs]\nbridge_mappings = p:br\n[agent]\nextensions = fdb\n[FDB]\n" \
          "shared_physical_device_mappings = sriovnet1:eth5\n"
    found = ids(run_lint(guide_files(tmp_path, ovs_ini=ovs)))
    assert "fdb.mapping-differs" in found


def test_linuxbridge_fdb_is_flagged(tmp_path):
    lb = "[linux_bridge]\nphysical_interface_mappings = p:eth1\n[agent]\nextensions = fdb\n" \
         "[FDB]\nshared_physical_device_mappings = sriovnet1:enp49s0f1\n"
    assert "fdb.linuxbridge" in ids(run_lint(guide_files(tmp_path, lb_ini=lb)))


def test_old_release_keeps_availability_zone_filter_as_a_note(tmp_path):
    sched = GUIDE_SCHEDULER.replace("= ComputeFilter", "= AvailabilityZoneFilter, ComputeFilter")
    new = ids(run_lint(guide_files(tmp_path, scheduler_conf=sched)))
    old = ids(run_lint(guide_files(tmp_path, scheduler_conf=sched),
                       release=find_release("2023.1")))
    assert new["scheduler.unknown-filter"][0].severity == "error"
    assert old["scheduler.deprecated-filter"][0].severity == "info"


def test_third_party_filters_are_not_called_unknown(tmp_path):
    sched = GUIDE_SCHEDULER.replace(
        "all_filters", "all_filters\navailable_filters = acme.filters.all")
    sched = sched.replace("PciPassthroughFilter", "PciPassthroughFilter, AcmeFilter")
    assert "scheduler.unknown-filter" not in ids(run_lint(guide_files(tmp_path,
                                                                       scheduler_conf=sched)))


def test_syntax_error_is_a_finding_and_other_files_are_still_linted(tmp_path):
    paths = guide_files(tmp_path, ml2_ini="[ml2]\nmechanism_drivers openvswitch\n")
    found = ids(run_lint(paths))
    [f] = found["file.syntax"]
    assert f.subject.endswith("ml2.ini:2") and "No ':' or '=' found" in f.message
    assert "config.deprecated-name" in found


def test_unknown_file_asks_for_a_role(tmp_path):
    [f] = run_lint(write(tmp_path, x_conf="[foo]\nbar = 1\n")).findings
    assert f.id == "file.role-unknown" and "--role" in f.fix


def test_roles_can_be_forced(tmp_path):
    from sriovctl.openstack.lint import parse_roles

    [path] = write(tmp_path, x_conf="[sriov_nic]\nphysical_device_mappings =\n")
    report = run_lint([path], roles=parse_roles([f"{path}=sriov_agent"]))
    assert "agent.no-mappings" in ids(report)


def test_second_host_where_an_entry_matches_nothing(tmp_path, host):
    other = str(big_host(tmp_path / "big", pfs=1, vfs=4).build())
    found = ids(run_lint(guide_files(tmp_path), host_paths=[host, other]))
    [f] = found["devspec.matches-nothing-on-host"]
    assert other in f.message


def test_alias_errors_use_novas_words(tmp_path):
    nova = GUIDE_NOVA + 'alias = {"name": "a1", "device_type": "type-XX"}\n'
    [f] = ids(run_lint(guide_files(tmp_path, nova_conf=nova)))["alias.invalid"]
    assert "PciInvalidAlias" in f.message and f.subject.endswith("nova.conf:3")


def test_invalid_spec_carries_novas_exception_and_message(tmp_path):
    nova = '[pci]\ndevice_spec = {"vendor_id": "12345", "physical_network": "p"}\n'
    [f] = ids(run_lint(write(tmp_path, nova_conf=nova)))["devspec.invalid"]
    assert f.message.endswith(
        "PciConfigInvalidSpec: Invalid [pci]device_spec config: property vendor_id (12345) is "
        "greater than the maximum allowable value (FFFF).")
