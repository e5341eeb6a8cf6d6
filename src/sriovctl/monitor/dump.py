"""One netlink dump per scrape: every link with its VF list, its own counters and its PCI
parent, in the `ip -j -s -d link` shape.

`host.netlink.link_to_json` gives the name, MAC and VF list (with IFLA_VF_STATS). The
monitor takes two more things from the same messages, so it never reads sysfs per VF:
  - "stats64" (IFLA_STATS64): a VF netdev bound to a host driver counts its own traffic,
    also where the PF driver reports all-zero VF stats (igb does; measured in the lab);
  - "parentdev" (IFLA_PARENT_DEV_NAME, Linux >= 5.16): the PCI address a netdev belongs
    to, which ties a VF netdev to its VF without a sysfs lookup, even after a rename.
Snapshots and test fixtures carry the same keys in `_netlink/links.json`.
"""

from __future__ import annotations

from sriovctl.host.netlink import dump_link_messages, link_to_json, read_links
from sriovctl.host.root import Root

# IFLA_STATS64 fields -> the `ip -j -s link` keys
_RX64 = {"bytes": "rx_bytes", "packets": "rx_packets", "errors": "rx_errors",
         "dropped": "rx_dropped", "multicast": "multicast"}
_TX64 = {"bytes": "tx_bytes", "packets": "tx_packets", "errors": "tx_errors",
         "dropped": "tx_dropped"}


def read_dump(root: Root) -> list[dict]:
    """The links of `root`: one live netlink dump, or the snapshot's links file.

    Raises OSError/ImportError when the live dump fails (the caller reports it per scrape);
    returns [] for a snapshot without a links file.
    """
    if root.is_live:
        return dump_live()
    links, _source = read_links(root)
    return links or []


def dump_live() -> list[dict]:
    return [monitor_link(m) for m in dump_link_messages()]


def monitor_link(msg) -> dict:
    """link_to_json(msg) plus the link's own counters and PCI parent."""
    entry = link_to_json(msg)
    parent = msg.get_attr("IFLA_PARENT_DEV_NAME")
    if isinstance(parent, str) and parent:
        entry["parentdev"] = parent
    stats = msg.get_attr("IFLA_STATS64")
    if stats is not None:
        entry["stats64"] = {
            "rx": {k: int(stats.get(f) or 0) for k, f in _RX64.items()},
            "tx": {k: int(stats.get(f) or 0) for k, f in _TX64.items()},
        }
    return entry

