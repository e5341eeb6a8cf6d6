"""Run every check in a fixed, readable order: platform first, then NICs, then each VF."""

from __future__ import annotations

from sriovctl.checks import inputs, isolation, nics, platform, roles
from sriovctl.checks.finding import SEVERITIES, Finding, Scope
from sriovctl.host.model import Host

CHECKS = (
    platform.check_cpu,
    platform.check_iommu_firmware,
    platform.check_iommu_kernel,
    platform.check_cmdline,
    platform.check_vfio,
    nics.check_pfs,
    roles.check_pf_roles,
    isolation.check_vfs,
    inputs.check_read_problems,
)


def run_checks(host: Host, scope: Scope | None = None) -> list[Finding]:
    scope = scope or Scope()
    findings: list[Finding] = []
    for check in CHECKS:
        findings.extend(check(host, scope))
    order = {s: i for i, s in enumerate(SEVERITIES)}
    # Stable sort: severity first, the checks' own order within a severity.
    return sorted(findings, key=lambda f: order.get(f.severity, 9))
