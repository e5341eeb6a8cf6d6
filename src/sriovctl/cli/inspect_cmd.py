"""`sriovctl inspect`: PF -> VFs as a readable tree, or the inventory as JSON/YAML."""

from __future__ import annotations

import click

from sriovctl.cli.common import load, root_option
from sriovctl.cli.output import emit_document, emit_list, output_options

VF_COLUMNS = (
    "PF", "PF Netdev", "VF", "Address", "Netdev", "Driver", "MAC", "VLAN", "Spoofchk", "Trust",
    "IOMMU Group", "NUMA",
)


@click.command("inspect")
@root_option
@click.option("--pf", "pf_filter", metavar="NAME|ADDRESS", help="Only this PF.")
@output_options()
def inspect(root: str, pf_filter: str | None, fmt: str, columns: tuple[str, ...]) -> int:
    """Show PFs, their VFs (netdev, driver, MAC, IOMMU group, NUMA) and the IOMMU state.

    -f json|yaml prints the whole inventory (shape in the README); with -c, or -f value,
    one row per VF with the chosen columns.
    """
    from sriovctl.cli.tree import render_tree
    from sriovctl.host.inventory import to_inventory

    host = load(root)
    inv = to_inventory(host)
    if pf_filter:
        pf = host.find_pf(pf_filter)
        if pf is None:
            raise click.BadParameter(f"no SR-IOV PF {pf_filter!r} on this host", param_hint="--pf")
        inv["pfs"] = [p for p in inv["pfs"] if p["address"] == pf.address]
    if not columns and fmt != "value" and emit_document(inv, fmt):
        return 0
    if fmt == "table" and not columns:
        click.echo(render_tree(inv))
        return 0
    emit_list(VF_COLUMNS, vf_rows(inv), fmt, columns)
    return 0


def vf_rows(inv: dict) -> list[dict]:
    rows = []
    for pf in inv["pfs"]:
        for vf in pf["vfs"]:
            rows.append({
                "PF": pf["address"], "PF Netdev": pf["netdev"], "VF": vf["index"],
                "Address": vf["address"], "Netdev": vf["netdev"], "Driver": vf["driver"],
                "MAC": vf["mac"], "VLAN": vf["vlan"], "Spoofchk": vf["spoofchk"],
                "Trust": vf["trust"], "IOMMU Group": vf["iommu_group"], "NUMA": vf["numa_node"],
            })
    return rows
