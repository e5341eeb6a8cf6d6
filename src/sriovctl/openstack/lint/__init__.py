"""Lint nova and neutron SR-IOV configuration across files and against real hosts.

    from sriovctl.openstack.lint import run_lint
    report = run_lint(["nova.conf", "ml2_conf.ini", "sriov_agent.ini"],
                      host_paths=["compute-0.tar.gz"])
    report.findings   # sriovctl.checks.Finding, subject = "file:line"
    report.matches    # per host and device_spec entry: the PCI devices it selects

Findings have the shape of ``sriovctl check``'s (id, severity, subject, message, evidence,
fix); every subject is the ``file:line`` to edit. Values come from the config reader, which
masks secrets as it reads, so no finding, match or error can carry one.

Modules: :mod:`.inputs` (which file is which), :mod:`.hosts` (a host as nova sees it),
:mod:`.devspec` and :mod:`.regex` (device_spec entries and their matches), :mod:`.nova`
(compute and scheduler), :mod:`.neutron` (server, agents, FDB), :mod:`.physnets` (the
physnet name across the three).
"""

from __future__ import annotations

from dataclasses import dataclass

from sriovctl.checks.finding import SEVERITIES, Finding, summarize
from sriovctl.openstack.lint.devspec import SpecMatch
from sriovctl.openstack.lint.hosts import HostFacts
from sriovctl.openstack.lint.inputs import LintFile, parse_roles, read_inputs
from sriovctl.openstack.releases import LATEST, Release

__all__ = ["LintReport", "run_lint", "parse_roles"]


@dataclass(frozen=True)
class LintReport:
    files: tuple[LintFile, ...]
    hosts: tuple[str, ...]
    release: Release
    findings: tuple[Finding, ...]
    matches: tuple[SpecMatch, ...]

    @property
    def summary(self) -> dict:
        counts = summarize(list(self.findings))
        return {"ok": counts.pop("ready"), **counts}

    def to_dict(self) -> dict:
        return {
            "release": self.release.label,
            "files": [{"path": f.path, "roles": list(f.roles)} for f in self.files],
            "hosts": list(self.hosts),
            "summary": self.summary,
            "matches": [m.to_dict() for m in self.matches],
            "findings": [f.to_dict() for f in self.findings],
        }


def _line_key(subject: str) -> tuple[str, int]:
    path, _, line = subject.rpartition(":")
    return (path, int(line)) if line.isdigit() else (subject, 0)


def run_lint(paths: list[str], roles: dict[str, tuple[str, ...]] | None = None,
             host_paths: list[str] | tuple[str, ...] = (),
             release: Release | None = None, facts: tuple[HostFacts, ...] = ()) -> LintReport:
    """Read ``paths`` (roles guessed from sections unless given), the hosts, and lint.

    ``facts`` are hosts already read (:func:`.hosts.host_facts`), linted after ``host_paths``.
    """
    from sriovctl.openstack.lint.hosts import load_hosts  # noqa: PLC0415
    from sriovctl.openstack.lint.neutron import check_neutron
    from sriovctl.openstack.lint.nova import check_compute, check_scheduler
    from sriovctl.openstack.lint.physnets import check_physnets

    release = release or LATEST
    inputs = read_inputs(list(paths), roles)
    hosts = load_hosts(list(host_paths)) + list(facts)
    findings = list(inputs.findings)
    compute, matches, entries = check_compute(inputs, hosts, release)
    findings += compute + check_scheduler(inputs, release)
    neutron, views = check_neutron(inputs, hosts)
    findings += neutron
    findings += check_physnets(entries, views.get("sriov_agent"), views.get("ml2"))
    order = {s: i for i, s in enumerate(SEVERITIES)}
    paths_order = {p: i for i, p in enumerate(paths)}
    # Worst first; within a severity, in file order and line order (the order to fix them).
    findings.sort(key=lambda f: (order.get(f.severity, 9),
                                 paths_order.get(_line_key(f.subject)[0], 99),
                                 _line_key(f.subject)[1]))
    return LintReport(inputs.files, tuple(h.label for h in hosts), release, tuple(findings),
                      tuple(matches))
