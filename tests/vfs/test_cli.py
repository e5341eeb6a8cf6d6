"""The vfs and fdb commands end to end on the fake kernel: exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sriovctl.vfs.state import STATE_PATH


@pytest.fixture
def fake(lab, monkeypatch):
    def make(num=0):
        lab_ = lab(num)
        def make_env(root="/", say=None, files_root="/"):
            lab_.env.say = lab_.env.guard.say = say  # progress goes where the CLI says
            return lab_.env

        monkeypatch.setattr("sriovctl.vfs.context.make_env", make_env)
        return lab_
    return make


def state_of(lab):
    return json.loads(lab.env.files.text(STATE_PATH))


def test_set_creates_vfs_and_records_them(fake, cli):
    lab = fake(0)
    code, out, err = cli("vfs", "set", "enp1s0", "7")
    assert code == 0, err
    assert "done: enp1s0" in out and "[1/3] enp1s0: sriov_numvfs -> 7" in err
    assert lab.kernel.numvfs("enp1s0") == 7
    assert state_of(lab)["pfs"]["0000:01:00.0"]["numvfs"] == 7


def test_set_count_and_vf_settings_in_one_command(fake, cli):
    lab = fake(0)
    code, out, err = cli("vfs", "set", "enp1s0", "3", "vf", "0", "mac", "fa:16:3e:fe:47:d2",
                         "vlan", "1000", "vf", "2", "trust", "on")
    assert code == 0, err
    vfs = lab.netlink.vfs("enp1s0")
    assert (vfs[0].mac, vfs[0].vlan, vfs[2].trust) == ("fa:16:3e:fe:47:d2", 1000, True)
    assert state_of(lab)["pfs"]["0000:01:00.0"]["vfs"] == {
        "0": {"mac": "fa:16:3e:fe:47:d2", "vlan": 1000}, "2": {"trust": True}}


def test_dry_run_prints_the_plan_and_writes_nothing(fake, cli):
    lab = fake(7)
    code, out, _ = cli("vfs", "set", "enp1s0", "3", "--dry-run")
    assert code == 0
    assert out.splitlines()[:3] == [
        "would: enp1s0: sriov_numvfs -> 0 (the kernel resizes only through 0; removes 7 VFs "
        "and resets their settings)",
        "would: enp1s0: sriov_numvfs -> 3",
        "would: enp1s0: wait for 3 virtfn links and VF netdevs (up to 60 s)"]
    assert lab.kernel.log == [] and lab.env.files.files == {}


def test_refusal_is_one_line_with_the_users_and_exit_1(fake, cli):
    lab = fake(7)
    (lab.root / "sys/bus/pci/drivers/vfio-pci").mkdir()
    assert cli("vfs", "bind", "enp1s0/1", "vfio-pci")[0] == 0
    code, out, err = cli("vfs", "set", "enp1s0", "3")
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("error: refusing to change enp1s0 from 7")
    assert "VF 1 (0000:01:10.2) bound to vfio-pci — fix:" in err and "--force" in err
    assert cli("vfs", "set", "enp1s0", "3", "--force")[0] == 0


@pytest.mark.parametrize("args, message", [
    (("vfs", "set", "enp1s0", "8"), "offers at most 7 VFs"),
    (("vfs", "set", "enp9s0", "2"), "no SR-IOV PF 'enp9s0'"),
    (("vfs", "set", "enp1s0", "vf", "0", "state", "enable"), "igb cannot set a VF's link"),
    (("vfs", "set", "enp1s0", "7", "--root", "/tmp"), "live host only"),
])
def test_input_errors_exit_2_before_any_write(fake, cli, args, message):
    lab = fake(7)
    code, _, err = cli(*args)
    assert code == 2 and message in err and lab.kernel.log == []


def test_bad_words_are_usage_errors(fake, cli):
    fake(7)
    code, _, err = cli("vfs", "set", "enp1s0", "vf", "x")
    assert code == 2 and "VF settings go as" in err


def test_show_reads_settings_and_counters(fake, cli):
    lab = fake(7)
    cli("vfs", "set", "enp1s0", "vf", "0", "mac", "fa:16:3e:fe:47:d2", "trust", "on")
    code, out, _ = cli("vfs", "show", "enp1s0", "-f", "json", "--root", lab.root)
    doc = json.loads(out)
    assert code == 0 and doc["pf"]["numvfs"] == 7 and doc["pf"]["driver"] == "igb"
    assert doc["vfs"][0]["MAC"] == "fa:16:3e:fe:47:d2" and doc["vfs"][0]["Trust"] is True
    code, out, _ = cli("vfs", "show", "enp1s0", "--root", lab.root)
    assert out.startswith("enp1s0 (0000:01:00.0, igb): 7/7 VFs, autoprobe on")
    code, out, _ = cli("vfs", "show", "enp1s0", "-f", "value", "-c", "VF", "-c", "Netdev",
                       "--root", lab.root)
    assert out.splitlines()[1] == "1 enp1s0v1"


def test_diff_and_apply_from_the_state_file(fake, cli):
    lab = fake(0)
    lab.env.files.write(STATE_PATH, json.dumps({"version": 1, "pfs": {"0000:01:00.0": {
        "numvfs": 2, "vfs": {"1": {"trust": True}}}}}).encode())
    code, out, _ = cli("vfs", "diff", "--exit-code", "-f", "json")
    assert code == 1 and [r["field"] for r in json.loads(out)] == ["numvfs", "trust"]
    code, out, err = cli("vfs", "apply")
    assert code == 0, err
    code, out, _ = cli("vfs", "diff", "--exit-code")
    assert code == 0 and "no drift" in out
    code, out, _ = cli("vfs", "apply")
    assert out == ("enp1s0 already has 2 VFs; sriov_numvfs not written\n"
                   "enp1s0 VF 1 already has trust on\n")


def test_a_newer_state_file_is_refused_in_one_line(fake, cli):
    lab = fake(0)
    lab.env.files.write(STATE_PATH, b'{"version": 9, "pfs": {}}')
    code, _, err = cli("vfs", "apply")
    assert code == 2 and err.count("\n") == 1 and "version 9" in err and "upgrade" in err


def test_persist_dry_run_prints_files_and_refuses_when_nothing_to_persist(fake, cli):
    fake(0)
    code, _, err = cli("vfs", "persist", "--dry-run")
    assert code == 2 and "nothing to persist" in err
    lab = fake(7)
    code, out, _ = cli("vfs", "persist", "--dry-run", "--nm-unmanaged")
    assert code == 0
    assert "would record enp1s0: 7 VFs (its current count)" in out
    assert "would: write /etc/systemd/system/sriovctl-vfs.service" in out
    assert "    Before=network-pre.target NetworkManager.service" in out
    assert lab.env.files.files == {}
    code, out, _ = cli("vfs", "persist")
    assert code == 0 and lab.env.files.text("/etc/udev/rules.d/70-sriovctl-vfs.rules")


def test_fdb_commands(fake, cli):
    fake(0)
    assert cli("fdb", "add", "enp1s0", "fa:16:3e:11:22:33")[0] == 0
    code, out, _ = cli("fdb", "show", "enp1s0", "-f", "value", "-c", "MAC", "-c", "State")
    assert out == "fa:16:3e:11:22:33 permanent\n"
    code, out, _ = cli("fdb", "add", "enp1s0", "fa:16:3e:11:22:33")
    assert code == 0 and "already in the FDB" in out
    assert cli("fdb", "del", "enp1s0", "fa:16:3e:11:22:33")[0] == 0


def test_commands_do_not_import_pyroute2_until_they_use_netlink():
    code = ("import sys, sriovctl.cli.vfs_cmd, sriovctl.cli.fdb_cmd, sriovctl.cli.kernel_cmd;"
            "import sriovctl.vfs.count, sriovctl.vfs.drift, sriovctl.vfs.persist;"
            "print('pyroute2' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr
