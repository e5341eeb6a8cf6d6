"""`sriovctl snapshot` captures what the readers read; reading it back gives the same host."""

from __future__ import annotations

import json
import tarfile

from hostbuilder import guide_host
from testdata import FIXTURES


def _same_inventory(cli, a, b):
    _, out_a, _ = cli("inspect", "--root", a, "-f", "json")
    _, out_b, _ = cli("inspect", "--root", b, "-f", "json")
    ja, jb = json.loads(out_a), json.loads(out_b)
    for j in (ja, jb):
        j["host"].pop("source")
        j.pop("vf_settings_source")
    return ja == jb


def test_snapshot_of_a_root_reads_back_identically(cli, tmp_path):
    root = guide_host(tmp_path / "g").build()
    out = tmp_path / "snap.tar.gz"
    code, _, err = cli("snapshot", "--root", root, "-o", out)
    assert code == 0 and "wrote" in err
    assert _same_inventory(cli, root, out)
    names = tarfile.open(out).getnames()
    assert all(not n.startswith("/") and ".." not in n.split("/") for n in names)
    assert "_meta/info.json" in names


def test_snapshot_of_real_kernel_fixture_round_trips(cli, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    with tarfile.open(FIXTURES / "lab-default-7vfs.tar.gz") as tar:
        tar.extractall(src)  # noqa: S202 - our own trusted fixture
    out = tmp_path / "again.tar.gz"
    assert cli("snapshot", "--root", src, "-o", out)[0] == 0
    # Our snapshot of a fixture has no _netlink (not live); VF settings then come from
    # nowhere, so compare everything else.
    _, a, _ = cli("inspect", "--root", src, "-f", "json", "-c", "Address", "-c", "Driver",
                  "-c", "IOMMU Group", "-c", "Netdev")
    _, b, _ = cli("inspect", "--root", out, "-f", "json", "-c", "Address", "-c", "Driver",
                  "-c", "IOMMU Group", "-c", "Netdev")
    assert json.loads(a) == json.loads(b) and len(json.loads(a)) == 7


def test_snapshot_of_this_machine_works_without_sriov(cli, tmp_path):
    out = tmp_path / "live.tar.gz"
    code, _, err = cli("snapshot", "-o", out)
    assert code == 0, err
    code, _, _ = cli("inspect", "--root", out, "-f", "json")
    assert code == 0


def test_snapshot_refuses_wrong_suffix(cli, tmp_path):
    code, _, err = cli("snapshot", "-o", tmp_path / "x.zip")
    assert code == 2 and ".tar.gz" in err
