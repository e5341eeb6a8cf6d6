"""`vfs show`: a PF and its VFs as plain rows (settings from netlink, counters included)."""

from __future__ import annotations

from typing import Any

from sriovctl.host.model import Host, PciDevice

STATS = ("rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "broadcast", "multicast",
         "rx_dropped", "tx_dropped")


def pf_record(host: Host, pf: PciDevice) -> dict[str, Any]:
    name = pf.netdevs[0] if pf.netdevs else None
    net = host.netdevs.get(name or "")
    s = pf.sriov
    return {
        "netdev": name, "address": pf.address, "driver": pf.driver,
        "device": pf.vendor_device, "numvfs": s.numvfs if s else None,
        "totalvfs": s.totalvfs if s else None,
        "drivers_autoprobe": s.drivers_autoprobe if s else None,
        "operstate": net.operstate if net else None,
        "source": host.vf_settings_source,
    }


def vf_rows(host: Host, pf: PciDevice) -> list[dict[str, Any]]:
    name = pf.netdevs[0] if pf.netdevs else ""
    settings = {s.index: s for s in host.vf_settings.get(name, ())}
    rows = []
    indexes = sorted({i for i, _ in pf.virtfns} | set(settings))
    addresses = dict(pf.virtfns)
    for index in indexes:
        vf = host.devices.get(addresses.get(index, ""))
        s = settings.get(index)
        stats = dict(s.stats) if s else {}
        row = {
            "VF": index, "Address": addresses.get(index),
            "Netdev": vf.netdevs[0] if vf and vf.netdevs else None,
            "Driver": vf.driver if vf else None,
            "MAC": s.mac if s else None,
            "VLAN": s.vlan if s else None, "QoS": s.qos if s else None,
            "Proto": s.vlan_proto if s and s.vlan else None,
            "Spoofchk": s.spoofchk if s else None, "Trust": s.trust if s else None,
            "Link State": s.link_state if s else None,
            "Min TX Rate": s.min_tx_rate if s else None,
            "Max TX Rate": s.max_tx_rate if s else None,
        }
        for key in STATS:
            row[key.replace("_", " ").title().replace("Rx", "RX").replace("Tx", "TX")] = \
                stats.get(key)
        rows.append(row)
    return rows
