"""The fleet view as one self-contained static HTML page: inline CSS, inline SVG, no script,
nothing fetched. Every value from the inputs is escaped: host names and finding messages
come from machines, and a report is often opened by someone other than who made it.
"""

from __future__ import annotations

from html import escape

from sriovctl import __version__
from sriovctl.report.chart import capacity_svg

STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; }
.summary span { margin-right: 18px; } .bad { color: #b00020; } .ok { color: #1b7f3b; }
table { border-collapse: collapse; } th, td { border: 1px solid #ccc; padding: 4px 8px;
  text-align: left; vertical-align: top; } th { background: #f3f3f3; }
td.num { text-align: right; } ul.reasons { margin: 0; padding-left: 18px; }
svg .label, svg .value, svg .legend, svg .axis { font: 12px system-ui, sans-serif; fill: #222; }
svg .track { fill: #f0f0f0; } svg .wanted { stroke: #222; stroke-width: 2; }
footer { margin-top: 24px; color: #777; font-size: 12px; }
"""


def render_html(view: dict, title: str = "SR-IOV fleet report") -> str:
    t = view["totals"]
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{escape(title)}</title>", f"<style>{STYLE}</style>", "</head>", "<body>",
        f"<h1>{escape(title)}</h1>",
        '<p class="summary">'
        f'<span id="total-hosts">{t["hosts"]} hosts</span>'
        f'<span class="ok">{t["ready"]} ready</span>'
        f'<span class="bad" id="total-not-ready">{t["not_ready"]} not ready</span>'
        f'<span>{t["unknown"]} unchecked</span>'
        f'<span id="total-vfs">{t["vfs"]} VFs</span></p>',
    ]
    if view.get("site"):
        parts.append(f'<p>Physnets from the site spec <code>{escape(view["site"])}</code>.</p>')
    parts += ["<h2>Capacity per physnet</h2>", capacity_svg(view["physnets"]),
              _capacity_table(view["capacity"])]
    parts += ['<h2 id="not-ready">Hosts not ready</h2>', _not_ready(view["not_ready"])]
    parts += ["<h2>Hosts</h2>", _hosts_table(view["hosts"])]
    parts += [f"<footer>sriovctl {escape(__version__)} report · schema "
              f"{escape(view['schema'])}</footer>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _capacity_table(capacity: list[dict]) -> str:
    rows = "".join(
        f"<tr><td>{escape(c['physnet'])}</td><td>{_numa(c['numa_node'])}</td>"
        f'<td class="num">{c["hosts"]}</td><td class="num">{c["pfs"]}</td>'
        f'<td class="num">{c["vfs"]}</td><td class="num">{c["guest_bound"]}</td></tr>'
        for c in capacity)
    return ('<table id="capacity"><tr><th>Physnet</th><th>NUMA node</th><th>Hosts</th>'
            "<th>PFs</th><th>VFs</th><th>on vfio-pci</th></tr>" + rows + "</table>")


def _not_ready(entries: list[dict]) -> str:
    if not entries:
        return '<p class="ok">Every checked host is ready.</p>'
    items = "".join(
        f'<li class="host-not-ready" data-host="{escape(e["name"])}"><b>{escape(e["name"])}'
        f"</b>{_reasons(e['reasons'])}</li>" for e in entries)
    return f'<ul id="not-ready-list">{items}</ul>'


def _hosts_table(hosts: list[dict]) -> str:
    rows = []
    for h in hosts:
        state = {True: '<span class="ok">ready</span>', False: '<span class="bad">NOT ready'
                 "</span>", None: "unchecked"}[h["ready"]]
        rows.append(
            f'<tr data-host="{escape(h["name"])}"><td>{escape(h["name"])}</td><td>{state}</td>'
            f'<td class="num">{_n(h["pfs"])}</td><td class="num">{_n(h["vfs"])}</td>'
            f"<td>{escape(h['kernel'] or '')}</td><td>{_reasons(h['reasons'])}</td></tr>")
    return ('<table id="hosts"><tr><th>Host</th><th>State</th><th>PFs</th><th>VFs</th>'
            "<th>Kernel</th><th>Why</th></tr>" + "".join(rows) + "</table>")


def _reasons(reasons: list[str]) -> str:
    if not reasons:
        return ""
    return '<ul class="reasons">' + "".join(f"<li>{escape(r)}</li>" for r in reasons) + "</ul>"


def _numa(node) -> str:
    return "none" if node is None else str(node)


def _n(value) -> str:
    return "" if value is None else str(value)
