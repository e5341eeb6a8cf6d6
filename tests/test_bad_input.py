"""Bad input never gives a traceback: odd snapshots give findings, unsafe ones are refused."""

from __future__ import annotations

import io
import os
import random
import tarfile

import pytest

from sriovctl.checks import run_checks
from sriovctl.host.read import load_host

from hostbuilder import guide_host


def _tar(path, members):
    with tarfile.open(path, "w:gz") as tar:
        for name, kind, value in members:
            ti = tarfile.TarInfo(name)
            if kind == "sym":
                ti.type, ti.linkname = tarfile.SYMTYPE, value
                tar.addfile(ti)
            elif kind == "hard":
                ti.type, ti.linkname = tarfile.LNKTYPE, value
                tar.addfile(ti)
            else:
                ti.size = len(value)
                tar.addfile(ti, io.BytesIO(value))
    return path


@pytest.mark.parametrize("members, words", [
    ([("/etc/passwd", "file", b"x")], "absolute path"),
    ([("sys/../../evil", "file", b"x")], "absolute path or '..'"),
    ([("sys/bus/pci/devices/x", "sym", "../../../../../etc")], "points outside"),
    ([("sys/a", "sym", "/etc/shadow")], "points outside"),
    ([("proc/x", "hard", "../../etc/passwd")], "points outside"),
])
def test_unsafe_tarball_is_refused(cli, tmp_path, members, words):
    tarball = _tar(tmp_path / "evil.tar.gz", members)
    code, out, err = cli("check", "--root", tarball)
    assert code == 2 and words in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_truncated_tarball_is_one_line(cli, tmp_path):
    good = tmp_path / "good.tar.gz"
    guide_host(tmp_path / "g").tarball(good)
    bad = tmp_path / "truncated.tar.gz"
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    code, _, err = cli("inspect", "--root", bad)
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1
    code, _, err = cli("inspect", "--root", tmp_path / "missing.tar.gz")
    assert code == 2 and "no such directory or snapshot" in err


def test_directory_link_escaping_root_reads_as_absent(tmp_path):
    root = guide_host(tmp_path).build()
    os.symlink("/etc", root / "sys/class/net/evil")
    os.symlink("../../../../../../../../etc", root / "sys/bus/pci/devices/0000:99:00.0")
    host = load_host(str(root))
    assert host.netdevs["evil"].mac is None  # /etc/address never read
    assert "0000:99:00.0" not in host.devices


def test_garbage_values_become_findings(tmp_path, cli):
    b = guide_host(tmp_path)
    root = b.build()
    pf = root / "sys/devices" / b.devs["0000:31:00.1"].path
    (pf / "sriov_numvfs").write_bytes(b"seven\n")
    (pf / "numa_node").write_bytes(b"\xff\xfe\n")
    (pf / "vendor").write_text("0xZZZZ\n")
    (pf / "config").write_bytes(b"\x00" * 10)
    os.unlink(pf / "sriov_offset")
    os.unlink(root / "proc/cpuinfo")
    (root / "_netlink/links.json").write_text("{not json")
    code, out, err = cli("check", "--root", root, "-f", "json")
    assert "Traceback" not in err and code == 1
    assert "input.unreadable" in out and "sriov_numvfs" in out


def test_random_corruption_never_raises(tmp_path):
    b = guide_host(tmp_path)
    root = b.build()
    files = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs]
    rng = random.Random(1234)
    for _ in range(60):
        victim = rng.choice(files)
        if os.path.islink(victim):
            os.unlink(victim)
            os.symlink("../nowhere/" + "x" * rng.randint(1, 5), victim)
        else:
            with open(victim, "wb") as f:
                f.write(bytes(rng.randrange(256) for _ in range(rng.randint(0, 40))))
        host = load_host(str(root))
        run_checks(host)


@pytest.mark.parametrize("cut", [0.25, 0.5, 0.75, 0.95, 0.999])
def test_truncated_at_any_point_is_refused(cli, tmp_path, cut):
    good = tmp_path / "good.tar.gz"
    guide_host(tmp_path / "g").tarball(good)
    data = good.read_bytes()
    bad = tmp_path / "cut.tar.gz"
    bad.write_bytes(data[: int(len(data) * cut)])
    code, _, err = cli("check", "--root", bad)
    assert code == 2 and "truncated" in err and err.count("\n") == 1
