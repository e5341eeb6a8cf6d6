"""`sriovctl verify`: the guide's §7 smoke test against a live cloud; leaves nothing behind.

Exit status: 0 every step passed (and the twin agreed), 1 a step failed or something could
not be deleted, 2 bad input (unknown cloud, unreadable config file), 130 interrupted
(after cleaning up).
"""

from __future__ import annotations

import click

from sriovctl.cli.output import emit_document, emit_list, output_options

COLUMNS = ("Step", "Status", "Detail", "Predicted", "Observed", "Agrees")
VNIC_TYPES = ("direct", "macvtap", "direct-physical")


def _progress(message: str) -> None:
    click.echo(f"verify: {message}", err=True)


@click.command("verify")
@click.option("--cloud", metavar="NAME", envvar="OS_CLOUD",
              help="A cloud of clouds.yaml (env OS_CLOUD); without it the OS_* variables.")
@click.option("--host", metavar="H", help="Compute host to bind on (default: the first host "
              "with an alive NIC Switch agent mapping the physnet).")
@click.option("--physnet", metavar="P", help="Physical network (default: the host agent's first).")
@click.option("--vlan", type=click.IntRange(1, 4094), metavar="N",
              help="VLAN id (default: neutron picks one from network_vlan_ranges).")
@click.option("--vnic-type", "vnic_types", multiple=True, type=click.Choice(VNIC_TYPES),
              help="Port vnic type to bind (repeatable; default: direct).")
@click.option("--config", "configs", multiple=True, type=click.Path(dir_okay=False),
              metavar="FILE", help="Config files as for `openstack lint` (sriov_agent.ini, "
              "ml2_conf.ini): the agents' device_mappings are compared with them, and the "
              "twin predicts with their vnic_type_prohibit_list (repeatable).")
@click.option("--pci-slot", default="0000:00:00.0", show_default=True,
              help="pci_slot in the binding profile nova would send.")
@click.option("--pci-vendor-info", default="8086:10ca", show_default=True,
              help="pci_vendor_info in the binding profile.")
@click.option("--cidr", default="192.0.2.0/24", show_default=True,
              help="The test subnet (no DHCP, no gateway; a pool of a few addresses).")
@click.option("--boot", "boot_image", metavar="IMAGE", help="Also boot a real server with a "
              "direct port (needs nova and --flavor).")
@click.option("--flavor", "boot_flavor", metavar="F", help="Flavor for --boot.")
@click.option("--dry-run", is_flag=True, help="Read only: show the agents, what would be "
              "created and the twin's predictions.")
@click.option("--cleanup", "cleanup_only", is_flag=True,
              help="Only delete what earlier runs left behind (tag sriovctl-verify).")
@output_options()
def verify(cloud, host, physnet, vlan, vnic_types, configs, pci_slot, pci_vendor_info, cidr,
           boot_image, boot_flavor, dry_run, cleanup_only, fmt, columns) -> int:
    """Smoke-test SR-IOV on a live cloud: agents, a VLAN provider network, direct ports
    bound as nova binds them, vif_type and VLAN checked, every outcome compared with the
    twin. Everything created is tagged sriovctl-verify and deleted at the end, also on
    failure or Ctrl-C."""
    from sriovctl.verify.cloud import Api, connect

    if bool(boot_image) != bool(boot_flavor):
        raise click.UsageError("--boot and --flavor go together")
    api = Api(connect(cloud))
    label = cloud or "(OS_* variables)"
    if cleanup_only:
        return _cleanup(api, fmt, columns)
    from sriovctl.verify.expect import from_files
    from sriovctl.verify.smoke import Options, run_verify

    opts = Options(host=host, physnet=physnet, vlan=vlan, vnic_types=vnic_types or ("direct",),
                   cidr=cidr, pci_slot=pci_slot, pci_vendor_info=pci_vendor_info,
                   boot_image=boot_image, boot_flavor=boot_flavor, dry_run=dry_run,
                   expect=from_files(list(configs)))
    report = run_verify(api, label, opts, _progress)
    if columns or not emit_document(report.to_dict(), fmt):
        rows = [{"Step": s.step, "Status": s.status, "Detail": s.detail,
                 "Predicted": s.predicted, "Observed": s.observed,
                 "Agrees": s.agrees} for s in report.steps]
        emit_list(COLUMNS, rows, fmt, columns)
    failed = [s for s in report.steps if s.status == "fail"]
    click.echo(f"verify: {len(report.steps)} steps, {len(failed)} failed, "
               f"{len(report.disagreements)} disagreements with the twin, "
               f"{len(report.leftovers)} left behind", err=True)
    if any(s.step == "interrupted" for s in report.steps):
        return 130
    return 0 if report.ok else 1


def _cleanup(api, fmt: str, columns) -> int:
    from sriovctl.verify.cleanup import delete_all, find_leftovers

    found = find_leftovers(api)
    left = delete_all(api, [(kind, item_id) for kind, item_id, _ in found], _progress)
    rows = [{"Kind": kind[:-1], "ID": item_id, "Name": name,
             "Deleted": not any(item_id in x for x in left)} for kind, item_id, name in found]
    emit_list(("Kind", "ID", "Name", "Deleted"), rows, fmt, columns)
    click.echo(f"verify: {len(found)} leftovers found, {len(found) - len(left)} deleted", err=True)
    return 1 if left else 0
