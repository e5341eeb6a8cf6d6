"""The lab as ground truth: a real kernel's answers on QEMU's emulated igb SR-IOV NIC.

Each topology boots once (see conftest.lab_boot); every test reads that boot's facts.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import sriovctl
from sriovctl.lab import machine, runner

pytestmark = pytest.mark.lab

IGB_VF_DEVICE = "0x10ca"


def only_pf(facts: dict) -> str:
    pfs = [pf["netdev"] for pf in facts["pfs_after"]]
    assert len(pfs) == 1, pfs
    return pfs[0]


def group_of(facts: dict, bdf: str) -> list[str]:
    return next(m for m in facts["groups_after"].values() if bdf in m)


def test_default_pf_offers_7_vfs_and_creates_them_bound_to_igbvf(lab_boot):
    facts = lab_boot("default").facts
    assert [(p["bdf"], p["totalvfs"], p["numvfs"]) for p in facts["pfs_before"]] == [
        ("0000:01:00.0", 7, 0)]
    vfs = facts["vfs"][only_pf(facts)]
    assert len(vfs) == 7
    assert {v["device"] for v in vfs} == {IGB_VF_DEVICE}
    assert {v["driver"] for v in vfs} == {"igbvf"}
    assert [v["netdev"] for v in vfs] == [f"enp1s0v{i}" for i in range(7)]
    assert [v["bdf"] for v in vfs] == ["0000:01:10.0", "0000:01:10.2", "0000:01:10.4",
                                       "0000:01:10.6", "0000:01:11.0", "0000:01:11.2",
                                       "0000:01:11.4"]


def test_the_kernel_refuses_too_many_vfs_and_a_resize_without_going_through_zero(lab_boot):
    writes = lab_boot("default").facts["numvfs_writes"]["enp1s0"]
    assert writes == {"8": "ERANGE", "7": "ok", "3_while_7": "EBUSY"}


def test_default_puts_each_vf_in_its_own_iommu_group_and_vfio_calls_it_viable(lab_boot):
    facts = lab_boot("default").facts
    assert facts["dmar"] and "intel_iommu=on" in facts["cmdline"].split()
    for vf in facts["vfs"]["enp1s0"]:
        assert group_of(facts, vf["bdf"]) == [vf["bdf"]]
    assert group_of(facts, "0000:01:00.0") == ["0000:01:00.0"]
    assert facts["vfio"]["driver"] == "vfio-pci"
    assert facts["vfio"]["viable"] is True and facts["vfio"]["set_container"] == "ok"


def test_shared_group_puts_port_pf_and_all_vfs_in_one_group_that_vfio_refuses(lab_boot):
    facts = lab_boot("shared-group").facts
    pf = facts["pfs_after"][0]
    vfs = facts["vfs"][pf["netdev"]]
    assert len(vfs) == 7 and {v["driver"] for v in vfs[1:]} == {"igbvf"}
    group = group_of(facts, pf["bdf"])
    assert set(group) >= {pf["bdf"], *(v["bdf"] for v in vfs)}
    assert len(group) == 9, group  # + the switch's downstream port
    assert facts["vfio"]["viable"] is False
    assert facts["vfio"]["set_container"] == "EPERM"  # nova's "group is not viable"


def test_a_root_port_without_acs_also_shares_one_group(lab_boot):
    facts = lab_boot("shared-group-rootport").facts
    pf = facts["pfs_after"][0]
    vfs = facts["vfs"][pf["netdev"]]
    group = group_of(facts, pf["bdf"])
    assert set(group) == {"0000:00:02.0", pf["bdf"], *(v["bdf"] for v in vfs)}  # + root port
    assert facts["vfio"]["viable"] is False


def test_iommu_off_keeps_the_dmar_table_but_makes_no_groups(lab_boot):
    facts = lab_boot("iommu-off").facts
    assert facts["dmar"] is True and "intel_iommu=off" in facts["cmdline"].split()
    assert facts["groups_after"] == {}


def test_no_iommu_has_no_dmar_and_no_groups_but_vfs_still_work(lab_boot):
    facts = lab_boot("no-iommu").facts
    assert facts["dmar"] is False
    assert "intel_iommu" not in facts["cmdline"]
    assert facts["groups_before"] == {} and facts["groups_after"] == {}
    vfs = facts["vfs"][only_pf(facts)]
    assert len(vfs) == 7 and {v["driver"] for v in vfs} == {"igbvf"}
    assert all(v["group"] is None for v in vfs)


def test_two_nics_gives_two_pfs_with_seven_vfs_each(lab_boot):
    facts = lab_boot("two-nics").facts
    assert [p["netdev"] for p in facts["pfs_after"]] == ["enp1s0", "enp2s0"]
    assert [len(facts["vfs"][n]) for n in ("enp1s0", "enp2s0")] == [7, 7]
    for vf in facts["vfs"]["enp1s0"] + facts["vfs"]["enp2s0"]:
        assert group_of(facts, vf["bdf"]) == [vf["bdf"]]


def test_kernel_612_behaves_the_same_for_sriov(lab_boot):
    facts = lab_boot("default", kernel="6.12").facts
    assert facts["kernel"].startswith("6.12.")
    vfs = facts["vfs"]["enp1s0"]
    assert len(vfs) == 7 and {v["driver"] for v in vfs} == {"igbvf"}
    assert facts["numvfs_writes"]["enp1s0"] == {"8": "ERANGE", "7": "ok", "3_while_7": "EBUSY"}


def test_the_guest_runs_this_source_tree(lab_boot):
    facts = lab_boot("default").facts
    assert facts["wrapper_version"] == f"sriovctl, version {sriovctl.__version__}"


def _needs(facts: dict, *keys: str) -> None:
    missing = [k for k in keys if facts[k].get("missing")]
    if missing:
        pytest.skip(f"sriovctl commands not written yet: {', '.join(missing)}")


@pytest.mark.parametrize("topology, errors", [
    ("default", set()),
    ("no-iommu", {"iommu.firmware", "iommu.kernel"}),
    ("shared-group", {"vf.group-shared"}),
    ("shared-group-rootport", {"vf.group-shared"}),
    ("iommu-off", {"iommu.cmdline-off", "iommu.kernel"}),  # the firmware does describe one
])
def test_check_verdict_follows_the_topology(lab_boot, topology, errors):
    facts = lab_boot(topology).facts
    _needs(facts, "check_after")
    check = facts["check_after"]
    assert "json" in check, check["stdout"] + check["stderr"]
    found = {f["id"] for f in check["json"]["findings"] if f["severity"] == "error"}
    assert found == errors
    assert check["json"]["summary"]["ready"] is (not errors)
    assert check["rc"] == (1 if errors else 0)


# where the facts came from, which legitimately differs between a live run and a snapshot
PROVENANCE = ("vf_settings_source", "host.source", "host.live")


def without_provenance(inventory: dict) -> dict:
    copy = json.loads(json.dumps(inventory))
    for dotted in PROVENANCE:
        *parents, leaf = dotted.split(".")
        node = copy
        for key in parents:
            node = node[key]
        node.pop(leaf)
    return copy


def test_snapshot_taken_in_the_guest_reads_back_as_the_live_inventory(lab_boot):
    boot = lab_boot("default")
    _needs(boot.facts, "inspect_after", "snapshot")
    assert boot.facts["snapshot"]["rc"] == 0, boot.facts["snapshot"]["stderr"]
    live = boot.facts["inspect_after"]["json"]
    out = subprocess.run([sys.executable, "-m", "sriovctl", "inspect", "--root",
                          str(boot.file("snapshot.tar.gz")), "-f", "json"],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    replayed = json.loads(out.stdout)
    assert (live["host"]["live"], replayed["host"]["live"]) == (True, False)
    assert without_provenance(replayed) == without_provenance(live)
    assert len(replayed["pfs"][0]["vfs"]) == 7


def test_cli_run_streams_output_returns_the_status_and_copies_results(tmp_path):
    out_dir = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "sriovctl", "lab", "run", "--out", str(out_dir), "--",
         "echo hello from $(uname -r); echo result > made-in-guest.txt; exit 7"],
        capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 7, proc.stderr
    assert proc.stdout.startswith("hello from 6.1."), proc.stdout
    assert (out_dir / "made-in-guest.txt").read_text() == "result\n"
    assert "[lab] guest finished (exit 7)" in proc.stderr


def test_a_guest_that_cannot_boot_fails_with_the_reason_and_the_console_tail():
    # no initramfs init: the kernel cannot mount root (virtio_blk is a module) and panics
    spec = machine.MachineSpec(append="rdinit=/does/not/exist")
    with pytest.raises(runner.LabFailed) as caught:
        runner.run("true\n", spec, timeout=300)
    failure = caught.value
    assert "the guest kernel panicked: VFS: Unable to mount root fs" in failure.one_line()
    assert any("Kernel panic" in line for line in failure.console_tail)
