"""`openstack render` and `apply`: settings from the host, per release; files edited safely."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sriovctl.errors import InputError
from sriovctl.host.read import load_host
from sriovctl.openstack.lint import run_lint
from sriovctl.openstack.releases import RELEASES, find_release
from sriovctl.openstack.render import (
    distro_family,
    parse_physnets,
    plan,
    resolve,
    restart_commands,
)

GUIDE_HOST = "examples/guide-host.tar.gz"
VF_SPEC = ('{"address": "0000:31:00.1", "vendor_id": "8086", "product_id": "1520", '
           '"physical_network": "sriovnet1"}')


@pytest.fixture(scope="module")
def guide():
    return load_host(GUIDE_HOST)


def test_render_ini_for_the_guide(cli):
    code, out, _ = cli("openstack", "render", "--root", GUIDE_HOST, "--physnet",
                       "sriovnet1=enp49s0f1", "--fdb")
    assert code == 0
    for line in (f"device_spec = {VF_SPEC}",
                 "mechanism_drivers = openvswitch,sriovnicswitch",
                 "network_vlan_ranges = sriovnet1",
                 "physical_device_mappings = sriovnet1:enp49s0f1",
                 "firewall_driver = noop", "extensions = fdb",
                 "shared_physical_device_mappings = sriovnet1:enp49s0f1",
                 "#   systemctl restart neutron-server"):
        assert line in out.splitlines(), line
    assert "PciPassthroughFilter" in out and "AvailabilityZoneFilter" not in out


def test_release_decides_the_option_name(guide):
    pfs = resolve(parse_physnets(["sriovnet1=enp49s0f1"]), guide)
    for release in RELEASES:
        [compute] = plan(pfs, release, roles=("nova-compute",))
        name = compute.edits[0].option
        assert name == ("device_spec" if release.nova >= 26 else "passthrough_whitelist")
    old = plan(pfs, find_release("wallaby"), roles=("nova-scheduler",))[0]
    assert "AvailabilityZoneFilter" in old.ini()


def test_rendered_spec_selects_exactly_the_vfs(tmp_path, guide):
    pfs = resolve(parse_physnets(["sriovnet1=enp49s0f1"]), guide)
    nova = tmp_path / "nova.conf"
    nova.write_text(plan(pfs, find_release("zed"), roles=("nova-compute",))[0].ini())
    report = run_lint([str(nova)], host_paths=[GUIDE_HOST])
    [m] = report.matches
    assert {d["dev_type"] for d in m.devices} == {"type-VF"} and len(m.devices) == 7
    assert report.findings == ()


def test_match_ids_drops_the_address(guide):
    pfs = resolve(parse_physnets(["sriovnet1=enp49s0f1"]), guide)
    [compute] = plan(pfs, find_release("2025.1"), match="ids", roles=("nova-compute",))
    assert json.loads(compute.edits[0].values[0]) == {
        "vendor_id": "8086", "product_id": "1520", "physical_network": "sriovnet1"}


def test_pf_without_vfs_is_rendered_with_a_note(guide):
    pfs = resolve(parse_physnets(["sriovnet2=enp49s0f0"]), guide)
    [compute] = plan(pfs, find_release("zed"), roles=("nova-compute",))
    assert "enp49s0f0 has no VFs yet" in compute.ini()


@pytest.mark.parametrize(("pairs", "words"), [
    (["sriovnet1"], "PHYSNET=PF_NETDEV"), (["a:b=eth0"], "PHYSNET=PF_NETDEV"), ([], "no --physnet"),
])
def test_bad_physnet_arguments(pairs, words):
    with pytest.raises(InputError, match=words):
        parse_physnets(pairs)


def test_unknown_pf_names_the_hosts_pfs(guide):
    with pytest.raises(InputError) as e:
        resolve(parse_physnets(["sriovnet1=eth9"]), guide)
    assert "enp49s0f1" in e.value.fix


def test_render_cli_bad_pf_exits_2(cli):
    code, _, err = cli("openstack", "render", "--root", GUIDE_HOST, "--physnet", "x=enp49s0f1v0")
    assert code == 2 and "not an SR-IOV PF" in err


def test_render_json_and_table(cli):
    code, out, _ = cli("openstack", "render", "--root", GUIDE_HOST, "--physnet",
                       "sriovnet1=enp49s0f1", "-f", "json")
    doc = json.loads(out)
    assert [f["service"] for f in doc["fragments"]] == [
        "nova-compute", "nova-scheduler", "neutron-server", "neutron-sriov-nic-agent"]
    code, out, _ = cli("openstack", "render", "--root", GUIDE_HOST, "--physnet",
                       "sriovnet1=enp49s0f1", "-f", "value", "-c", "Option")
    assert "device_spec" in out.split()


def test_restart_names_by_distribution(tmp_path):
    services = ["nova-scheduler", "neutron-sriov-nic-agent", "neutron-server"]
    assert restart_commands(services, "rhel") == [
        "systemctl restart openstack-nova-scheduler",
        "systemctl restart neutron-sriov-nic-agent", "systemctl restart neutron-server"]
    assert restart_commands(services, "debian")[:2] == [
        "systemctl restart nova-scheduler", "systemctl restart neutron-sriov-agent"]
    assert "Ubuntu/Debian: nova-scheduler" in restart_commands(services, None)[0]
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/os-release").write_text('ID="rocky"\nID_LIKE="rhel centos fedora"\n')
    assert distro_family(str(tmp_path)) == "rhel"
    (tmp_path / "etc/os-release").write_text("ID=ubuntu\nID_LIKE=debian\n")
    assert distro_family(str(tmp_path)) == "debian"


# -- apply -----------------------------------------------------------------------------
NOVA = """\
[DEFAULT]
# the controller's rabbit
transport_url = rabbit://nova:Apply-S3cret@ctl:5672/
[pci]
passthrough_whitelist = [{"physical_network": "sriovnet1", "address": "*:31:12.*"}]
"""
ML2 = "[ml2]\nmechanism_drivers = openvswitch\n# keep me\n"


@pytest.fixture
def files(tmp_path) -> tuple[Path, Path]:
    nova, ml2 = tmp_path / "nova.conf", tmp_path / "ml2_conf.ini"
    nova.write_text(NOVA)
    ml2.write_text(ML2)
    os.chmod(nova, 0o640)
    return nova, ml2


def apply_args(*files, extra=()):
    return ("openstack", "apply", "--root", GUIDE_HOST, "--physnet", "sriovnet1=enp49s0f1",
            *extra, *map(str, files))


def test_apply_dry_run_diff_changes_nothing_and_hides_secrets(cli, files):
    nova, ml2 = files
    code, out, err = cli(*apply_args(nova, ml2, extra=("--diff", "--dry-run")))
    assert code == 0, err
    assert nova.read_text() == NOVA and ml2.read_text() == ML2
    assert f"+device_spec = {VF_SPEC}" in out
    assert "+mechanism_drivers = openvswitch,sriovnicswitch" in out
    assert "Apply-S3cret" not in out + err and "transport_url = ***" in out
    assert "would need these services" in out


def test_apply_writes_backup_keeps_mode_owner_and_is_idempotent(cli, files):
    nova, ml2 = files
    if os.getuid() == 0:
        os.chown(nova, 1234, 4321)
    code, out, _ = cli(*apply_args(nova, ml2))
    assert code == 0
    assert nova.read_text() == NOVA.replace(
        'passthrough_whitelist = [{"physical_network": "sriovnet1", "address": "*:31:12.*"}]',
        f"device_spec = {VF_SPEC}")
    assert ml2.read_text() == ML2.replace("openvswitch", "openvswitch,sriovnicswitch") + \
        "\n[ml2_type_vlan]\nnetwork_vlan_ranges = sriovnet1\n"
    assert Path(f"{nova}.sriovctl.bak").read_text() == NOVA
    st = os.stat(nova)
    assert st.st_mode & 0o777 == 0o640
    if os.getuid() == 0:
        assert (st.st_uid, st.st_gid) == (1234, 4321)
    assert "systemctl restart neutron-server" in out
    code, out, _ = cli(*apply_args(nova, ml2))
    assert out.count("already up to date") == 2 and "restart" not in out


def test_apply_refuses_a_file_that_does_not_parse(cli, tmp_path):
    bad = tmp_path / "ml2_conf.ini"
    bad.write_text("[ml2]\nmechanism_drivers openvswitch\n")
    code, _, err = cli(*apply_args(bad))
    assert code == 2 and "ml2_conf.ini:2" in err and bad.read_text().startswith("[ml2]\nmech")


def test_apply_on_a_controller_needs_no_host(cli, tmp_path):
    ml2 = tmp_path / "ml2_conf.ini"
    ml2.write_text(ML2)
    code, out, err = cli("openstack", "apply", "--root", "/nonexistent", "--physnet",
                         "sriovnet1=enp49s0f1", str(ml2))
    assert code == 0, err
    assert "sriovnicswitch" in ml2.read_text()
