"""PFs with a role on the host: the one carrying the default route, one bound to vfio-pci."""

from __future__ import annotations

from sriovctl.checks.finding import Finding, Scope
from sriovctl.checks.nics import pf_name, sriov_candidates
from sriovctl.host.model import Host

DEV = "/sys/bus/pci/devices"


def check_pf_roles(host: Host, scope: Scope) -> list[Finding]:
    out: list[Finding] = []
    for pf in sriov_candidates(host):
        if not scope.wants_pf(pf.address):
            continue
        base = f"{DEV}/{pf.address}"
        routed = [n for n in pf.netdevs if n in host.netdevs and host.netdevs[n].default_route]
        if routed:
            out.append(Finding(
                "pf.default-route", "warning", pf.address,
                f"{pf_name(host, pf)} carries the host's default route: assigning its VFs is "
                "fine, but resetting the PF or changing its VF count through 0 can cut the "
                "host off",
                (f"/proc/net/route, /proc/net/ipv6_route: default via {', '.join(routed)}",),
                "plan VF count changes in a maintenance window or from the console; prefer a "
                "PF that does not carry management traffic",
            ))
        if pf.driver in ("vfio-pci", "pci-stub"):
            out.append(Finding(
                "pf.passthrough", "error", pf.address,
                f"{pf_name(host, pf)} is bound to {pf.driver}: the host cannot create or manage "
                "its VFs",
                (f"{base}/driver -> {pf.driver}",
                 f"{base}/driver_override = {pf.driver_override}"),
                f"echo > {base}/driver_override; echo {pf.address} > "
                f"/sys/bus/pci/drivers/{pf.driver}/unbind; echo {pf.address} > "
                "/sys/bus/pci/drivers_probe",
            ))
    return out
