"""What the SR-IOV agent reads from and asks of the PF over netlink, as data.

neutron reads every VF of a PF with one ``RTM_GETLINK`` (``ext_mask=1``) and changes a
VF with one ``RTM_SETLINK`` carrying a ``vf`` attribute. Here the reply is parsed into
``{vf_index: VfInfo}`` and the changes are returned as the payload neutron would send,
so callers (the lab, the twin, the exporter) decide whether and how to send it.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Optional

#: IFLA_VF_LINK_STATE values; neutron's ``LinkState`` enum.
LINK_STATES = MappingProxyType({0: "auto", 1: "enable", 2: "disable"})
#: kwargs of neutron's RTM_GETLINK for VFs (RTEXT_FILTER_VF).
GET_LINK_VFS_REQUEST = MappingProxyType({"ext_mask": 1})
#: netlink errors neutron retries ``get_link_vfs`` on (exponential wait, up to 8 s).
GET_LINK_VFS_RETRY_ON = frozenset({"NetworkInterfaceNotFound", "NetlinkDumpInterrupted"})
GET_LINK_VFS_RETRY_SECONDS = 8
#: errno -> the exception name neutron's privileged ip_lib raises for it.
NETLINK_ERRNO_NAMES = MappingProxyType(
    {
        "ENODEV": "NetworkInterfaceNotFound",
        "EOPNOTSUPP": "InterfaceOperationNotSupported",
        "EINVAL": "InvalidArgument",
    }
)
RATE_TYPES = ("max_tx_rate", "min_tx_rate")


@dataclass(frozen=True)
class VfInfo:
    """One VF as the PF reports it; rates in Mbps, ``None`` when the NIC omits them."""

    mac: str
    link_state: int
    max_tx_rate: Optional[int] = None
    min_tx_rate: Optional[int] = None

    @classmethod
    def of(cls, value: VfInfo | Mapping[str, Any]) -> VfInfo:
        if isinstance(value, VfInfo):
            return value
        return cls(
            value["mac"],
            int(value["link_state"]),
            value.get("max_tx_rate"),
            value.get("min_tx_rate"),
        )


def vfs_from_netlink(link: Mapping[str, Any]) -> dict[int, VfInfo]:
    """``get_link_vfs``: the PF's RTM_GETLINK attributes -> ``{vf_index: VfInfo}``.

    ``link`` holds ``IFLA_NUM_VF`` and ``IFLA_VFINFO_LIST`` (a list of VF_INFO dicts with
    ``IFLA_VF_MAC {mac, vf}``, ``IFLA_VF_LINK_STATE {link_state}``, optional
    ``IFLA_VF_RATE {max_tx_rate, min_tx_rate}``). No VFs announced -> ``{}``.
    """
    if not link.get("IFLA_NUM_VF"):
        return {}
    vfs: dict[int, VfInfo] = {}
    for info in link.get("IFLA_VFINFO_LIST") or ():
        mac = info["IFLA_VF_MAC"]
        rate = info.get("IFLA_VF_RATE") or {}
        vfs[int(mac["vf"])] = VfInfo(
            mac=mac["mac"],
            link_state=int(info["IFLA_VF_LINK_STATE"]["link_state"]),
            max_tx_rate=rate.get("max_tx_rate"),
            min_tx_rate=rate.get("min_tx_rate"),
        )
    return vfs


def _vfs(vfs: Mapping[Any, Any]) -> dict[int, VfInfo]:
    return {int(index): VfInfo.of(info) for index, info in vfs.items()}


def get_assigned_macs(vfs: Mapping[Any, Any], vf_list: Iterable[int]) -> dict[int, str]:
    """The administrative MAC of each asked VF that the PF reports (absent ones left out)."""
    table = _vfs(vfs)
    return {index: table[index].mac for index in vf_list if index in table}


def get_vf_state(vfs: Mapping[Any, Any], vf_index: int) -> str:
    """``auto``/``enable``/``disable``; a VF the PF does not report counts as ``disable``."""
    info = _vfs(vfs).get(vf_index)
    if info is None:
        return "disable"
    if info.link_state not in LINK_STATES:
        # neutron's LinkState(n) raises ValueError too; the kernel only reports 0..2.
        raise ValueError(f"{info.link_state} is not a valid LinkState")
    return LINK_STATES[info.link_state]


def link_state_for(admin_state_up: bool, propagate_uplink_status: bool = False) -> int:
    """Admin down wins (2, disable); else follow the uplink (0, auto) or force up (1)."""
    if admin_state_up is False:
        return 2
    if propagate_uplink_status:
        return 0
    return 1


def set_vf_state_request(vf_index: int, state: bool, auto: bool = False) -> dict[str, int]:
    """RTM_SETLINK ``vf`` payload of ``set_vf_state``."""
    return {"vf": vf_index, "link_state": link_state_for(state, auto)}


def set_vf_spoofcheck_request(vf_index: int, enabled: bool) -> dict[str, int]:
    """RTM_SETLINK ``vf`` payload of ``set_vf_spoofcheck``; spoofcheck = port security."""
    return {"vf": vf_index, "spoofchk": int(enabled)}


def set_vf_rate_request(vf_index: int, rates_mbps: Mapping[str, int]) -> dict[str, Any]:
    """RTM_SETLINK ``vf`` payload of ``set_vf_rate`` (only the rate keys given)."""
    return {"vf": vf_index, "rate": dict(rates_mbps)}


def rate_error_is_fatal(error_name: str) -> bool:
    """``set_vf_rate`` logs and swallows InvalidArgument (NIC without min_tx_rate)."""
    return error_name != "InvalidArgument"


def kbps_to_mbps(kbps: int) -> int:
    """QoS kbps -> VF Mbps: 1..999 -> 1 (0 would mean unlimited), else round half up."""
    if 0 < kbps < 1000:
        return 1
    quotient = decimal.Decimal(kbps / 1000.0)
    return int(quotient.quantize(decimal.Decimal("1"), rounding=decimal.ROUND_HALF_UP))


def rates_to_set(
    rates_kbps: Mapping[str, int], current: VfInfo | Mapping[str, Any] | None
) -> dict[str, int]:
    """The Mbps rates neutron sends for a requested change (``EmbSwitch.set_device_rate``).

    A rate type not requested is re-sent with the VF's current value when that is
    non-zero, because setting one rate alone would reset the other (LP#1962844).
    """
    rates = {rate_type: kbps_to_mbps(kbps) for rate_type, kbps in rates_kbps.items()}
    missing = [rate_type for rate_type in RATE_TYPES if rate_type not in rates_kbps]
    if missing and current is not None:
        info = current if isinstance(current, Mapping) else current.__dict__
        for rate_type in missing:
            if info.get(rate_type):
                rates[rate_type] = info[rate_type]
    return rates
