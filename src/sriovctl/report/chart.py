"""The capacity chart as inline SVG: one bar per physnet, a segment per NUMA node.

Inline SVG needs no script and no network, so the page opens from a mail attachment or a
CI artifact as it is. Every segment carries a <title> (the browser shows it on hover) and
data- attributes, so the numbers are in the page, not only in the pixels.
"""

from __future__ import annotations

from html import escape

# Colour-blind-safe (Okabe-Ito); NUMA nodes beyond the palette reuse it.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442")
NO_NUMA = "#999999"
LABEL_W, BAR_W, ROW_H, BAR_H, TOP = 170, 520, 34, 22, 28


def numa_colour(node: str) -> str:
    return NO_NUMA if node == "none" else PALETTE[int(node) % len(PALETTE)]


def capacity_svg(physnets: list[dict]) -> str:
    nodes = sorted({n for p in physnets for n in p["by_numa"]},
                   key=lambda n: (n == "none", int(n) if n != "none" else 0))
    scale_max = max([p["vfs"] for p in physnets] + [p["wanted"] or 0 for p in physnets] + [1])
    height = TOP + ROW_H * len(physnets) + 40
    width = LABEL_W + BAR_W + 180
    out = [f'<svg id="capacity-chart" role="img" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" aria-labelledby="capacity-title">',
           '<title id="capacity-title">VFs per physnet, by NUMA node</title>',
           f'<text x="{LABEL_W}" y="16" class="axis">0</text>',
           f'<text x="{LABEL_W + BAR_W}" y="16" class="axis" text-anchor="end">'
           f'{scale_max} VFs</text>']
    for row, p in enumerate(physnets):
        y = TOP + row * ROW_H
        name = escape(p["physnet"])
        out.append(f'<g class="bar" data-physnet="{name}" data-vfs="{p["vfs"]}" '
                   f'data-wanted="{p["wanted"] if p["wanted"] is not None else ""}">')
        out.append(f'<text x="{LABEL_W - 8}" y="{y + BAR_H - 6}" text-anchor="end" '
                   f'class="label">{name}</text>')
        out.append(f'<rect x="{LABEL_W}" y="{y}" width="{BAR_W}" height="{BAR_H}" '
                   'class="track"/>')
        x = float(LABEL_W)
        for node in nodes:
            count = p["by_numa"].get(node, 0)
            if not count:
                continue
            w = BAR_W * count / scale_max
            where = "no NUMA affinity" if node == "none" else f"NUMA node {node}"
            out.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{BAR_H}" '
                       f'fill="{numa_colour(node)}" data-numa="{node}" data-vfs="{count}">'
                       f'<title>{name}, {where}: {count} VFs</title></rect>')
            x += w
        if p["wanted"]:
            wx = LABEL_W + BAR_W * p["wanted"] / scale_max
            out.append(f'<line x1="{wx:.1f}" x2="{wx:.1f}" y1="{y - 3}" y2="{y + BAR_H + 3}" '
                       f'class="wanted"><title>the site wants {p["wanted"]} VFs</title></line>')
        text = f'{p["vfs"]} VFs' + (f' / {p["wanted"]} wanted' if p["wanted"] else "")
        out.append(f'<text x="{LABEL_W + BAR_W + 8}" y="{y + BAR_H - 6}" class="value">'
                   f'{text}</text></g>')
    legend_y = TOP + ROW_H * len(physnets) + 14
    x = LABEL_W
    for node in nodes:
        label = "no NUMA affinity" if node == "none" else f"NUMA {node}"
        out.append(f'<rect x="{x}" y="{legend_y}" width="12" height="12" '
                   f'fill="{numa_colour(node)}"/>'
                   f'<text x="{x + 16}" y="{legend_y + 11}" class="legend">{label}</text>')
        x += 30 + 7 * len(label)
    out.append("</svg>")
    return "\n".join(out)
