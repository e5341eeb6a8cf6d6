"""Desired VF settings: parsed from `ip link ... vf N` words or the state file, compared with
what the PF driver reports.

A field left out means "don't care". `vlan N` carries its qos and proto with it, as in
`ip link`: asking for vlan 1000 on a VF that has vlan 1000 qos 3 is a change (to qos 0).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Optional

from sriovctl.errors import InputError
from sriovctl.host.model import VfSettings

_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
BOOL_WORDS = {"on": True, "off": False}
LINK_STATES = ("auto", "enable", "disable")
VLAN_PROTOS = ("802.1Q", "802.1ad")
# `ip link` words -> field names; both spellings are accepted
WORDS = {
    "mac": "mac", "vlan": "vlan", "qos": "qos", "proto": "vlan_proto",
    "vlan_proto": "vlan_proto", "spoofchk": "spoofchk", "trust": "trust",
    "state": "link_state", "link_state": "link_state", "min_tx_rate": "min_tx_rate",
    "max_tx_rate": "max_tx_rate", "rate": "max_tx_rate",
}


@dataclass(frozen=True)
class VfConfig:
    mac: Optional[str] = None
    vlan: Optional[int] = None
    qos: Optional[int] = None
    vlan_proto: Optional[str] = None
    spoofchk: Optional[bool] = None
    trust: Optional[bool] = None
    link_state: Optional[str] = None
    min_tx_rate: Optional[int] = None
    max_tx_rate: Optional[int] = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def merged(self, other: VfConfig) -> VfConfig:
        """self with other's given fields on top (a later `vfs vf` overrides the state)."""
        return replace(self, **other.to_dict())

    def __bool__(self) -> bool:
        return bool(self.to_dict())


def parse_words(words: list[str]) -> VfConfig:
    """`mac fa:16:3e:fe:47:d2 vlan 1000 spoofchk on trust on` -> VfConfig (validated)."""
    if len(words) % 2:
        raise InputError(f"{words[-1]!r} needs a value",
                         fix="give settings as pairs: mac M vlan V qos Q proto 802.1Q|802.1ad "
                         "spoofchk on|off trust on|off state auto|enable|disable "
                         "min_tx_rate R max_tx_rate R")
    raw: dict[str, str] = {}
    for key, value in zip(words[::2], words[1::2]):
        name = WORDS.get(key.lower().replace("-", "_"))
        if name is None:
            raise InputError(f"unknown VF setting {key!r}",
                             fix=f"use one of: {', '.join(sorted(set(WORDS)))}")
        raw[name] = value
    return from_strings(raw, where="")


def parse_set_words(words: tuple[str, ...]) -> tuple[Optional[int], dict[int, VfConfig]]:
    """`7`, `vf 0 mac M vlan V`, `7 vf 0 mac M vf 1 trust on` -> (count, {index: VfConfig})."""
    rest = list(words)
    count = None
    if rest and rest[0] != "vf":
        if not rest[0].isdigit():
            raise ValueError(f"expected a VF count or 'vf N ...', not {rest[0]!r}")
        count = int(rest.pop(0))
    configs: dict[int, VfConfig] = {}
    while rest:
        if rest[0] != "vf" or len(rest) < 2 or not rest[1].isdigit():
            raise ValueError("VF settings go as: vf N mac M vlan V [qos Q] "
                             "[proto 802.1Q|802.1ad] spoofchk on|off trust on|off "
                             "state auto|enable|disable min_tx_rate R max_tx_rate R")
        index = int(rest[1])
        end = next((i for i in range(2, len(rest)) if rest[i] == "vf"), len(rest))
        configs[index] = parse_words(rest[2:end])
        if not configs[index]:
            raise ValueError(f"vf {index}: no settings given")
        rest = rest[end:]
    if count is None and not configs:
        raise ValueError("give a VF count, VF settings, or both")
    return count, configs


def from_dict(data: Any, where: str) -> VfConfig:
    """From the state file, where values are JSON-typed already."""
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected an object of VF settings")
    unknown = set(data) - {f.name for f in fields(VfConfig)}
    if unknown:
        raise InputError(f"{where}: unknown VF setting {sorted(unknown)[0]!r}")
    return from_strings({k: v for k, v in data.items() if v is not None}, where)


def from_strings(raw: dict[str, Any], where: str) -> VfConfig:
    at = f"{where}: " if where else ""
    out: dict[str, Any] = {}
    if "mac" in raw:
        mac = str(raw["mac"]).lower()
        if not _MAC.match(mac):
            raise InputError(f"{at}{raw['mac']!r} is not a MAC address (xx:xx:xx:xx:xx:xx)")
        if int(mac[:2], 16) & 1:
            raise InputError(f"{at}{mac} is a multicast address; a VF needs a unicast MAC")
        out["mac"] = mac
    for name, low, high in (("vlan", 0, 4095), ("qos", 0, 7), ("min_tx_rate", 0, 10**7),
                            ("max_tx_rate", 0, 10**7)):
        if name in raw:
            out[name] = _int(raw[name], name, low, high, at)
    for name in ("spoofchk", "trust"):
        if name in raw:
            out[name] = _bool(raw[name], name, at)
    if "link_state" in raw:
        if raw["link_state"] not in LINK_STATES:
            raise InputError(f"{at}state must be one of {', '.join(LINK_STATES)}")
        out["link_state"] = raw["link_state"]
    if "vlan_proto" in raw:
        proto = {"802.1q": "802.1Q", "802.1ad": "802.1ad"}.get(str(raw["vlan_proto"]).lower())
        if proto is None:
            raise InputError(f"{at}proto must be 802.1Q or 802.1ad")
        out["vlan_proto"] = proto
    if ("qos" in out or "vlan_proto" in out) and not out.get("vlan"):
        raise InputError(f"{at}qos and proto need a VLAN (vlan 1-4095)")
    if out.get("max_tx_rate") and out.get("min_tx_rate", 0) > out["max_tx_rate"]:
        raise InputError(f"{at}min_tx_rate is above max_tx_rate")
    return VfConfig(**out)


def _int(value: Any, name: str, low: int, high: int, at: str) -> int:
    try:
        number = int(value)
        if isinstance(value, bool) or str(number) != str(value).strip():
            raise ValueError
    except (TypeError, ValueError):
        raise InputError(f"{at}{name} must be a whole number, not {value!r}") from None
    if not low <= number <= high:
        raise InputError(f"{at}{name} must be between {low} and {high}, not {number}")
    return number


def _bool(value: Any, name: str, at: str) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in BOOL_WORDS:
        return BOOL_WORDS[str(value).lower()]
    raise InputError(f"{at}{name} must be on or off, not {value!r}")


def wanted_fields(want: VfConfig) -> dict[str, Any]:
    """The fields `want` pins down, with vlan's implied qos/proto spelled out."""
    d = want.to_dict()
    if "vlan" in d:
        d.setdefault("qos", 0)
        d["vlan_proto"] = d.get("vlan_proto", "802.1Q") if d["vlan"] else None
    return d


def have_fields(have: Optional[VfSettings]) -> dict[str, Any]:
    if have is None:
        return {}
    vlan = have.vlan or 0
    return {
        "mac": (have.mac or "").lower() or None, "vlan": vlan, "qos": have.qos or 0,
        "vlan_proto": (have.vlan_proto or "802.1Q") if vlan else None,
        "spoofchk": have.spoofchk, "trust": have.trust, "link_state": have.link_state,
        "min_tx_rate": have.min_tx_rate or 0, "max_tx_rate": have.max_tx_rate or 0,
    }


def differences(want: VfConfig, have: Optional[VfSettings]) -> dict[str, tuple[Any, Any]]:
    """field -> (wanted, current) for every pinned field that differs."""
    current = have_fields(have)
    out = {}
    for key, value in wanted_fields(want).items():
        if current.get(key) != value:
            out[key] = (value, current.get(key))
    return out


def show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)
