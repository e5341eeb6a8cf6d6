"""The VF lifecycle proven on a real kernel: QEMU's emulated 82576 driven by igb/igbvf.

Two boots of the default topology, ~5 min under TCG together. Boot 1 runs the whole
lifecycle (tests/vfs/lab_guest.py lifecycle); boot 2 is a fresh boot of the same image with
boot 1's state file, unit and rules copied back into /etc, running the unit's ExecStart as
systemd would at boot (the lab's init is not systemd). If the lab cannot start, every test
here fails with the reason: never a silent skip.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from labboot import boot

from sriovctl.lab import machine, runner

pytestmark = pytest.mark.lab

GUEST = Path(__file__).parent.parent / "vfs" / "lab_guest.py"
PF = "enp1s0"
VF0_MAC = "fa:16:3e:fe:47:d2"


def _boot(mode: str, files: dict, kernel: str = "6.1") -> tuple[dict, runner.RunResult]:
    spec = machine.MachineSpec(kernel=kernel, source=machine.source_tree())
    result = boot(f"python3 lab_guest.py {mode}\n", {"lab_guest.py": GUEST, **files},
                  "vfs-facts.json", spec, timeout=1200)
    return json.loads(result.file("vfs-facts.json").read_text()), result


@pytest.fixture(scope="module")
def boot1():
    return _boot("lifecycle", {})


@pytest.fixture(scope="module")
def life(boot1) -> dict:
    return boot1[0]


@pytest.fixture(scope="module")
def reboot(boot1) -> dict:
    files = {p.name: p for p in boot1[1].run_dir.glob("persist-*")}
    if not files:
        pytest.fail("boot 1 left no persisted files to boot with", pytrace=False)
    return _boot("reboot", files)[0]


def ok(fact: dict) -> dict:
    assert "exception" not in fact, fact["exception"]
    return fact


def vf(view: dict, i: int) -> dict:
    return view["vfs"][i]["ip"]


def test_creates_7_vfs_bound_to_igbvf_with_netdevs(life):
    fact = ok(life["create7"])
    assert fact["rc"] == 0, fact["err"]
    assert fact["after"]["numvfs"] == 7
    assert [v["driver"] for v in fact["after"]["vfs"]] == ["igbvf"] * 7
    assert [v["netdevs"] for v in fact["after"]["vfs"]] == [[f"{PF}v{i}"] for i in range(7)]
    again = ok(life["again7"])
    assert again["rc"] == 0 and f"{PF} already has 7 VFs; sriov_numvfs not written" in again["out"]


def test_resize_7_to_3_goes_through_0_where_the_kernel_says_ebusy(life):
    assert life["direct_3_while_7"] == "EBUSY"  # what a plain `echo 3` gets
    fact = ok(life["resize3"])
    assert fact["rc"] == 0, fact["err"]
    assert "sriov_numvfs -> 0" in fact["err"] and "sriov_numvfs -> 3" in fact["err"]
    assert fact["after"]["numvfs"] == 3
    assert ok(life["grow7"])["after"]["numvfs"] == 7


def test_vf0_gets_mac_vlan_spoofchk_trust_and_reads_back(life):
    fact = ok(life["program"])
    assert fact["rc"] == 0, fact["err"]
    kernel = vf(fact["after"], 0)
    assert kernel["address"] == VF0_MAC and kernel["vlan_list"][0]["vlan"] == 1000
    assert kernel["spoofchk"] is True and kernel["trust"] is True
    shown = json.loads(ok(life["show"])["out"])["vfs"][0]
    assert (shown["MAC"], shown["VLAN"], shown["Spoofchk"], shown["Trust"]) == (
        VF0_MAC, 1000, True, True)
    assert isinstance(shown["RX Packets"], int)  # counters from IFLA_VF_STATS


def test_link_state_is_refused_for_igb_before_anything_is_written(life):
    fact = ok(life["refuse_link_state"])
    assert fact["rc"] == 2 and "igb cannot set a VF's link state" in fact["err"]
    assert vf(fact["after"], 1)["link_state"] == "auto"


def test_a_kernel_refusal_rolls_back_the_vf_already_programmed(life):
    fact = ok(life["kernel_refusal"])
    assert fact["error"] and "EOPNOTSUPP" in fact["error"], fact
    assert "rolled back" in fact["error"] and "now: enp1s0: VF 2 trust off" in fact["error"]
    assert vf(fact["before"], 2)["trust"] is False and vf(fact["after"], 2)["trust"] is False


def test_igb_on_this_kernel_accepts_an_all_zero_mac(life):
    # recorded, because the capability table's zero_mac flag for igb rests on it
    fact = ok(life["zero_mac"])
    assert fact["set"]["rc"] == 0 and fact["zero"]["rc"] == 0, fact["zero"]["err"]
    assert vf(fact["after"], 4)["address"] == "00:00:00:00:00:00"


def test_resize_is_refused_while_a_vf_is_bound_to_vfio_and_forced_with_force(life):
    bound = ok(life["bind"])
    assert bound["rc"] == 0, bound["err"]
    assert bound["after"]["vfs"][1]["driver"] == "vfio-pci"
    refused = ok(life["refuse_resize"])
    assert refused["rc"] == 1
    assert "VF 1 (0000:01:10.2) bound to vfio-pci" in refused["err"]
    assert refused["after"]["numvfs"] == 7 and vf(refused["after"], 0)["address"] == VF0_MAC
    forced = ok(life["force_resize"])
    assert forced["rc"] == 0, forced["err"]
    assert forced["after"]["numvfs"] == 3
    assert [v["driver"] for v in forced["after"]["vfs"]] == ["igbvf"] * 3


def test_diff_sees_the_reset_and_apply_puts_only_that_back(life):
    rows = json.loads(ok(life["diff_after_force"])["out"])
    assert {(r["vf"], r["field"]) for r in rows} >= {(0, "mac"), (0, "vlan"), (0, "trust")}
    applied = ok(life["apply"])
    assert applied["rc"] == 0, applied["err"]
    assert vf(applied["after"], 0)["address"] == VF0_MAC and applied["after"]["numvfs"] == 3
    assert ok(life["diff_after_apply"])["rc"] == 0


def test_sigint_during_a_resize_rolls_back_to_the_old_count_and_settings(life):
    fact = ok(life["sigint"])
    assert fact["signal_at"] is not None, fact["stderr"]
    assert fact["rc"] == 130, fact["stderr"]
    error = fact["stderr"][-1]
    assert error.startswith("error: interrupted by SIGINT"), fact["stderr"]
    assert "now: enp1s0 has 3 VFs" in error
    assert fact["after"]["numvfs"] == 3 and vf(fact["after"], 0)["address"] == VF0_MAC
    assert vf(fact["after"], 0)["vlan_list"][0]["vlan"] == 1000


def test_sigterm_during_a_resize_rolls_back_too_and_the_state_file_is_untouched(life):
    fact = ok(life["sigterm"])
    assert fact["rc"] == 130 and "interrupted by SIGTERM" in fact["stderr"][-1], fact["stderr"]
    assert fact["after"]["numvfs"] == 3 and vf(fact["after"], 0)["address"] == VF0_MAC
    assert life["state_after_signals"]["pfs"]["0000:01:00.0"]["numvfs"] == 3


def test_fdb_entry_is_visible_to_the_kernel_after_fdb_add(life):
    fact = ok(life["fdb"])
    assert fact["add"]["rc"] == 0, fact["add"]["err"]
    assert "fa:16:3e:11:22:33 self permanent" in fact["bridge_after_add"]
    assert {"MAC": "fa:16:3e:11:22:33", "Dev": PF, "Flags": ["self"],
            "State": ["permanent"], "VLAN": None} in json.loads(fact["show"]["out"])
    assert "already in the FDB" in fact["again"]["out"]
    assert fact["del"]["rc"] == 0 and "fa:16:3e:11:22:33" not in fact["bridge_after_del"]


def test_persist_installs_a_unit_systemd_accepts(life):
    fact = ok(life["persist"])
    assert fact["rc"] == 0, fact["err"]
    assert fact["wants"] == "/etc/systemd/system/sriovctl-vfs.service"
    assert fact["analyze"]["rc"] == 0, fact["analyze"]["out"]


def test_a_pf_that_reappears_gets_its_vfs_and_settings_back_through_udev(life):
    fact = ok(life["replug"])
    assert fact["pf_was_gone"] is True
    assert fact["seconds"] is not None, fact["after"]
    assert fact["after"]["numvfs"] == fact["want"] == 3
    kernel = vf(fact["after"], 0)
    assert (kernel["address"], kernel["vlan_list"][0]["vlan"], kernel["trust"]) == (
        VF0_MAC, 1000, True)


def test_after_a_reboot_the_units_command_recreates_vfs_and_settings(reboot):
    assert reboot["before"]["numvfs"] == 0  # a fresh kernel: no VFs
    run = reboot["exec_start"]
    assert run["argv"][1:4] == ["vfs", "apply", "--state"]
    assert run["rc"] == 0, run["stderr"]
    assert reboot["after"]["numvfs"] == 3
    kernel = vf(reboot["after"], 0)
    assert (kernel["address"], kernel["vlan_list"][0]["vlan"], kernel["spoofchk"],
            kernel["trust"]) == (VF0_MAC, 1000, True, True)
    assert reboot["diff"]["rc"] == 0, reboot["diff"]["out"]
