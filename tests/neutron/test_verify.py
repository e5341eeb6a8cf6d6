"""`sriovctl verify` end to end against real neutron 29 (API, RPC server, SR-IOV agent)."""

from __future__ import annotations

import json

import pytest
from realneutron import AGENT_HOST, MAPPED_PHYSNET, VLAN_RANGES

from sriovctl.cli.main import main
from sriovctl.verify.cleanup import TAG

from conftest import unique


def run(capsys, *args: str) -> tuple[int, dict, str]:
    code = main(["verify", "--cloud", "realneutron", *args, "-f", "json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip().startswith("{") else {}, err


def ours(rest) -> list[str]:
    """Everything a verify run could have left: tagged, or named like its resources."""
    found = []
    for kind in ("networks", "ports", "subnets"):
        items = rest.ok("GET", f"/{kind}")[kind]
        found += [f"{kind}/{x['id']}" for x in items
                  if TAG in x.get("tags", []) or x["name"].startswith("sriovctl-verify-")]
    return found


def steps(report: dict, prefix: str) -> list[dict]:
    return [s for s in report["steps"] if s["step"].startswith(prefix)]


def test_verify_binds_direct_and_direct_physical_and_leaves_nothing(cloud_env, rest, capsys):
    code, report, err = run(capsys, "--host", AGENT_HOST, "--vnic-type", "direct",
                            "--vnic-type", "direct-physical")
    assert code == 0, report
    assert report["ok"] and not report["leftovers"]
    direct, physical = steps(report, "bind direct on"), steps(report, "bind direct-physical")
    assert direct[0]["observed"].startswith("hw_veb vlan=")
    assert physical[0]["observed"].startswith("hostdev_physical vlan=")
    vlan = int(direct[0]["observed"].split("=")[1])
    low, high = VLAN_RANGES[MAPPED_PHYSNET]
    assert low <= vlan <= high  # neutron picked it from network_vlan_ranges
    assert all(s["agrees"] for s in direct + physical)
    assert len(report["created"]) == 3  # network + 2 ports; the subnet goes with the network
    assert "verify: binding the direct port" in err  # progress on stderr
    assert ours(rest) == []


def test_verify_uses_the_given_vlan(cloud_env, capsys):
    code, report, _ = run(capsys, "--physnet", MAPPED_PHYSNET, "--vlan", "1777")
    assert code == 0, report
    assert steps(report, "bind direct")[0]["observed"] == "hw_veb vlan=1777"


def test_verify_on_a_host_without_agent_fails_as_the_twin_predicts(cloud_env, rest, capsys):
    code, report, _ = run(capsys, "--host", "no-such-host", "--physnet", MAPPED_PHYSNET)
    assert code == 1
    assert steps(report, "agents")[0]["status"] == "fail"
    bind = steps(report, "bind direct")[0]
    assert bind["observed"] == "binding_failed" and bind["agrees"] is True
    assert bind["predicted"] == "binding_failed (no_agent)"
    assert ours(rest) == []


def test_verify_compares_device_mappings_with_the_agent_file(cloud_env, tmp_path, capsys):
    agent_file = tmp_path / "sriov_agent.ini"
    agent_file.write_text("[sriov_nic]\nphysical_device_mappings = sriovnet1:ens9f0\n")
    code, report, _ = run(capsys, "--host", AGENT_HOST, "--config", str(agent_file))
    assert code == 1
    agent = steps(report, f"agent {AGENT_HOST}")[0]
    assert agent["status"] == "fail"
    assert "sriovnet1: expected ens9f0, reported" in agent["detail"]


def test_verify_dry_run_writes_nothing(cloud_env, rest, capsys):
    before = rest.ok("GET", "/networks")["networks"]
    code, report, _ = run(capsys, "--dry-run", "--vnic-type", "direct", "--vlan", "1234")
    assert code == 0, report
    assert report["dry_run"] and report["created"] == []
    assert steps(report, "bind direct")[0]["predicted"] == "hw_veb vlan=1234"
    assert rest.ok("GET", "/networks")["networks"] == before


def test_verify_cleans_up_when_interrupted(cloud_env, rest):
    from sriovctl.verify.cloud import Api, connect
    from sriovctl.verify.smoke import Options, run_verify

    def progress(message: str) -> None:
        if message.startswith("binding the direct port"):
            raise KeyboardInterrupt  # Ctrl-C right after the port exists

    report = run_verify(Api(connect("realneutron")), "realneutron",
                        Options(host=AGENT_HOST), progress)
    assert steps(report.to_dict(), "interrupted")[0]["status"] == "fail"
    assert len(report.created) == 2 and report.leftovers == []
    assert ours(rest) == []


def test_cleanup_finds_what_an_earlier_run_left(cloud_env, rest, capsys):
    vlan = {"provider:network_type": "vlan", "provider:physical_network": MAPPED_PHYSNET}
    net = rest.ok("POST", "/networks", {"network": {"name": "sriovctl-verify-old-net", **vlan}})
    net_id = net["network"]["id"]
    other = rest.ok("POST", "/networks", {"network": {"name": unique("keep"), **vlan}})
    other = other["network"]["id"]
    port = rest.ok("POST", "/ports", {"port": {"network_id": net_id, "name": "anything"}})
    rest.ok("PUT", f"/ports/{port['port']['id']}/tags/{TAG}")
    code = main(["verify", "--cloud", "realneutron", "--cleanup", "-f", "json"])
    rows = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {(r["Kind"], r["ID"]) for r in rows} == {("network", net_id),
                                                    ("port", port["port"]["id"])}
    assert ours(rest) == []
    assert rest.call("GET", f"/networks/{other}")[0] == 200  # not ours: untouched
    rest.ok("DELETE", f"/networks/{other}")


@pytest.mark.parametrize("args, message", [
    (["--boot", "cirros"], "--boot and --flavor go together"),
])
def test_verify_usage_errors(capsys, args, message):
    assert main(["verify", "--cloud", "realneutron", *args]) == 2
    assert message in capsys.readouterr().err
