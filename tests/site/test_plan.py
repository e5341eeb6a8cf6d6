"""Planning against the shared fixture hosts (directory and tarball roots): claims refused
when ambiguous, the OpenStack edits per role and release, kernel arguments, and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sriovctl.errors import InputError
from sriovctl.site.apply import apply_host
from sriovctl.site.env import site_env
from sriovctl.site.plan import plan_host
from sriovctl.site.spec import parse_site

from hostbuilder import HostBuilder, big_host, guide_host

EXAMPLE = Path(__file__).parents[2] / "examples/site/site.yaml"
GUIDE = """\
version: 1
openstack: {release: "2024.1"}
physnets: {physnet1: {vlan_ranges: ["1000:1099"]}, physnet2: {network_type: flat}}
roles:
  compute: {hosts: ["compute-*"]}
  controller: {hosts: ["controller-*"]}
  scheduler: {hosts: ["controller-*"]}
groups:
  - name: i350
    nics: {pf_names: [enp49s0f1], vendor: "8086"}
    physnet: physnet1
    num_vfs: 7
"""


def site(text: str = GUIDE):
    return parse_site(text, "site.yaml")


@pytest.fixture
def guide(tmp_path) -> Path:
    root = tmp_path / "guide"
    guide_host(root).build()
    return root


def refused(spec, root: Path, host: str | None = None) -> str:
    with pytest.raises(InputError) as e:
        plan_host(spec, site_env(str(root)), host)
    return e.value.one_line()


def test_two_groups_claiming_the_same_vfs_are_refused(guide):
    text = GUIDE + """\
  - name: again
    nics: {pf_names: ["enp49s0f1#2-4"]}
    physnet: physnet1
    num_vfs: 7
"""
    msg = refused(site(text), guide)
    assert "enp49s0f1 (0000:31:00.1) is claimed by site.yaml:9 groups[0] 'i350' and " \
           "site.yaml:13 groups[1] 'again', both with VF 2-4" in msg


def test_a_pf_split_between_physnets_or_counts_is_refused(guide):
    text = GUIDE.replace("[enp49s0f1]", "['enp49s0f1#0-2']") + """\
  - name: other
    nics: {pf_names: ["enp49s0f1#3-6"]}
    physnet: physnet2
    num_vfs: 7
  - name: count
    nics: {pf_names: ["enp49s0f1#3-6"], vendor: "8086"}
    physnet: physnet1
    num_vfs: 8
"""
    msg = refused(site(text), guide)
    assert "for physnets physnet1 and physnet2: neutron's SR-IOV agent maps whole PFs" in msg
    assert "asking 7 and 8 VFs" in msg
    assert "both with VF 3-6" in msg


def test_more_vfs_than_the_pf_offers(guide):
    msg = refused(site(GUIDE.replace("num_vfs: 7", "num_vfs: 9")), guide)
    assert "asks 9 VFs of enp49s0f1 (0000:31:00.1), which offers at most 7 (sriov_totalvfs)" \
           in msg


def test_selectors_by_id_and_address_and_an_unnamed_host(guide):
    text = GUIDE.replace("{pf_names: [enp49s0f1], vendor: \"8086\"}",
                         "{device: '1521', root_devices: ['31:00.1']}")
    plan = plan_host(site(text), site_env(str(guide)))
    assert [c.name for c in plan.claims] == ["enp49s0f1"]
    (guide / "proc/sys/kernel/hostname").unlink()
    assert "has no hostname to match the site's host patterns — fix: name it with --host " \
           "NAME" in refused(site(), guide)
    assert plan_host(site(), site_env(str(guide)), "compute-9").claims


def test_a_host_with_no_role_and_no_group_plans_nothing(guide):
    plan = plan_host(site(), site_env(str(guide)), "storage-0")
    assert not plan.changes and "storage-0 has no role and no group" in plan.notes[0]


def test_controller_and_scheduler_files(tmp_path):
    root = tmp_path / "ctl"
    HostBuilder(root).build()
    (root / "etc/neutron/plugins/ml2").mkdir(parents=True)
    (root / "etc/neutron/plugins/ml2/ml2_conf.ini").write_text(
        "[ml2]\ntype_drivers = vxlan,vlan\nmechanism_drivers = ovn\n\n"
        "[ml2_type_vlan]\nnetwork_vlan_ranges = provider0:10:20,physnet1:1:2\n")
    (root / "etc/nova").mkdir(parents=True)
    (root / "etc/nova/nova.conf").write_text(
        "[filter_scheduler]\nenabled_filters = ComputeFilter,AvailabilityZoneFilter\n")
    env = site_env(str(root))
    plan = plan_host(site(), env, "controller-0")
    assert plan.roles == ("controller", "scheduler")
    result = apply_host(site(), env, "controller-0")
    assert result.not_run == ["systemctl restart neutron-server",
                              "systemctl restart nova-scheduler"]
    ml2 = (root / "etc/neutron/plugins/ml2/ml2_conf.ini").read_text()
    assert "mechanism_drivers = ovn,sriovnicswitch" in ml2
    assert "type_drivers = vxlan,vlan,flat" in ml2
    assert "network_vlan_ranges = provider0:10:20,physnet1:1000:1099" in ml2
    assert "[ml2_type_flat]\nflat_networks = physnet2" in ml2
    nova = (root / "etc/nova/nova.conf").read_text()
    assert "enabled_filters = ComputeFilter,AvailabilityZoneFilter,PciPassthroughFilter" in nova
    assert any("AvailabilityZoneFilter, which nova 2024.1 no longer has" in n
               for n in plan.notes)
    assert not apply_host(site(), env, "controller-0").changed


def test_before_zed_the_option_is_passthrough_whitelist(guide):
    (guide / "etc/nova").mkdir(parents=True)
    (guide / "etc/nova/nova.conf").write_text("[pci]\ndevice_spec = "
                                              '{"physical_network": "physnet1", "address": '
                                              '"0000:31:00.1"}\n')
    old = site(GUIDE.replace('"2024.1"', "yoga"))
    env = site_env(str(guide))
    [change] = [c for c in plan_host(old, env).changes if c.subject == "/etc/nova/nova.conf"]
    assert "[pci] passthrough_whitelist: + " in change.summary
    assert "entries moved to passthrough_whitelist" in change.summary
    apply_host(old, env)
    nova = (guide / "etc/nova/nova.conf").read_text()
    assert "device_spec" not in nova and nova.count("passthrough_whitelist = ") == 1


def test_files_under_a_directory_root_change_but_vfs_do_not(guide):
    env = site_env(str(guide))
    spec = site(GUIDE + "    vf: {trust: false}\n")
    with pytest.raises(InputError, match="not the live host, and the plan changes the "
                                         "kernel's devices \\(vf-settings enp49s0f1\\)"):
        apply_host(spec, env)
    result = apply_host(site(), env)
    assert result.changed and result.not_run[0] == "systemctl restart nova-compute"
    assert "2 command(s) not run" in result.message
    assert "physnet1:enp49s0f1" in (guide / "etc/neutron/plugins/ml2/sriov_agent.ini").read_text()
    assert json.loads((guide / "etc/sriovctl/vfs.json").read_text())["pfs"]["0000:31:00.1"]


def test_kernel_arguments_go_to_grub_and_ask_for_a_reboot(tmp_path):
    root = tmp_path / "off"
    guide_host(root, iommu=False).build()
    (root / "etc/default").mkdir(parents=True)
    (root / "etc/default/grub").write_text('GRUB_CMDLINE_LINUX_DEFAULT="quiet"\n'
                                           'GRUB_CMDLINE_LINUX="intel_iommu=off"\n')
    spec = site(GUIDE + "kernel: {iommu: true, args: [pci=realloc, quiet]}\n")
    env = site_env(str(root))
    plan = plan_host(spec, env)
    assert plan.changes[0].phase == "kernel-args" and plan.reboot_required
    apply_host(spec, env)
    grub = (root / "etc/default/grub").read_text()
    assert 'GRUB_CMDLINE_LINUX="intel_iommu=on iommu=pt pci=realloc"' in grub  # quiet: in _DEFAULT
    again = plan_host(spec, env)
    assert not [c for c in again.changes if c.phase == "kernel-args"]
    assert again.reboot_required  # configured, not yet running


@pytest.mark.parametrize("text, expect, replaced", [
    # already configured in _DEFAULT (GRUB joins both): the file is left as it is
    ('GRUB_CMDLINE_LINUX_DEFAULT="quiet pci=realloc"\n', None, []),
    # an option of a comma list counts: pci=noaer,realloc has pci=realloc
    ('GRUB_CMDLINE_LINUX="pci=noaer,realloc"\n', None, []),
    # no GRUB_CMDLINE_LINUX line, no final newline: one line is appended
    ('GRUB_DEFAULT=0', 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX="pci=realloc"\n', []),
    # another value of the same key is replaced (and named), not doubled; the rest kept
    ('GRUB_CMDLINE_LINUX="pci=noaer rd.lvm"\nGRUB_X=1\n',
     'GRUB_CMDLINE_LINUX="rd.lvm pci=realloc"\nGRUB_X=1\n', [("pci=noaer", "pci=realloc")]),
])
def test_kernel_words_edit_grub_by_meaning(text, expect, replaced):
    from sriovctl.site.kernel import _edit_grub

    assert _edit_grub(text, ("pci=realloc",)) == (text if expect is None else expect, replaced)


def test_a_snapshot_tarball_can_be_planned_not_applied(guide, tmp_path):
    tarball = guide_host(tmp_path / "t").tarball(tmp_path / "guide.tar.gz")
    env = site_env(str(tarball))
    assert plan_host(site(), env).claims
    with pytest.raises(InputError, match="snapshot tarball"):
        apply_host(site(), env)


def test_the_example_on_the_big_host(tmp_path):
    root = tmp_path / "big"
    big_host(root).build()
    (root / "proc/sys/kernel/hostname").write_text("compute-big-0\n")
    from sriovctl.site.spec import load_site

    plan = plan_host(load_site(str(EXAMPLE)), site_env(str(root)))
    claims = {c.name: c for c in plan.claims}
    assert sorted(claims) == ["ens1f0", "ens2f0", "ens3f0"]
    assert [g.name for g in claims["ens1f0"].groups] == ["e810-trusted", "e810-tenant"]
    assert [c.phase for c in plan.changes][:3] == ["vf-settings", "vf-settings", "driver"]
    nova = next(c for c in plan.changes if c.subject == "/etc/nova/nova.conf")
    assert nova.summary.count("+ ") == 5  # 2 groups x 2 PFs + ens3f0


def test_cli_plan_table_json_and_errors(cli, guide):
    code, out, err = cli("plan", "-f", EXAMPLE, "--root", guide)
    assert code == 0
    assert out.startswith("compute-0 (compute): 6 change(s) for ")
    assert "| vf-settings      | enp49s0f1" in out
    assert "note: enp49s0f1 already has 7 VFs; sriov_numvfs not written" in out
    code, out, err = cli("plan", "-f", "json", "-f", EXAMPLE, "--root", guide)
    doc = json.loads(out)
    assert doc["host"] == "compute-0" and doc["in_sync"] is False
    assert [c["phase"] for c in doc["changes"]][0] == "vf-settings"
    code, out, err = cli("plan", "-f", EXAMPLE, "--root", guide, "--host", "compute-big-3")
    assert code == 2 and err.startswith("error: ") and "selects no PF" in err
    code, out, err = cli("plan", "--root", guide)
    assert code == 2 and "give the site spec: -f site.yaml" in err


def test_cli_apply_dry_run_then_apply_then_nothing(cli, guide, tmp_path):
    spec = tmp_path / "site.yaml"
    spec.write_text(GUIDE)
    code, out, err = cli("apply", "-f", spec, "--root", guide, "--dry-run")
    assert code == 0 and "+++ /etc/nova/nova.conf (planned)" in out
    assert not (guide / "etc/nova/nova.conf").exists()
    code, out, err = cli("apply", "-f", spec, "--root", guide)
    assert code == 0 and out.startswith(f"compute-0 now matches {spec}: 3 change(s) made")
    assert "not run: systemctl restart nova-compute" in err
    code, out, err = cli("apply", "-f", spec, "--root", guide, "-f", "json")
    assert json.loads(out)["changed"] is False
    code, out, err = cli("plan", "-f", spec, "--root", guide)
    assert out.startswith(f"compute-0 (compute) matches {spec}: nothing to change\n")
