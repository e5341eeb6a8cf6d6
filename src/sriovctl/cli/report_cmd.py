"""`sriovctl report FILES...`: many hosts' inventories and check results as one fleet view.

Exit 0 when every host that was checked is ready, 1 when any host is not ready (so a CI job
or a cron mail can act on it), 2 for unusable input.
"""

from __future__ import annotations

import os

import click

from sriovctl.cli.output import emit_document, emit_list, output_options

HOST_COLUMNS = ("Host", "State", "PFs", "VFs", "Why")
CAPACITY_COLUMNS = ("Physnet", "NUMA", "Hosts", "PFs", "VFs", "On vfio-pci")


@click.command("report")
@click.argument("files", nargs=-1, required=True, metavar="FILE|DIR...")
@click.option("-o", "--output", "html_path", metavar="REPORT.html",
              help="Also write the fleet view as one self-contained HTML page.")
@click.option("--site", "site_path", metavar="SITE.yaml",
              help="Map VFs to physnets (and flag hosts whose VF counts differ) by this spec.")
@click.option("--title", default="SR-IOV fleet report", show_default=True,
              help="Title of the HTML page.")
@output_options()
def report(files, html_path, site_path, title, fmt, columns) -> int:
    """Merge `inspect -f json` inventories and `check -f json` results of many hosts (or the
    sriov_facts Ansible module's output) into one view: VFs per physnet and NUMA node, and
    the hosts that are not ready, with the reasons.

    A directory stands for every file in it (what `ansible --tree DIR` writes). -f json|yaml
    prints the whole view; -c and -f value select columns of the host rows.
    """
    from sriovctl.report.fleet import fleet_view
    from sriovctl.report.inputs import load_inputs

    site = None
    if site_path:
        from sriovctl.site.spec import load_site

        site = load_site(site_path)
    view = fleet_view(load_inputs(_expand(files)), site)
    if html_path:
        from sriovctl.report.html import render_html

        _write(html_path, render_html(view, title))
    if columns or not emit_document(view, fmt):
        if fmt == "table" and not columns:
            emit_list(CAPACITY_COLUMNS, [_capacity_row(c) for c in view["capacity"]], fmt)
        emit_list(HOST_COLUMNS, [_host_row(h) for h in view["hosts"]], fmt, columns)
    t = view["totals"]
    click.echo(f"{t['hosts']} hosts: {t['ready']} ready, {t['not_ready']} NOT ready, "
               f"{t['unknown']} unchecked; {t['vfs']} VFs"
               + (f"; wrote {html_path}" if html_path else ""), err=True)
    return 1 if t["not_ready"] else 0


def _expand(paths: tuple[str, ...]) -> list[str]:
    out = []
    for path in paths:
        if os.path.isdir(path):
            out += sorted(os.path.join(path, n) for n in os.listdir(path)
                          if os.path.isfile(os.path.join(path, n)))
        else:
            out.append(path)
    return out


def _write(path: str, text: str) -> None:
    from sriovctl.errors import InputError

    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise InputError(f"cannot write {path}: {e.strerror or e}") from None


def _host_row(h: dict) -> dict:
    state = {True: "ready", False: "NOT ready", None: "unchecked"}[h["ready"]]
    return {"Host": h["name"], "State": state, "PFs": h["pfs"], "VFs": h["vfs"],
            "Why": h["reasons"]}


def _capacity_row(c: dict) -> dict:
    return {"Physnet": c["physnet"], "NUMA": "-" if c["numa_node"] is None else c["numa_node"],
            "Hosts": c["hosts"], "PFs": c["pfs"], "VFs": c["vfs"],
            "On vfio-pci": c["guest_bound"]}
