"""`sriovctl simulate`: run `openstack` commands against a model of nova and neutron built
from the real config files and host inventories, and explain every failure.

Exit 0 when every step succeeds with no error found, 1 when a step fails or an error is
predicted, 2 when the inputs cannot be read (a bad scenario line, a missing file).
"""

from __future__ import annotations

import click

from sriovctl.cli.output import emit_document, emit_list, emit_record, output_options

PORT_COLUMNS = (
    "Port",
    "Server",
    "Host",
    "VF",
    "PF",
    "VF Index",
    "NUMA",
    "VIF Type",
    "VLAN",
    "Status",
    "Guest Driver",
)


@click.command("simulate")
@click.option(
    "--config",
    "configs",
    multiple=True,
    metavar="FILE",
    help="A config file every service reads as its own (nova.conf of the scheduler, "
    "ml2_conf.ini, neutron.conf, or a compute file all hosts share). Repeatable.",
)
@click.option(
    "--host",
    "hosts",
    multiple=True,
    metavar="[NAME=]ROOT|JSON",
    help="A compute host: /, a snapshot dir or tarball, or `sriovctl inspect -f json` "
    "output (one host or a list). NAME is its nova/neutron host name (default: its "
    "hostname). Repeatable.",
)
@click.option(
    "--host-config",
    "host_configs",
    multiple=True,
    metavar="NAME=FILE",
    help="A file only host NAME reads (its nova.conf, its sriov_agent.ini). Repeatable.",
)
@click.option(
    "--agent-down",
    "agents_down",
    multiple=True,
    metavar="NAME",
    help="The NIC Switch agent of host NAME is dead. Repeatable.",
)
@click.option(
    "--switch-trunk",
    "trunks",
    multiple=True,
    metavar="NAME:PF=VLANS",
    help="The VLANs the switch port facing PF carries, e.g. cmp1:ens1f0=100-199,1000. Repeatable.",
)
@click.option(
    "--scenario",
    metavar="FILE",
    help="`openstack` command lines to run, e.g. examples/guide/scenario.txt.",
)
@click.option(
    "--capacity",
    "show_capacity",
    is_flag=True,
    help="Also count how many more direct ports fit per host, physnet, NUMA node.",
)
@click.option(
    "--physnet",
    "physnets",
    multiple=True,
    metavar="NAME",
    help="Capacity for this physnet only. Repeatable.",
)
@click.option(
    "--long",
    "long_",
    is_flag=True,
    help="Table output: add each port's libvirt XML, VF settings and in-guest check.",
)
@output_options()
def simulate(
    configs,
    hosts,
    host_configs,
    agents_down,
    trunks,
    scenario,
    show_capacity,
    physnets,
    long_,
    fmt,
    columns,
) -> int:
    """Simulate the guide's `openstack` steps (networks, ports, servers) on your config files
    and hosts: scheduling like nova, binding like neutron, every failure explained.

    Example: sriovctl simulate --config nova.conf --config ml2_conf.ini
    --host cmp1=cmp1.tar.gz --host-config cmp1=sriov_agent.ini --scenario scenario.txt
    """
    from sriovctl.twin.run import simulate as run

    if not hosts:
        raise click.UsageError("give at least one --host (a root, a snapshot or inventory JSON)")
    if not scenario and not show_capacity:
        raise click.UsageError("give --scenario FILE, --capacity, or both")
    report = run(
        configs, hosts, host_configs, agents_down, trunks, scenario, show_capacity, physnets
    )
    if columns or fmt == "value":
        if report.capacity is not None and not report.steps:
            from sriovctl.twin.capacity import COLUMNS

            emit_list(COLUMNS, report.capacity, fmt, columns)
        else:
            emit_list(PORT_COLUMNS, port_rows(report.ports), fmt, columns)
    elif not emit_document(report.to_dict(), fmt):
        render(report, long_)
    errors = sum(e.severity == "error" for e in report.explanations)
    warnings = sum(e.severity == "warning" for e in report.explanations)
    failed = sum(not s.ok for s in report.steps)
    click.echo(
        f"{len(report.steps)} steps, {failed} failed; {errors} errors, {warnings} warnings "
        "predicted",
        err=True,
    )
    return 1 if report.failed else 0


def port_rows(ports: list[dict]) -> list[dict]:
    return [
        {
            "Port": p["port"],
            "Server": p["server"],
            "Host": p["host"],
            "VF": p["vf"],
            "PF": p["pf"],
            "VF Index": p["vf_index"],
            "NUMA": p["numa_node"],
            "VIF Type": p["vif_type"],
            "VLAN": p["vlan"],
            "Status": p["status"],
            "Guest Driver": p.get("guest_driver"),
        }
        for p in ports
    ]


def render(report, long_: bool) -> None:
    """The readable form: each step with the client's answer, then ports and capacity."""
    if report.setup:
        click.echo("deployment:")
        for e in report.setup:
            echo_explanation(e)
    for step in report.steps:
        mark = "" if step.ok else "FAILED "
        click.echo(f"\n{mark}line {step.line}: {step.text}")
        if step.error:
            click.echo(f"  {step.error}")
        if step.ignored:
            click.echo(f"  (not modelled, ignored: {', '.join(step.ignored)})")
        if step.assigned:
            click.echo(f"  {step.assigned[0]}={step.assigned[1]}")
        elif step.record is not None:
            emit_record(step.record, "table")
        elif step.rows is not None:
            emit_list(step.columns or [], step.rows, "table")
        for e in step.explanations:
            echo_explanation(e)
    if report.ports:
        click.echo("\nSR-IOV ports:")
        emit_list(PORT_COLUMNS, port_rows(report.ports), "table")
        if long_:
            for p in report.ports:
                echo_port(p)
    if report.capacity is not None:
        from sriovctl.twin.capacity import COLUMNS

        click.echo("\ncapacity for direct ports:")
        emit_list(COLUMNS, report.capacity, "table")


def echo_explanation(e) -> None:
    where = ", ".join(x for x in (e.host, e.subject) if x)
    click.echo(f"  [{e.severity}] {e.id}" + (f" ({where})" if where else "") + f": {e.cause}")
    if e.error:
        click.echo(f"      openstack says: {e.error}")
    for line in e.evidence:
        click.echo(f"      evidence: {line}")
    if e.fix:
        click.echo(f"      fix: {e.fix}")


def echo_port(p: dict) -> None:
    click.echo(f"\nport {p['port']} ({p['port_id']}) on {p['host']}: VF {p['vf']}")
    if p.get("libvirt_xml"):
        click.echo("  libvirt interface XML:")
        click.echo("\n".join("    " + line for line in p["libvirt_xml"].splitlines()))
    for line in p.get("vf_settings", []):
        click.echo(f"  {line}")
    for line in p.get("in_guest", []):
        click.echo(f"  in the guest: {line}")
