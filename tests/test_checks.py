"""The doctor's verdicts on the hosts the field meets, built with the one fixture builder."""

from __future__ import annotations

import json

import pytest

from sriovctl.checks import Scope, run_checks
from sriovctl.host.read import load_host

from hostbuilder import GUIDE_VFS, big_host, guide_host, shared_group_host
from testdata import FIXTURES


def ids(findings, severity=None):
    return {f.id for f in findings if severity is None or f.severity == severity}


@pytest.fixture(scope="module")
def guide(tmp_path_factory):
    return guide_host(tmp_path_factory.mktemp("guide")).build()


def test_guide_host_is_ready_and_lists_its_vfs(guide):
    host = load_host(str(guide))
    findings = run_checks(host)
    assert not ids(findings, "error")
    pf = host.find_pf("enp49s0f1")
    assert [v.address for v in host.vfs_of(pf)] == GUIDE_VFS
    assert "pf.default-route" in ids(findings, "warning")  # enp49s0f0 carries it
    assert "pf.no-vfs" in ids(findings, "warning")  # enp49s0f0 has none


def test_iommu_off_host_is_not_ready(tmp_path):
    host = load_host(str(guide_host(tmp_path, iommu=False).build()))
    findings = run_checks(host)
    errors = ids(findings, "error")
    assert {"iommu.kernel", "iommu.cmdline-off"} <= errors
    fix = next(f.fix for f in findings if f.id == "iommu.kernel")
    assert "intel_iommu=on iommu=pt" in fix and "grubby" in fix and "update-grub" in fix
    assert not any(f.id.startswith("acs.") for f in findings)  # ACS is off without IOMMU


def test_switch_without_acs_predicts_group_not_viable(tmp_path):
    host = load_host(str(shared_group_host(tmp_path).build()))
    findings = run_checks(host)
    shared = [f for f in findings if f.id == "vf.group-shared"]
    assert len(shared) == 7 and all(f.severity == "error" for f in shared)
    first = shared[0]
    assert "0000:03:00.0 (igb)" in first.message
    assert "group 2 is not viable" in first.message
    assert any("/sys/kernel/iommu_groups/2/devices" in e for e in first.evidence)
    acs = [f for f in findings if f.id == "acs.missing"]
    assert [f.subject for f in acs] == ["0000:02:00.0"]  # the downstream port, not the root port


def test_scope_narrows_to_one_vf_and_one_pf(tmp_path):
    host = load_host(str(shared_group_host(tmp_path).build()))
    one = run_checks(host, Scope(vfs=frozenset({"0000:03:10.2"})))
    assert [f.subject for f in one if f.id == "vf.group-shared"] == ["0000:03:10.2"]
    assert "cpu.virtualization" in ids(one)  # host-wide checks always apply


def test_real_kernel_snapshot_verdicts():
    host = load_host(str(FIXTURES / "lab-default-7vfs.tar.gz"))
    findings = run_checks(host)
    assert not ids(findings, "error")
    drivers = next(f for f in findings if f.id == "vf.drivers")
    assert "igbvf x6" in drivers.message and "vfio-pci x1" in drivers.message
    assert "vf.groups-isolated" in ids(findings)


def test_totalvfs_zero_points_at_bios(tmp_path):
    b = guide_host(tmp_path)
    b.build()
    (tmp_path / "sys/devices" / b.devs["0000:31:00.1"].path / "sriov_totalvfs").write_text("0\n")
    findings = run_checks(load_host(str(tmp_path)))
    f = next(f for f in findings if f.id == "pf.totalvfs-zero")
    assert f.severity == "error" and "BIOS" in f.fix


def test_pf_bound_to_vfio_is_an_error(tmp_path):
    b = guide_host(tmp_path)
    b.devs["0000:31:00.0"].driver = "vfio-pci"
    b.build()
    assert "pf.passthrough" in ids(run_checks(load_host(str(tmp_path))), "error")


def test_check_cli_exit_codes_and_json(cli, guide, tmp_path):
    code, out, err = cli("check", "--root", guide, "-f", "json")
    doc = json.loads(out)
    assert code == 0 and doc["summary"]["ready"] is True and "ready" in err
    assert doc["hostname"] == "compute-0"  # so a fleet report can pair it with its inventory
    for f in doc["findings"]:
        assert set(f) == {"id", "severity", "subject", "message", "evidence", "fix"}
    bad = shared_group_host(tmp_path / "bad").build()
    code, out, _ = cli("check", "--root", bad, "-f", "value", "-c", "ID", "--min-severity",
                       "error")
    assert code == 1 and set(out.split()) == {"vf.group-shared"}
    code, _, err = cli("check", "--root", guide, "--pf", "nope0")
    assert code == 2 and "no SR-IOV PF 'nope0'" in err
    code, out, _ = cli("check", "--root", guide, "--pf", "enp49s0f1", "-f", "value", "-c",
                       "Subject")
    assert "0000:31:00.0" not in out.split()


def test_big_host_has_256_vfs_on_two_numa_nodes(tmp_path):
    host = load_host(str(big_host(tmp_path).build()))
    vfs = [v for pf in host.pfs() for v in host.vfs_of(pf)]
    assert len(vfs) == 256
    assert {v.numa_node for v in vfs} == {0, 1}
    assert not ids(run_checks(host), "error")
