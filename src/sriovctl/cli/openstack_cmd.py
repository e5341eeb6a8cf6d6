"""`sriovctl openstack`: lint, render and apply nova/neutron SR-IOV configuration; guest XML.

Each subcommand imports its library only when it runs (oslo.config is heavy).
Exit status: 0 clean, 1 findings of severity error (lint) or a failed change, 2 bad input.
"""

from __future__ import annotations

import click

from sriovctl.cli.common import root_option
from sriovctl.cli.findings import at_least, emit_findings, long_option, min_severity_option
from sriovctl.cli.output import emit_document, emit_list, output_options

MATCH_COLUMNS = ("Host", "Spec", "Physnet", "Devices", "Types")


@click.group("openstack")
def openstack() -> None:
    """nova and neutron SR-IOV configuration: lint, render, apply; libvirt guest XML."""


def _release(name: str | None):
    from sriovctl.openstack.releases import LATEST, find_release

    return find_release(name) if name else LATEST


@openstack.command("lint")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--host", "hosts", multiple=True, metavar="SNAPSHOT_OR_ROOT",
              help="Match device_spec against this host: a root directory or a snapshot "
              "tarball (repeatable).")
@click.option("--role", "roles", multiple=True, metavar="FILE=ROLE",
              help="Say what a file is when its sections do not: nova, nova-compute, "
              "nova-scheduler, neutron, ml2, sriov_agent, ovs_agent, linuxbridge_agent.")
@click.option("--release", metavar="NAME", help="OpenStack release (zed, 2023.1, antelope, …); "
              "default: the newest known.")
@min_severity_option
@long_option
@output_options()
def lint(files, hosts, roles, release, min_severity, long_, fmt, columns) -> int:
    """Check nova.conf, ml2_conf.ini, sriov_agent.ini and the OVS agent's file together,
    and against hosts: which devices each device_spec entry selects, and what will fail.

    Every finding names the file:line to edit. Secrets in these files are never shown.
    """
    from sriovctl.openstack.lint import parse_roles, run_lint

    report = run_lint(list(files), parse_roles(roles), list(hosts), _release(release))
    shown = at_least(report.findings, min_severity)
    doc = report.to_dict()
    doc["findings"] = [f.to_dict() for f in shown]
    if columns or not emit_document(doc, fmt):
        if fmt == "table" and report.matches and not columns:
            emit_list(MATCH_COLUMNS, [{
                "Host": m.host, "Spec": f"{m.entry.label}\n{m.entry.text}",
                "Physnet": m.entry.physnet, "Devices": [d["address"] for d in m.devices],
                "Types": sorted({d["dev_type"] for d in m.devices}),
            } for m in report.matches], fmt)
        emit_findings(shown, fmt, columns, long_, skip_empty_table=True)
    s = report.summary
    click.echo(f"{len(report.files)} files, {len(report.hosts)} hosts: {s['error']} errors, "
               f"{s['warning']} warnings, {s['info']} notes", err=True)
    return 0 if s["ok"] else 1


@openstack.command("libvirt")
@click.argument("device")
@click.option("--vnic-type", type=click.Choice(["direct", "macvtap", "direct-physical"]),
              default="direct", show_default=True, help="The neutron port's binding:vnic_type.")
@click.option("--mac", help="The port's MAC address (nova writes it on <mac>).")
@click.option("--vlan", type=int, help="The segment's VLAN id; 0 for a flat network.")
@click.option("--netdev", help="macvtap: the VF's netdev (read from the host when omitted).")
@root_option
def libvirt(device, vnic_type, mac, vlan, netdev, root) -> int:
    """Print the guest XML nova writes for an SR-IOV port on DEVICE (PCI address or netdev).

    With a snapshot --root (or a netdev name) the device is looked up on the host and
    checked: direct and macvtap need a VF, direct-physical a PF.
    """
    from dataclasses import replace

    from sriovctl.host.model import normalize_address
    from sriovctl.openstack.libvirt import GuestPort, interface_xml, port_on_host

    address = normalize_address(device) if device.count(":") == 2 else None
    standalone = root == "/" and address and (vnic_type != "macvtap" or netdev)
    if standalone:
        port = GuestPort(vnic_type, address, mac=mac, vlan=vlan, netdev=netdev)
    else:
        from sriovctl.cli.common import load

        port = port_on_host(load(root), vnic_type, device, mac=mac, vlan=vlan)
        if netdev:
            port = replace(port, netdev=netdev)
    click.echo(interface_xml(port), nl=False)
    return 0


def _render_options(fn):
    """The options render and apply share: what to configure, for which release."""
    for decorate in reversed((
        click.option("--physnet", "physnets", multiple=True, required=True,
                     metavar="PHYSNET=PF", help="Map a physnet to a PF netdev (repeatable)."),
        click.option("--release", metavar="NAME", help="OpenStack release: before Zed nova "
                     "reads passthrough_whitelist, from Zed on device_spec. Default: newest."),
        click.option("--fdb", is_flag=True, help="Also the OVS agent's FDB extension."),
        click.option("--network-type", type=click.Choice(["vlan", "flat"]), default="vlan",
                     show_default=True, help="Provider network type for the physnets."),
        click.option("--match", type=click.Choice(["address", "ids"]), default="address",
                     show_default=True, help="device_spec by PF address + VF ids, or by "
                     "VF ids only (every such VF of the host)."),
        root_option,
    )):
        fn = decorate(fn)
    return fn


@openstack.command("render")
@_render_options
@click.option("-f", "--format", "fmt", type=click.Choice(["ini", "table", "json", "yaml",
              "value"]), default="ini", show_default=True, help="Output format.")
@click.option("-c", "--column", "columns", multiple=True, metavar="COLUMN",
              help="table/value: show only this column (repeatable).")
def render(physnets, release, fdb, network_type, match, root, fmt, columns) -> int:
    """Print the nova and neutron settings for SR-IOV on these PFs, per service and file.

    The PFs are read from the host (--root, default the live one): device_spec selects
    their VFs only. `sriovctl openstack apply` merges the same settings into files.
    """
    from sriovctl.cli.common import load
    from sriovctl.openstack.render import (
        distro_family,
        parse_physnets,
        plan,
        resolve,
        restart_commands,
    )

    pfs = resolve(parse_physnets(physnets), load(root))
    frags = plan(pfs, _release(release), fdb=fdb, network_type=network_type, match=match)
    restart = restart_commands([f.service for f in frags], distro_family(root))
    if fmt == "ini":
        click.echo("\n".join(f.ini() for f in frags))
        click.echo("# then restart each service on its node:\n" +
                   "\n".join(f"#   {c}" for c in restart))
        return 0
    doc = {"release": _release(release).label, "fragments": [f.to_dict() for f in frags],
           "restart": restart}
    if not emit_document(doc, fmt):
        rows = [{"Service": f.service, "File": f.path, "Section": e.section,
                 "Option": e.option, "Value": list(e.values) if e.kind == "multi" else
                 ", ".join(e.values), "How": e.kind + (" (if set)" if e.only_if_set else "")}
                for f in frags for e in f.edits]
        emit_list(("Service", "File", "Section", "Option", "Value", "How"), rows, fmt, columns)
    return 0


@openstack.command("apply")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@_render_options
@click.option("--role", "roles", multiple=True, metavar="FILE=ROLE",
              help="Say what a file is when its sections do not (as for lint).")
@click.option("--diff", "show_diff", is_flag=True, help="Print the changes as a unified diff.")
@click.option("--dry-run", is_flag=True, help="Change nothing; say what would change.")
def apply(files, physnets, release, fdb, network_type, match, root, roles, show_diff,
          dry_run) -> int:
    """Merge the SR-IOV settings into existing config FILES, in place, with a minimal diff.

    Comments, order and other options stay as they are; each changed file keeps its mode
    and owner, gets a backup (<file>.sriovctl.bak) and is replaced atomically. Prints the
    services to restart.
    """
    from sriovctl.openstack.apply import apply_files

    return apply_files(list(files), physnets=physnets, release=_release(release), fdb=fdb,
                       network_type=network_type, match=match, root=root, roles=roles,
                       show_diff=show_diff, dry_run=dry_run, say=click.echo)
