"""A site spec applied to a real kernel and a real systemd, by `sriovctl apply` and by the
Ansible collection (Debian's ansible-core in the guest): one lab boot running
tests/site/lab_guest.py, whose docstring lists the steps. Each step's "after" is the
host as `ip -d link`, sysfs, systemd and the files say, not as sriovctl reads it.

If the lab cannot start, every test here fails with the reason: never a silent skip.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from labboot import boot

from sriovctl.lab import machine

pytestmark = pytest.mark.lab

GUEST = Path(__file__).with_name("lab_guest.py")
RESTARTED = ("nova-compute", "neutron-sriov-agent", "neutron-server", "nova-scheduler")


@pytest.fixture(scope="module")
def booted(tmp_path_factory) -> Path:
    """The run directory, copied: runs/ keeps only the newest runs."""
    spec = machine.MachineSpec(init="systemd", reboot=True, source=machine.source_tree())
    result = boot("python3 lab_guest.py\n", {"lab_guest.py": GUEST}, "site-facts.json", spec,
                  timeout=2400)
    keep = tmp_path_factory.mktemp("site-lab") / "run"
    shutil.copytree(result.run_dir, keep)
    return keep


@pytest.fixture(scope="module")
def lab(booted) -> dict:
    return json.loads((booted / "site-facts.json").read_text())


def ok(lab: dict, name: str) -> dict:
    fact = lab.get(name)
    assert fact is not None, f"the guest never reached step {name}"
    assert "exception" not in fact, fact["exception"]
    return fact


def applied(lab: dict) -> dict:
    return ok(lab, "apply")["after"]


def tasks(run: dict, name: str) -> dict:
    for play in run["json"]["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"].startswith(name):
                return task["hosts"]["sriovlab"]
    raise AssertionError(f"no task {name!r} in the playbook's output")


def test_plan_on_a_fresh_host_lists_the_phases_in_order(lab):
    plan = ok(lab, "plan")
    assert plan["rc"] == 0, plan["err"]
    doc = json.loads(plan["out"])
    assert doc["host"] == "sriovlab" and not doc["reboot_required"]
    phases = [c["phase"] for c in doc["changes"]]
    assert phases[:4] == ["vf-count", "vf-settings", "driver", "persistence"]
    assert "kernel-args" not in phases  # intel_iommu=on iommu=pt are on the command line
    assert phases.count("openstack-config") == 3 and phases[-1] == "services"
    assert plan["after"] == lab["boot"]  # planning changed nothing


def test_a_failure_after_the_vfs_were_created_rolls_back_to_before(lab):
    fault = ok(lab, "modprobe_fault")
    assert fault["rc"] == 1
    assert "modprobe vfio-pci failed" in fault["err"]
    assert "fix: dmesg and /etc/modprobe.d say why vfio-pci does not load" in fault["err"]
    assert "sriovlab is as it was before the apply" in fault["err"]
    assert "[1/" in fault["err"] and "sriov_numvfs -> 7" in fault["err"]  # it got that far
    assert fault["after"] == lab["boot"]  # 0 VFs, no files, no unit restarted


def test_apply_makes_the_kernel_files_and_services_match_the_spec(lab):
    fact = ok(lab, "apply")
    assert fact["rc"] == 0, fact["err"]
    result = json.loads(fact["out"])
    assert result["changed"] and result["message"].startswith("sriovlab now matches site.yaml")
    after = fact["after"]
    assert after["numvfs"] == 7
    assert [v["driver"] for v in after["vfs"]] == ["igbvf"] * 5 + ["vfio-pci"] * 2
    assert all(v["spoofchk"] and v["trust"] for v in after["vfs"][:5])
    files = after["files"]
    assert '"physical_network": "physnet1"' in files["/etc/nova/nova.conf"]
    assert "physical_device_mappings = physnet1:enp1s0" in \
        files["/etc/neutron/plugins/ml2/sriov_agent.ini"]
    assert "physnet1:1000:1099" in files["/etc/neutron/plugins/ml2/ml2_conf.ini"]
    assert json.loads(files["/etc/sriovctl/vfs.json"])
    assert after["vfs_unit"] == "enabled"
    for unit in RESTARTED:  # a new InvocationID: systemd really restarted it
        assert after["units"][unit] != lab["boot"]["units"][unit], unit


def test_a_second_apply_changes_nothing_and_says_so(lab):
    again = ok(lab, "again")
    assert again["rc"] == 0
    assert again["out"].strip() == "sriovlab already matches site.yaml: nothing changed"
    assert again["after"] == applied(lab)


def test_a_resize_that_would_take_vfio_vfs_is_refused_before_anything_runs(lab):
    refused = ok(lab, "refused")
    assert refused["rc"] == 1
    assert "VF 5 (0000:01:11.2) bound to vfio-pci" in refused["err"]
    assert "--force" in refused["err"]
    assert refused["after"] == applied(lab)


def test_sigint_during_a_forced_resize_puts_everything_back(lab):
    """Settings reset by the re-creation and the vfio-pci binding included."""
    stopped = ok(lab, "interrupted")
    assert stopped["signal_at"], stopped["err"][-2000:]
    assert stopped["rc"] == 130, stopped["err"][-2000:]
    assert "SIGINT received: rolling back" in stopped["err"]
    assert "sriovlab is as it was before the apply" in stopped["err"]
    assert stopped["after"] == applied(lab)


def test_a_service_that_fails_to_restart_rolls_the_files_back(lab):
    fault = ok(lab, "restart_fault")
    assert fault["rc"] == 1
    assert "systemctl restart neutron-server failed" in fault["err"]
    # restarted again with the old file, it still fails: that is said, with where to look
    assert "neutron-server does not start with the previous files either" in fault["err"]
    assert "INCOMPLETE" not in fault["err"]
    assert "journalctl -u neutron-server -n 50" in fault["err"]
    assert "sriovlab is as it was before the apply" in fault["err"]
    after, before = fault["after"], applied(lab)
    assert after["files"] == before["files"] and after["vfs"] == before["vfs"]


def test_ansible_check_mode_plans_and_changes_nothing(lab):
    run = ok(lab, "ansible_check")
    assert run["rc"] == 0, run["err"][-2000:]
    host = tasks(run, "Plan, apply, verify")
    # trust off: the VFs, the state file, and nova's device_spec loses "trusted"
    assert host["changed"] and [(c["phase"], c["subject"]) for c in host["plan"]["changes"]
                                if c["phase"] != "services"] == [
        ("vf-settings", "enp1s0"), ("persistence", "boot-time re-creation"),
        ("openstack-config", "/etc/nova/nova.conf")]
    nova = next(d for d in host["diff"] if d.get("after_header") == "/etc/nova/nova.conf")
    assert '"trusted": "true"' in nova["before"] and '"trusted"' not in nova["after"]
    assert "+ vf-settings enp1s0:" in host["diff"][-1]["prepared"]
    assert run["after"] == ok(lab, "restart_fault")["after"]  # check mode changed nothing


def test_ansible_applies_then_reports_no_change(lab):
    run = ok(lab, "ansible_apply")
    assert run["rc"] == 0, run["err"][-2000:]
    assert tasks(run, "Plan, apply, verify")["changed"]
    vfs = run["after"]["vfs"]
    assert [v["trust"] for v in vfs[:5]] == [False] * 5 and vfs[5]["driver"] == "vfio-pci"
    again = ok(lab, "ansible_again")
    assert again["rc"] == 0
    assert not tasks(again, "Plan, apply, verify")["changed"]
    assert again["json"]["stats"]["sriovlab"]["changed"] == 0
    inventory = tasks(again, "SR-IOV inventory")["ansible_facts"]["sriov_inventory"]
    assert inventory["schema"] == "sriovctl.inventory/1"
    assert len(inventory["pfs"][0]["vfs"]) == 7


def test_the_playbook_run_feeds_the_fleet_report(lab, booted, tmp_path, capsys):
    """The guest's playbook output, as `sriovctl report` reads it on a controller."""
    from sriovctl.cli.main import main

    run = tmp_path / "run.json"
    run.write_text(json.dumps(ok(lab, "ansible_again")["json"]))
    main(["report", str(run), "--site", str(booted / "site-ansible.yaml"), "-f", "json"])
    report = json.loads(capsys.readouterr().out)
    assert [h["name"] for h in report["hosts"]] == ["sriovlab"]
    physnet = next(p for p in report["physnets"] if p["physnet"] == "physnet1")
    assert (physnet["vfs"], physnet["guest_bound"], physnet["wanted"]) == (7, 2, 7)


def test_after_a_reboot_the_vfs_come_back_before_the_network(lab):
    """The persistence phase at a real boot under systemd: the PF's udev rule (at coldplug)
    and sriovctl-vfs.service (before network-pre.target) share one lock; whichever runs
    first re-creates the VFs, the other finds them done. Counts, settings and the vfio-pci
    binding of the DPDK group come back, and a fresh plan has nothing left to do."""
    fact = ok(lab, "reboot")
    assert fact["new_boot"]
    assert fact["unit"] == {"ActiveState": "active", "Result": "success",
                            "ExecMainStatus": "0"}, fact["journal"]
    # done before network-pre.target was reached: before the network and the agents
    assert 0 < int(fact["unit_done_us"]) <= int(fact["network_pre_us"])
    after, before = fact["after"], ok(lab, "ansible_apply")["after"]
    assert after["numvfs"] == 7
    assert [(v["spoofchk"], v["trust"]) for v in after["vfs"]] == \
        [(v["spoofchk"], v["trust"]) for v in before["vfs"]]
    assert [v["driver"] for v in after["vfs"]] == ["igbvf"] * 5 + ["vfio-pci"] * 2
    assert after["files"] == before["files"]
    plan = json.loads(fact["plan"]["out"])
    assert plan["changes"] == [] and not plan["problems"], plan
