"""Render the inventory as the tree an operator reads first (PF, upstream ports, VFs)."""

from __future__ import annotations


def _v(value, empty: str = "-") -> str:
    return empty if value is None or value == "" else str(value)


def render_tree(inv: dict) -> str:
    h, io = inv["host"], inv["iommu"]
    iommu = f"IOMMU on ({io['group_count']} groups)" if io["active"] else "IOMMU off"
    words = " ".join(io["cmdline"]["words"]) or "no IOMMU arguments"
    lines = [
        f"host {_v(h['hostname'])} ({h['source']}): kernel {_v(h['kernel'])}, {iommu}, "
        f"cmdline: {words}"
    ]
    if not inv["pfs"]:
        lines.append("no SR-IOV physical functions found")
    for pf in inv["pfs"]:
        lines.append("")
        lines.extend(_pf_lines(pf))
    return "\n".join(lines)


def _pf_lines(pf: dict) -> list[str]:
    s, link = pf["sriov"], pf["link"]
    speed = f"{link['speed']}Mb/s" if link["speed"] else ""
    flags = " [default route]" if link["default_route"] else ""
    head = (
        f"PF {pf['address']}  {_v(pf['netdev'])}  [{pf['vendor_device']}]  {_v(pf['driver'])}  "
        f"NUMA {_v(pf['numa_node'])}  group {_v(pf['iommu_group'])}  "
        f"VFs {_v(s['numvfs'], '?')}/{_v(s['totalvfs'], '?')}  "
        f"{_v(link['operstate'])} {speed}".rstrip() + flags
    )
    out = [head]
    for port in pf["upstream"]:
        acs = port["acs"]
        if acs is None:
            state = "no ACS"
        else:
            on = [k for k, v in acs["control"].items() if v]
            state = "ACS " + (" ".join(on) if on else "all off")
        out.append(f"│ upstream {port['address']} {_v(port['pcie_type'], 'bridge')} "
                   f"[{port['vendor_device']}] {state}")
    rows = [_vf_cells(vf) for vf in pf["vfs"]]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))] if rows else []
    for n, cells in enumerate(rows):
        branch = "└─" if n == len(rows) - 1 else "├─"
        out.append(f"{branch} " + "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip())
    return out


def _vf_cells(vf: dict) -> list[str]:
    shared = [m for m in vf["iommu_group_members"] if m != vf["address"]]
    group = f"group {_v(vf['iommu_group'])}" + (f" (+{len(shared)} shared)" if shared else "")
    vlan = f"vlan {vf['vlan']}" if vf["vlan"] else ""
    extras = []
    if vf["spoofchk"] is False:
        extras.append("spoofchk off")
    if vf["trust"]:
        extras.append("trust on")
    return [
        f"vf {vf['index']}", vf["address"], _v(vf["netdev"]), _v(vf["driver"], "no driver"),
        _v(vf["mac"]), vlan, group, f"NUMA {_v(vf['numa_node'])}", " ".join(extras),
    ]
