"""VF settings and FDB entries through one rtnetlink socket (pyroute2 IPRoute).

This module is the one adapter between sriovctl's names (mac, vlan, qos, vlan_proto,
spoofchk, trust, link_state, min_tx_rate, max_tx_rate) and netlink; nothing above it sees
pyroute2. Kernel answers come out as OSError with the errno, so callers explain them the
same way as sysfs errors.

Writes go through one socket for the whole command as pre-encoded RTM_NEWLINK messages
(`sriovctl.changes.rtnl`: pyroute2's request pipeline costs more than spawning `ip`, see
bench/bench_vf_netlink.py); reads and FDB use pyroute2's IPRoute, imported on first use.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Optional, Protocol

from sriovctl.host.model import VfSettings

RTEXT_FILTER_VF = 1
NUD_STATES = {0x02: "reachable", 0x40: "noarp", 0x80: "permanent", 0x04: "stale"}
NTF_FLAGS = {0x02: "self", 0x04: "master", 0x10: "extern_learn", 0x20: "offloaded"}


@dataclass(frozen=True)
class FdbEntry:
    mac: str
    dev: str
    flags: tuple[str, ...] = ("self",)
    state: tuple[str, ...] = ("permanent",)
    vlan: Optional[int] = None

    def to_dict(self) -> dict:
        return {"mac": self.mac, "dev": self.dev, "flags": list(self.flags),
                "state": list(self.state), "vlan": self.vlan}


class VfNetlink(Protocol):
    def set_vf(self, pf: str, vf: int, settings: dict[str, Any]) -> None:
        """Program VF `vf` of PF netdev `pf` in one RTM_SETLINK; raises OSError."""

    def vfs(self, pf: str) -> list[VfSettings]:
        """The PF's VFs as the driver reports them (IFLA_VFINFO_LIST)."""

    def fdb_add(self, dev: str, mac: str) -> None: ...

    def fdb_del(self, dev: str, mac: str) -> None: ...

    def fdb(self, dev: str) -> list[FdbEntry]: ...

    def close(self) -> None: ...


def _os_error(e: Exception) -> OSError:
    code = getattr(e, "code", None)
    if isinstance(code, int) and code > 0:
        return OSError(code, os.strerror(code))
    return OSError(0, str(e))


class IPRouteNetlink:
    """The real thing: one IPRoute socket, opened on first use, closed by close()."""

    def __init__(self) -> None:
        self._ipr: Any = None
        self._rtnl: Any = None
        self._index: dict[str, int] = {}

    def _sock(self) -> Any:
        if self._ipr is None:
            from pyroute2 import IPRoute  # lazily: `sriovctl --version` must stay fast

            self._ipr = IPRoute()
        return self._ipr

    def index(self, dev: str) -> int:
        if dev not in self._index:
            import socket

            try:
                self._index[dev] = socket.if_nametoindex(dev)
            except OSError:
                import errno

                raise OSError(errno.ENODEV, f"no network interface {dev!r}") from None
        return self._index[dev]

    def set_vf(self, pf: str, vf: int, settings: dict[str, Any]) -> None:
        if self._rtnl is None:
            from sriovctl.changes.rtnl import RtnlSocket

            self._rtnl = RtnlSocket()
        self._rtnl.set_vf(self.index(pf), vf, settings)

    def vfs(self, pf: str) -> list[VfSettings]:
        from pyroute2.netlink.exceptions import NetlinkError

        from sriovctl.host.netlink import link_to_json, vf_settings_from_links

        try:
            msgs = self._sock().link("get", index=self.index(pf), ext_mask=RTEXT_FILTER_VF)
        except NetlinkError as e:
            raise _os_error(e) from None
        links = [link_to_json(m) for m in msgs]
        for link in links:
            link["ifname"] = pf  # the answer is for this index, whatever it is called now
        return list(vf_settings_from_links(links).get(pf, ()))

    def fdb_add(self, dev: str, mac: str) -> None:
        self._fdb("add", dev, mac)

    def fdb_del(self, dev: str, mac: str) -> None:
        self._fdb("del", dev, mac)

    def _fdb(self, command: str, dev: str, mac: str) -> None:
        from pyroute2.netlink.exceptions import NetlinkError

        # like `bridge fdb add MAC dev PF`: NTF_SELF (the device's own table), permanent
        try:
            self._sock().fdb(command, ifindex=self.index(dev), lladdr=mac)
        except NetlinkError as e:
            raise _os_error(e) from None

    def fdb(self, dev: str) -> list[FdbEntry]:
        from pyroute2.netlink.exceptions import NetlinkError

        index = self.index(dev)
        try:
            msgs = list(self._sock().fdb("dump"))
        except NetlinkError as e:
            raise _os_error(e) from None
        entries = []
        for m in msgs:
            if m.get("ifindex") != index or not m.get_attr("NDA_LLADDR"):
                continue
            entries.append(FdbEntry(
                mac=m.get_attr("NDA_LLADDR"), dev=dev,
                flags=_bits(m.get("flags", 0), NTF_FLAGS),
                state=_bits(m.get("state", 0), NUD_STATES),
                vlan=m.get_attr("NDA_VLAN")))
        return entries

    def close(self) -> None:
        if self._ipr is not None:
            self._ipr.close()
            self._ipr = None
        if self._rtnl is not None:
            self._rtnl.close()
            self._rtnl = None


def _bits(value: int, names: dict[int, str]) -> tuple[str, ...]:
    return tuple(name for bit, name in names.items() if value & bit)
