"""monitoring/: the alert rules and the Grafana dashboard refer only to what the exporter
exposes, and are well-formed. With promtool installed (Debian: `apt-get install
prometheus`), the rules are also checked and unit-tested by Prometheus itself."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from sriovctl.monitor.collect import Monitor
from sriovctl.monitor.metrics import PF_LABELS, VF_LABELS, exposition

REPO = Path(__file__).resolve().parents[2]
ALERTS = REPO / "monitoring/prometheus-alerts.yaml"
ALERT_TESTS = Path(__file__).with_name("prometheus-alerts.test.yaml")
DASHBOARD = REPO / "monitoring/grafana-dashboard.json"
METRIC = re.compile(r"\bsriov_[a-z_]+\b")
DURATION = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")
# labels Prometheus adds, and the exporter's own
KNOWN_LABELS = {"instance", "job", "source", *VF_LABELS, *PF_LABELS}


@pytest.fixture(scope="module")
def exposed(tmp_path_factory) -> set[str]:
    """Every metric name the exporter declares, from a scrape where all of them exist."""
    from vfdumps import PF_PCI, netdev_link, pf_link, pf_root, vf_info, write_links

    root = pf_root(tmp_path_factory.mktemp("host") / "root", num=1)
    write_links(root, [pf_link([vf_info(0)]), netdev_link("enp1s0v0", "0000:01:10.0")])
    state = root / "etc/sriovctl/vfs.json"
    state.parent.mkdir(parents=True)
    state.write_text(json.dumps({"version": 1, "pfs": {PF_PCI: {"numvfs": 1}}}))
    text = exposition(Monitor(str(root), state_path="/etc/sriovctl/vfs.json")).decode()
    return set(re.findall(r"^# TYPE (\S+) ", text, re.M))


def rules() -> list[dict]:
    return [r for g in yaml.safe_load(ALERTS.read_text())["groups"] for r in g["rules"]]


def balanced(expr: str) -> bool:
    depth = {"(": 0, "{": 0, "[": 0}
    closing = {")": "(", "}": "{", "]": "["}
    for ch in re.sub(r'"[^"]*"', "", expr):
        if ch in depth:
            depth[ch] += 1
        elif ch in closing:
            depth[closing[ch]] -= 1
            if depth[closing[ch]] < 0:
                return False
    return not any(depth.values())


def test_alert_groups_and_rules_have_the_shape_prometheus_wants():
    doc = yaml.safe_load(ALERTS.read_text())
    assert set(doc) == {"groups"}
    names = [g["name"] for g in doc["groups"]]
    assert len(names) == len(set(names))
    alerts = []
    for group in doc["groups"]:
        assert set(group) == {"name", "rules"} and group["rules"]
        for rule in group["rules"]:
            assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule
            assert isinstance(rule["expr"], str) and balanced(rule["expr"]), rule["alert"]
            assert DURATION.match(rule["for"]), rule["alert"]
            assert rule["labels"]["severity"] in ("info", "warning", "critical")
            assert set(rule["annotations"]) == {"summary", "description"}
            alerts.append(rule["alert"])
    assert len(alerts) == len(set(alerts))
    # what the issue asks for
    assert {"SriovVfSpoofchkOffButPersistedOn", "SriovVfTxDropsGrowing",
            "SriovPfNumvfsDiffersFromPersisted"} <= set(alerts)


def test_alerts_use_only_exposed_metrics_and_existing_labels(exposed):
    for rule in rules():
        used = set(METRIC.findall(rule["expr"]))
        assert used and used <= exposed, (rule["alert"], used - exposed)
        for text in rule["annotations"].values():
            assert set(re.findall(r"\$labels\.(\w+)", text)) <= KNOWN_LABELS, rule["alert"]
        for matcher in re.findall(r"\{([^}]*)\}", rule["expr"]):
            assert {m.split("!")[0].split("=")[0].strip() for m in matcher.split(",")} <= \
                KNOWN_LABELS
        for on in re.findall(r"on \(([^)]*)\)", rule["expr"]):
            assert {x.strip() for x in on.split(",")} <= KNOWN_LABELS


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.skip("promtool is not installed (Debian: apt-get install prometheus); the "
                    "structural checks above still ran")
    return found


def test_promtool_checks_the_rules():
    out = subprocess.run([promtool(), "check", "rules", str(ALERTS)], capture_output=True,
                         text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr


def test_promtool_unit_tests_fire_each_alert_when_and_only_when_it_should():
    tests = yaml.safe_load(ALERT_TESTS.read_text())["tests"]
    tested = {t["alertname"] for case in tests for t in case["alert_rule_test"]}
    assert tested == {r["alert"] for r in rules()}
    out = subprocess.run([promtool(), "test", "rules", ALERT_TESTS.name], capture_output=True,
                         text=True, check=False, cwd=ALERT_TESTS.parent)
    assert out.returncode == 0, out.stdout + out.stderr


def dashboard_exprs(dashboard: dict) -> list[str]:
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    exprs += [v["definition"] for v in dashboard["templating"]["list"] if "definition" in v]
    return exprs


def test_the_dashboard_is_well_formed_and_queries_exposed_metrics(exposed):
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] == "sriovctl-vfs" and dashboard["title"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24 and grid["h"] > 0, panel["title"]
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert panel["targets"], panel["title"]
        refs = [t["refId"] for t in panel["targets"]]
        assert len(refs) == len(set(refs))
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert variables == {"datasource", "host", "pf"}
    for expr in dashboard_exprs(dashboard):
        used = set(METRIC.findall(expr))
        assert used and used <= exposed, (expr, used - exposed)
        assert balanced(expr), expr
        assert set(re.findall(r"\$(\w+)", expr)) <= variables | {"__rate_interval"}, expr


def test_promtool_parses_every_dashboard_query(tmp_path):
    """Grafana's variables replaced by values, each query becomes a recording rule."""
    tool = promtool()
    dashboard = json.loads(DASHBOARD.read_text())
    records = []
    for n, expr in enumerate(dashboard_exprs(dashboard)):
        if expr.startswith("label_values("):  # Grafana's own function: check its selector
            expr = expr[len("label_values("):].rsplit(",", 1)[0]
        expr = expr.replace("$__rate_interval", "5m").replace("$host", ".*").replace("$pf", ".*")
        records.append({"record": f"dashboard:query{n}", "expr": expr})
    path = tmp_path / "dashboard-rules.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": records}]}))
    out = subprocess.run([tool, "check", "rules", str(path)], capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0, out.stdout + out.stderr
