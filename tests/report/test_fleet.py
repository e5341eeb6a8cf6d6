"""`sriovctl report`: inventories and check results of several hosts merged into one view."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sriovctl.errors import InputError
from sriovctl.report.fleet import NO_PHYSNET, fleet_view
from sriovctl.report.html import render_html
from sriovctl.report.inputs import load_inputs
from sriovctl.site.spec import load_site, parse_site

EXAMPLE_SITE = Path(__file__).parents[2] / "examples/site/site.yaml"


def files_of(d: Path) -> list[str]:
    return sorted(str(p) for p in d.iterdir())


def test_inputs_pair_inventories_with_their_checks(fleet_dir):
    hosts = {h.name: h for h in load_inputs(files_of(fleet_dir))}
    assert sorted(hosts) == ["compute-0", "compute-1", "compute-big-0", "lab-7vfs"]
    assert hosts["compute-1"].check["summary"]["ready"] is False
    assert hosts["compute-0"].check["summary"]["ready"] is True
    assert hosts["compute-big-0"].inventory["host"]["hostname"] == "compute-big-0"
    assert hosts["lab-7vfs"].check is None  # the snapshot has no hostname: named by file


def test_fleet_view_without_a_site(fleet_dir):
    view = fleet_view(load_inputs(files_of(fleet_dir)))
    assert view["totals"] == {"hosts": 4, "ready": 2, "not_ready": 1, "unknown": 1,
                              "vfs": 7 + 7 + 256 + 7}
    [net] = view["physnets"]
    assert net["physnet"] == NO_PHYSNET
    assert net["by_numa"] == {"0": 128, "1": 128, "none": 21}
    [bad] = view["not_ready"]
    assert bad["name"] == "compute-1"
    assert any(r.startswith("iommu.kernel: ") for r in bad["reasons"])


def test_fleet_view_with_the_site_maps_vfs_to_physnets(fleet_dir):
    view = fleet_view(load_inputs(files_of(fleet_dir)), load_site(str(EXAMPLE_SITE)))
    nets = {p["physnet"]: p for p in view["physnets"]}
    # compute-0/1: enp49s0f1 -> physnet1; compute-big-0: ens1f0 and ens2f0 (NUMA 0, split
    # in two groups) -> physnet1, ens3f0 (NUMA 1) -> physnet2; ens4f0 and the lab host are
    # in no group
    assert nets["physnet1"]["by_numa"] == {"0": 128, "none": 14}
    assert nets["physnet1"]["wanted"] == 142
    assert nets["physnet2"]["by_numa"] == {"1": 64}
    assert nets[NO_PHYSNET]["by_numa"] == {"1": 64, "none": 7}
    assert [h["name"] for h in view["hosts"] if h["ready"] is False] == ["compute-1"]


def test_a_host_without_the_vfs_the_site_wants_is_not_ready(fleet_dir):
    site = parse_site(EXAMPLE_SITE.read_text().replace("num_vfs: 7", "num_vfs: 4"))
    view = fleet_view(load_inputs(files_of(fleet_dir)), site)
    reasons = {e["name"]: e["reasons"] for e in view["not_ready"]}
    assert "enp49s0f1 has 7 VFs; the site wants 4 (group i350-tenant)" in reasons["compute-0"]


def test_ansible_json_callback_output_is_read(fleet_dir, tmp_path):
    tree = json.loads((fleet_dir / "compute-big-0").read_text())
    callback = {"plays": [{"play": {"name": "facts"}, "tasks": [
        {"task": {"name": "gather"}, "hosts": {"big-a": tree, "big-b": tree}}]}],
        "stats": {}}
    path = tmp_path / "run.json"
    path.write_text(json.dumps(callback))
    hosts = load_inputs([str(path)])
    # the Ansible inventory name wins over the machine's own hostname
    assert [h.name for h in hosts] == ["big-a", "big-b"]
    assert all(h.check is not None for h in hosts)


def test_two_different_inventories_for_one_host_are_refused(fleet_dir, tmp_path):
    inv = json.loads((fleet_dir / "compute-0.json").read_text())
    inv["pfs"] = []
    (tmp_path / "again.json").write_text(json.dumps(inv))
    with pytest.raises(InputError, match="two different inventories for host compute-0"):
        load_inputs([str(fleet_dir / "compute-0.json"), str(tmp_path / "again.json")])


@pytest.mark.parametrize("content, words", [
    ("{", "is not JSON"),
    ('{"hello": 1}', "neither an inventory, a check result nor Ansible facts"),
])
def test_unusable_files(tmp_path, content, words):
    path = tmp_path / "x.json"
    path.write_text(content)
    with pytest.raises(InputError, match=words):
        load_inputs([str(path)])


def test_html_is_self_contained_and_escaped(fleet_dir, tmp_path):
    inv = json.loads((fleet_dir / "compute-0.json").read_text())
    inv["host"]["hostname"] = "<script>alert(1)</script>"
    (tmp_path / "evil.json").write_text(json.dumps(inv))
    page = render_html(fleet_view(load_inputs([str(tmp_path / "evil.json")])))
    assert "<script" not in page and "&lt;script&gt;" in page
    for fetch in ("src=", "href=", "@import", "url("):
        assert fetch not in page
    assert '<svg id="capacity-chart"' in page


def test_cli_table_json_and_html(cli, fleet_dir, tmp_path):
    html = tmp_path / "report.html"
    code, out, err = cli("report", fleet_dir, "--site", EXAMPLE_SITE, "-o", html)
    assert code == 1  # compute-1 is not ready
    assert "physnet1" in out and "compute-1" in out and "NOT ready" in out
    assert "4 hosts: 2 ready, 1 NOT ready, 1 unchecked; 277 VFs; wrote" in err
    assert html.read_text().startswith("<!DOCTYPE html>")
    code, out, _ = cli("report", *files_of(fleet_dir), "-f", "json")
    assert json.loads(out)["schema"] == "sriovctl.fleet/1"
    code, out, _ = cli("report", fleet_dir / "compute-0.json", fleet_dir / "compute-0.check.json",
                       "-f", "value", "-c", "Host", "-c", "State")
    assert (code, out) == (0, "compute-0 ready\n")


def test_cli_bad_input_is_one_line_exit_2(cli, tmp_path):
    code, out, err = cli("report", tmp_path / "missing.json")
    assert code == 2 and err.startswith("error: no such file") and err.count("\n") == 1
