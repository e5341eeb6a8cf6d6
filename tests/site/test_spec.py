"""The site spec: the example loads, and every kind of bad input is refused with the line,
the path to the field and what was expected, before any host is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from sriovctl.errors import InputError
from sriovctl.site.model import host_matches
from sriovctl.site.spec import load_site, parse_site

EXAMPLE = Path(__file__).parents[2] / "examples/site/site.yaml"

MINIMAL = """\
version: 1
physnets:
  physnet1: {}
groups:
  - name: a
    nics: {pf_names: [enp49s0f1]}
    physnet: physnet1
    num_vfs: 7
"""


def refused(text: str) -> str:
    with pytest.raises(InputError) as e:
        parse_site(text, "site.yaml")
    assert e.value.exit_code == 2
    return e.value.one_line()


def test_the_example_loads():
    site = load_site(str(EXAMPLE))
    assert site.release == "2024.1"
    assert [g.name for g in site.groups] == ["i350-tenant", "e810-trusted", "e810-tenant",
                                             "e810-dpdk"]
    tenant = site.groups[2]
    assert tenant.nics.pf_names[0].name == "ens1f0"
    assert tenant.nics.pf_names[0].vfs == tuple(range(16, 64))
    assert site.groups[3].driver == "vfio-pci"
    assert site.roles_of("controller-0") == ("controller", "scheduler")
    assert [g.name for g in site.groups_for("compute-big-7")] == [
        "e810-trusted", "e810-tenant", "e810-dpdk"]
    assert site.kernel_iommu is True


def test_defaults_fill_roles_services_and_release():
    site = parse_site(MINIMAL)
    assert site.release == "2024.1" and site.configure_openstack
    compute = site.roles["compute"]
    assert compute.hosts == ("*",)
    assert compute.files["nova_conf"] == "/etc/nova/nova.conf"
    assert compute.services == ("nova-compute", "neutron-sriov-agent")
    assert site.physnets["physnet1"].network_type == "vlan"


def test_release_names_and_numbers_are_one_release():
    assert parse_site(MINIMAL + "openstack: {release: caracal}\n").release == "2024.1"
    assert parse_site(MINIMAL + "openstack: {release: yoga}\n").release == "yoga"
    assert not parse_site(MINIMAL + "openstack: {release: yoga}\n").release_at_least("zed")


def test_unknown_key_names_the_operator_spelling():
    msg = refused(MINIMAL.replace("pf_names", "pfNames"))
    assert "site.yaml:6: groups[0].nics.pfNames: unknown key 'pfNames' (did you mean " \
           "'pf_names'?); expected one of: device, pf_names, root_devices, vendor" in msg
    assert "nothing was read from or changed on any host" in msg


def test_unknown_top_level_key_gets_a_close_match():
    msg = refused(MINIMAL + "group: []\n")
    assert "site.yaml:9: group: unknown key 'group' (did you mean 'groups'?)" in msg


def test_wrong_values_say_what_was_expected_and_where():
    text = MINIMAL + "    vf: {link_state: on, spoofchk: maybe, vlan: 5000}\n"
    msg = refused(text.replace("num_vfs: 7", "num_vfs: -1"))
    assert "4 problems" in msg
    assert "site.yaml:8: groups[0].num_vfs: expected at least 0; got -1 (a number)" in msg
    # YAML 1.1 reads `on` as a boolean: the message shows the text that was written
    assert "groups[0].vf.link_state: expected one of auto, enable, disable; got 'on'" in msg
    assert "groups[0].vf.spoofchk: expected true or false, got 'maybe'" in msg
    assert "groups[0].vf.vlan: expected at most 4094; got 5000" in msg


def test_missing_key_and_wrong_type():
    msg = refused(MINIMAL.replace("    physnet: physnet1\n", "").replace(
        "groups:", "kernel: {args: intel_iommu=on}\ngroups:"))
    assert "groups[0]: missing 'physnet'" in msg
    assert "kernel.args: expected a list, got 'intel_iommu=on'" in msg


def test_unquoted_ids_and_addresses_are_read_as_written():
    # 8086 is a number and 0000:31:00.1 a base-60 float to YAML 1.1; the spec wants text
    site = parse_site(MINIMAL.replace("{pf_names: [enp49s0f1]}",
                                      "{vendor: 8086, device: 1521, root_devices: [0000:31:00.1]}"))
    nics = site.groups[0].nics
    assert (nics.vendor, nics.device, nics.root_devices) == ("8086", "1521", ("0000:31:00.1",))


def test_bad_selector_values():
    msg = refused(MINIMAL.replace("[enp49s0f1]", "['enp49s0f1#a-b', 'x y']")
                  .replace("{pf_names", "{vendor: '80861', pf_names"))
    assert "groups[0].nics.vendor: expected 4 hex digits like 8086, quoted; got '80861'" in msg
    assert "groups[0].nics.pf_names[0]: expected a PF netdev name with an optional VF range" \
           in msg
    assert "groups[0].nics.pf_names[1]" in msg


def test_empty_selector_is_refused():
    msg = refused(MINIMAL.replace("{pf_names: [enp49s0f1]}", "{}"))
    assert "groups[0].nics: expected at least one of pf_names, vendor, device, root_devices" \
           in msg


def test_duplicate_keys_are_refused_not_silently_merged():
    msg = refused(MINIMAL + "    num_vfs: 4\n")
    assert "site.yaml:9: groups[0].num_vfs is given twice (first at line 8)" in msg


def test_cross_field_checks():
    text = MINIMAL.replace("physnet: physnet1", "physnet: physnet9").replace(
        "[enp49s0f1]", "['enp49s0f1#5-7', 'enp49s0f0#3-1']") + """\
  - name: a
    nics: {vendor: '8086'}
    physnet: physnet1
    num_vfs: 1
    vf: {qos: 3}
physnets_extra: 1
"""
    msg = refused(text)
    assert "physnets_extra" in msg  # the schema speaks first; fix that, then the rest
    msg = refused(text.replace("physnets_extra: 1\n", ""))
    assert "groups[0].physnet: 'physnet9' is not declared under physnets (declared: physnet1)" \
           in msg
    assert "'enp49s0f1#5-7' claims VF 7 but num_vfs is 7 (VFs are numbered 0..6)" in msg
    assert "'enp49s0f0#3-1': range 3-1 runs backwards" in msg
    assert "5 problems" in msg and "and 1 more" in msg  # the 4 shown are the first by line


def test_contradicting_kernel_args():
    msg = refused(MINIMAL + "kernel: {args: [iommu=pt, iommu=off]}\n")
    assert "kernel.args[1]: 'iommu=off' contradicts iommu=pt" in msg


def test_flat_physnet_with_vlans_and_backwards_vlan_range():
    msg = refused(MINIMAL.replace("physnet1: {}", "physnet1: {network_type: flat, "
                                  "vlan_ranges: ['200:100']}"))
    assert "physnets.physnet1.vlan_ranges[0]: expected MIN:MAX with 1 <= MIN <= MAX <= 4094" in msg
    assert "physnets.physnet1.vlan_ranges: a flat physnet has no VLAN ranges" in msg


@pytest.mark.parametrize("text, words", [
    ("", "expected a mapping with version, physnets and groups"),
    ("- 1\n", "expected a mapping"),
    ("version: [1\n", "not valid YAML"),
    ("version: 2\nphysnets: {a: {}}\ngroups: [{name: a, nics: {vendor: '8086'}, physnet: a, "
     "num_vfs: 1}]\n", "version: expected 1 (the only site spec version); got 2 (a number)"),
])
def test_not_a_spec(text, words):
    assert words in refused(text)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no site spec at"):
        load_site(str(tmp_path / "nope.yaml"))


def test_host_patterns_match_short_names():
    assert host_matches("compute-0.example.org", ("compute-*",))
    assert host_matches("compute-0", ("compute-0",))
    assert not host_matches("controller-0", ("compute-*",))
