"""The twin in one call: read config files, hosts and a scenario, run it, count capacity.

This is what ``sriovctl simulate`` does; it is usable from Python as is::

    from sriovctl.twin.run import simulate
    report = simulate(["nova.conf", "ml2_conf.ini"], ["cmp1=cmp1.tar.gz"],
                      ["cmp1=sriov_agent.ini"], scenario="scenario.txt")
    for e in report.explanations: print(e.id, e.cause)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

from sriovctl.errors import InputError
from sriovctl.twin.deployment import Deployment, build_deployment, parse_vlans
from sriovctl.twin.engine import Report, Twin
from sriovctl.twin.hosts import HostFacts, load_hosts


def _name_value(text: str, option: str, example: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name or not value:
        raise InputError(f"{option} {text!r}: expected NAME=VALUE", f"e.g. {option} {example}")
    return name, value


def deployment_from_args(
    configs: Sequence[str],
    hosts: Sequence[str],
    host_configs: Sequence[str] = (),
    agents_down: Sequence[str] = (),
    trunks: Sequence[str] = (),
) -> Deployment:
    from sriovctl.openstack.config import read_file

    shared = [read_file(path) for path in configs]
    facts: list[HostFacts] = []
    for arg in hosts:
        facts += load_hosts(arg)
    names = [f.name for f in facts]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise InputError(f"two hosts are named {duplicate!r}", "name them: --host NAME=ROOT")
    per_host: dict[str, list] = {}
    for text in host_configs:
        name, path = _name_value(text, "--host-config", "cmp1=/etc/neutron/sriov_agent.ini")
        per_host.setdefault(name, []).append(read_file(path))
    trunk_map: dict[str, dict[str, frozenset[int]]] = {}
    for text in trunks:
        where, vlans = _name_value(text, "--switch-trunk", "cmp1:ens1f0=100-199")
        host, sep, pf = where.partition(":")
        if not sep:
            raise InputError(
                f"--switch-trunk {text!r}: expected NAME:PF=VLANS",
                "e.g. --switch-trunk cmp1:ens1f0=100-199,1000",
            )
        trunk_map.setdefault(host, {})[pf] = parse_vlans(vlans)
    return build_deployment(shared, facts, per_host, list(agents_down), trunk_map)


def simulate(
    configs: Sequence[str],
    hosts: Sequence[str],
    host_configs: Sequence[str] = (),
    agents_down: Sequence[str] = (),
    trunks: Sequence[str] = (),
    scenario: Optional[str] = None,
    with_capacity: bool = False,
    physnets: Sequence[str] = (),
) -> Report:
    from sriovctl.twin.scenario import Scenario, read_scenario

    parsed = read_scenario(scenario) if scenario else Scenario("<none>")  # fail fast on typos
    deployment = deployment_from_args(configs, hosts, host_configs, agents_down, trunks)
    twin = Twin(deployment)
    report = twin.run(parsed)
    if with_capacity:
        from sriovctl.twin.capacity import capacity

        report.capacity = capacity(twin.cloud, physnets or None)
    return report
