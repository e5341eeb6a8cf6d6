"""A small fleet on disk, made by the real commands from the shared fixture hosts:

    compute-0      the guide's host (7 VFs on enp49s0f1), ready      inspect + check files
    compute-1      the same host with the IOMMU off: NOT ready        inspect + check files
    compute-big-0  4 PFs x 64 VFs on NUMA 0/1, ready                  an `ansible --tree` file
    lab-7vfs       the lab's real-kernel snapshot, no check result    inspect file only
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hostbuilder import big_host, guide_host
from testdata import FIXTURES


def named(builder, hostname: str) -> Path:
    root = builder.build()
    (root / "proc/sys/kernel/hostname").write_text(hostname + "\n")
    return root


def run_cli(*args: str) -> tuple[int, str]:
    import contextlib
    import io

    from sriovctl.cli.main import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main([str(a) for a in args])
    return code, out.getvalue()


@pytest.fixture(scope="session")
def fleet_dir(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("fleet")
    roots = base / "roots"
    files = base / "files"
    files.mkdir()
    hosts = {
        "compute-0": named(guide_host(roots / "c0"), "compute-0"),
        "compute-1": named(guide_host(roots / "c1", iommu=False), "compute-1"),
    }
    for name, root in hosts.items():
        code, inv = run_cli("inspect", "--root", root, "-f", "json")
        assert code == 0
        (files / f"{name}.json").write_text(inv)
        code, check = run_cli("check", "--root", root, "-f", "json")
        assert code == (1 if name == "compute-1" else 0)
        (files / f"{name}.check.json").write_text(check)
    big = named(big_host(roots / "big"), "compute-big-0")
    facts = {"ansible_facts": {
        "sriov_inventory": json.loads(run_cli("inspect", "--root", big, "-f", "json")[1]),
        "sriov_check": json.loads(run_cli("check", "--root", big, "-f", "json")[1])},
        "changed": False}
    (files / "compute-big-0").write_text(json.dumps(facts))  # as `ansible --tree` names it
    code, inv = run_cli("inspect", "--root", FIXTURES / "lab-default-7vfs.tar.gz", "-f", "json")
    (files / "lab-7vfs.json").write_text(inv)
    return files
