"""VF settings as the PF driver reports them (IFLA_VFINFO_LIST), in one shape for all sources.

The shape is that of `ip -j -d link` (ifname, address, vfinfo_list[...]), because a snapshot
must carry it as a file and operators already know it: the live host is read through
pyroute2 (one RTM_GETLINK dump with RTEXT_FILTER_VF) and converted to it; a snapshot carries it
as `_netlink/links.json` (ours) or `_cmd/ip-j-d-link.json` (captured `ip -j -d link`).
"""

from __future__ import annotations

import json

from sriovctl.host.model import VfSettings
from sriovctl.host.root import Root

SNAPSHOT_FILES = ("/_netlink/links.json", "/_cmd/ip-j-d-link.json")
RTEXT_FILTER_VF = 1
_STATS = {
    "IFLA_VF_STATS_RX_PACKETS": "rx_packets",
    "IFLA_VF_STATS_TX_PACKETS": "tx_packets",
    "IFLA_VF_STATS_RX_BYTES": "rx_bytes",
    "IFLA_VF_STATS_TX_BYTES": "tx_bytes",
    "IFLA_VF_STATS_BROADCAST": "broadcast",
    "IFLA_VF_STATS_MULTICAST": "multicast",
    "IFLA_VF_STATS_RX_DROPPED": "rx_dropped",
    "IFLA_VF_STATS_TX_DROPPED": "tx_dropped",
}
_LINK_STATES = {0: "auto", 1: "enable", 2: "disable"}


def dump_link_messages() -> list:
    """One RTM_GETLINK dump with RTEXT_FILTER_VF: every link's raw pyroute2 message."""
    from pyroute2 import IPRoute  # lazily: only live reads need netlink

    with IPRoute() as ipr:
        msgs = list(ipr.link("dump", ext_mask=RTEXT_FILTER_VF))
        if not msgs:  # pyroute2 < 0.9 (Debian 12's 0.7.2) takes ext_mask on a dump as a
            # client-side filter that matches nothing; match=None sends it to the kernel
            msgs = list(ipr.link("dump", ext_mask=RTEXT_FILTER_VF, match=None))
        return msgs


def dump_links_live() -> list[dict]:
    """One netlink dump of all links with their VF lists, as `ip -j -d link` would show."""
    return [link_to_json(msg) for msg in dump_link_messages()]


def link_to_json(msg) -> dict:
    entry: dict = {
        "ifindex": msg.get("index"),
        "ifname": msg.get_attr("IFLA_IFNAME"),
        "address": msg.get_attr("IFLA_ADDRESS"),
    }
    vflist = msg.get_attr("IFLA_VFINFO_LIST")
    if vflist is not None:
        entry["vfinfo_list"] = [vf_to_json(vf) for vf in vflist.get_attrs("IFLA_VF_INFO")]
    return entry


def vf_to_json(vf) -> dict:
    mac = vf.get_attr("IFLA_VF_MAC") or {}
    out: dict = {"vf": mac.get("vf"), "address": mac.get("mac")}
    vlans = []
    vlan_list = vf.get_attr("IFLA_VF_VLAN_LIST")
    if vlan_list is not None:
        for info in vlan_list.get_attrs("IFLA_VF_VLAN_INFO"):
            vlans.append(_vlan_json(info))
    else:
        vlan = vf.get_attr("IFLA_VF_VLAN")
        if vlan:
            vlans.append(_vlan_json(vlan))
    out["vlan_list"] = vlans
    rate = vf.get_attr("IFLA_VF_RATE") or {}
    out["rate"] = {"max_tx": rate.get("max_tx_rate", 0), "min_tx": rate.get("min_tx_rate", 0)}
    for key, attr in (("spoofchk", "IFLA_VF_SPOOFCHK"), ("trust", "IFLA_VF_TRUST")):
        value = vf.get_attr(attr)
        # pyroute2 names the field like the attribute (spoofchk, trust); -1 = not reported
        setting = None if value is None else value.get(key, value.get("setting"))
        if setting not in (None, 0xFFFFFFFF):
            out[key] = bool(setting)
    state = vf.get_attr("IFLA_VF_LINK_STATE")
    if state is not None:
        out["link_state"] = _LINK_STATES.get(state.get("link_state"), str(state.get("link_state")))
    stats = vf.get_attr("IFLA_VF_STATS")
    if stats is not None:
        out["stats"] = {name: stats.get_attr(nla) or 0 for nla, name in _STATS.items()}
    return out


def _vlan_json(info: dict) -> dict:
    d: dict = {}
    if info.get("vlan"):
        d["vlan"] = info["vlan"]
        if info.get("qos"):
            d["qos"] = info["qos"]
        proto = info.get("proto")
        if proto:
            d["protocol"] = {0x8100: "802.1Q", 0x88A8: "802.1ad"}.get(proto, hex(proto))
    return d


def read_links(root: Root) -> tuple[list[dict] | None, str | None]:
    """The links with VF lists and where they came from; (None, None) when unavailable."""
    if root.is_live:
        try:
            return dump_links_live(), "netlink"
        except Exception as e:  # no pyroute2, no netlink socket (container): not fatal
            root.problems.append(("netlink", f"VF settings not read: {type(e).__name__}: {e}"))
            return None, None
    for path in SNAPSHOT_FILES:
        data = root.read_bytes(path, limit=1 << 24)
        if data is None:
            continue
        try:
            links = json.loads(data)
        except ValueError as e:
            root.problems.append((path, f"not valid JSON ({e}); VF settings unknown"))
            return None, None
        if isinstance(links, list):
            return [x for x in links if isinstance(x, dict)], path
        root.problems.append((path, "expected a JSON list of links; VF settings unknown"))
    return None, None


def vf_settings_from_links(links: list[dict]) -> dict[str, tuple[VfSettings, ...]]:
    result: dict[str, tuple[VfSettings, ...]] = {}
    for link in links:
        vfs = link.get("vfinfo_list")
        name = link.get("ifname")
        if not isinstance(vfs, list) or not isinstance(name, str):
            continue
        result[name] = tuple(s for s in (_settings(v) for v in vfs) if s is not None)
    return result


def _settings(v: object) -> VfSettings | None:
    if not isinstance(v, dict) or not isinstance(v.get("vf"), int):
        return None
    vlans = [x for x in v.get("vlan_list") or [] if isinstance(x, dict)]
    first = vlans[0] if vlans else {}
    if not vlans and isinstance(v.get("vlan"), int):
        first = {"vlan": v["vlan"], "qos": v.get("qos")}
    rate = v.get("rate") if isinstance(v.get("rate"), dict) else {}
    stats = v.get("stats") if isinstance(v.get("stats"), dict) else {}
    return VfSettings(
        index=v["vf"],
        mac=v.get("address") if isinstance(v.get("address"), str) else None,
        vlan=first.get("vlan", 0) if isinstance(first.get("vlan", 0), int) else None,
        qos=first.get("qos") if isinstance(first.get("qos"), int) else None,
        vlan_proto=first.get("protocol") if isinstance(first.get("protocol"), str) else None,
        spoofchk=v.get("spoofchk") if isinstance(v.get("spoofchk"), bool) else None,
        trust=v.get("trust") if isinstance(v.get("trust"), bool) else None,
        link_state=v.get("link_state") if isinstance(v.get("link_state"), str) else None,
        min_tx_rate=rate.get("min_tx") if isinstance(rate.get("min_tx"), int) else None,
        max_tx_rate=rate.get("max_tx") if isinstance(rate.get("max_tx"), int) else None,
        stats={k: int(x) for k, x in stats.items() if isinstance(x, int)},
    )
