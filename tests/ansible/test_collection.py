"""The Ansible collection run by the real ansible-playbook (ansible-core, local connection)
against three fixture hosts at once, each host's root given by the `sriov_root` inventory
variable; results are read from the JSON stdout callback (ANSIBLE_STDOUT_CALLBACK=json).

  compute-0, compute-1   the guide's host: VFs as the spec wants, OpenStack files missing,
                         so applying changes files only (possible under a directory root)
  compute-big-0          4 E810-like PFs: the spec wants VF settings and vfio-pci, which a
                         directory root cannot take (no kernel): planned in check mode,
                         refused when applied
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sriovctl.report.inputs import load_inputs

from hostbuilder import big_host, guide_host

REPO = Path(__file__).parents[2]
COLLECTIONS = REPO / "ansible"
COLLECTION = COLLECTIONS / "ansible_collections/sriovctl/sriov"
PLAYBOOK = COLLECTION / "playbooks/site.yml"
PLAYBOOK_BIN = Path(sys.executable).parent / "ansible-playbook"
pytestmark = pytest.mark.skipif(not PLAYBOOK_BIN.exists(),
                                reason="no ansible-playbook: pip install -e '.[fleet]'")
# the example site, without VF settings for the I350 group (so its hosts change files only)
SPEC = (REPO / "examples/site/site.yaml").read_text().replace(
    "    vf:\n      spoofchk: true\n      trust: false\n", "", 1)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("ansible")
    roots = {"compute-0": guide_host(base / "c0"), "compute-1": guide_host(base / "c1"),
             "compute-big-0": big_host(base / "big")}
    (base / "site.yaml").write_text(SPEC)
    lines = ["[compute]"]
    for name, builder in roots.items():
        lines.append(f"{name} sriov_root={builder.build()}")
    lines += ["", "[all:vars]", "ansible_connection=local",
              f"ansible_python_interpreter={sys.executable}"]
    (base / "inventory.ini").write_text("\n".join(lines) + "\n")
    return base


def playbook(fleet: Path, *args: str) -> dict:
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
               ANSIBLE_STDOUT_CALLBACK="json",
               # the collection's callback answers to the short name `json` from here
               ANSIBLE_CALLBACK_PLUGINS=str(COLLECTION / "plugins/callback"),
               ANSIBLE_HOME=str(fleet / "ansible-home"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_DEPRECATION_WARNINGS="0")
    done = subprocess.run([str(PLAYBOOK_BIN), "-i", str(fleet / "inventory.ini"),
                           str(PLAYBOOK), *args], capture_output=True, text=True, env=env,
                          cwd=fleet, timeout=600, check=False, stdin=subprocess.DEVNULL)
    try:
        run = json.loads(done.stdout)
    except ValueError:
        raise AssertionError(f"no JSON from ansible-playbook: {done.stdout[-2000:]}"
                             f"{done.stderr[-2000:]}") from None
    run["rc"] = done.returncode
    return run


def results(run: dict, task: str) -> dict:
    for play in run["plays"]:
        for t in play["tasks"]:
            if t["task"]["name"].startswith(task):
                return t["hosts"]
    raise AssertionError(f"no task {task!r}")


def test_check_mode_plans_every_host_and_diff_mode_shows_the_files(fleet):
    run = playbook(fleet, "--check", "--diff", "-e", f"sriov_site_file={fleet}/site.yaml")
    assert run["rc"] == 0
    hosts = results(run, "Plan, apply, verify")
    assert sorted(hosts) == ["compute-0", "compute-1", "compute-big-0"]
    assert all(r["changed"] for r in hosts.values())
    nova = next(d for d in hosts["compute-0"]["diff"]
                if d.get("after_header") == "/etc/nova/nova.conf")
    assert nova["before"] == "" and '"physical_network": "physnet1"' in nova["after"]
    assert '"address": "0000:31:00.1"' in nova["after"]
    big = hosts["compute-big-0"]
    assert [c["phase"] for c in big["plan"]["changes"]][:3] == ["vf-settings", "vf-settings",
                                                                "driver"]
    assert "+ driver ens3f0: ens3f0: bind VF 0-63 to vfio-pci" in big["diff"][-1]["prepared"]
    for name in hosts:  # check mode wrote nothing
        root = Path(fleet / {"compute-0": "c0", "compute-1": "c1", "compute-big-0": "big"}[name])
        assert not (root / "etc").exists()
    facts = results(run, "SR-IOV inventory")
    assert facts["compute-big-0"]["ansible_facts"]["sriov_inventory"]["schema"] == \
        "sriovctl.inventory/1"
    assert run["stats"]["compute-0"]["changed"] == 1 and run["stats"]["compute-0"]["failures"] == 0

    # the same run is a fleet report's input, hosts named as Ansible names them
    (fleet / "run.json").write_text(json.dumps(run))
    assert [h.name for h in load_inputs([str(fleet / "run.json")])] == \
        ["compute-0", "compute-1", "compute-big-0"]


def test_apply_changes_files_once_then_nothing_and_refuses_vf_changes(fleet):
    site = f"sriov_site_file={fleet}/site.yaml"
    first = playbook(fleet, "--limit", "compute-0,compute-1", "-e", site)
    assert first["rc"] == 0
    hosts = results(first, "Plan, apply, verify")
    assert all(r["changed"] for r in hosts.values())
    assert hosts["compute-0"]["not_run"] == ["systemctl restart nova-compute",
                                             "systemctl restart neutron-sriov-agent"]
    agent = (fleet / "c0/etc/neutron/plugins/ml2/sriov_agent.ini").read_text()
    assert "physical_device_mappings = physnet1:enp49s0f1" in agent

    second = playbook(fleet, "--limit", "compute-0,compute-1", "-e", site, "--diff")
    hosts = results(second, "Plan, apply, verify")
    assert not any(r["changed"] for r in hosts.values())
    assert hosts["compute-1"]["message"] == "compute-1 already matches site.yaml: nothing changed"
    assert "diff" not in hosts["compute-1"]

    big = playbook(fleet, "--limit", "compute-big-0", "-e", site)
    assert big["rc"] != 0 and big["stats"]["compute-big-0"]["failures"] == 1
    result = results(big, "Plan, apply, verify")["compute-big-0"]
    assert result["failed"] and "is not the live host, and the plan changes the kernel's " \
                                "devices" in result["msg"]
    assert not (fleet / "big/etc").exists()  # refused before anything was written


def test_facts_gathered_with_ansible_tree_feed_the_report(fleet):
    """`ansible -m sriovctl.sriov.sriov_facts --tree DIR` (ad hoc): one file per host."""
    tree = fleet / "tree"
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
               ANSIBLE_HOME=str(fleet / "ansible-home"), ANSIBLE_DEPRECATION_WARNINGS="0")
    done = subprocess.run([str(PLAYBOOK_BIN.parent / "ansible"), "-i",
                           str(fleet / "inventory.ini"), "all", "-m",
                           "sriovctl.sriov.sriov_facts", "-a", "root={{ sriov_root }}",
                           "--tree", str(tree)], capture_output=True, text=True, env=env,
                          timeout=600, check=False, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr[-2000:]
    hosts = {h.name: h for h in load_inputs(sorted(str(p) for p in tree.iterdir()))}
    assert sorted(hosts) == ["compute-0", "compute-1", "compute-big-0"]
    assert all(h.inventory and h.check for h in hosts.values())
    assert len(hosts["compute-big-0"].inventory["pfs"]) == 4
