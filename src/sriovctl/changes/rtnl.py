"""RTM_NEWLINK messages that set VF attributes, encoded with struct, and their ACKs.

Why not pyroute2's `IPRoute.link("set", vf=...)` for this one message: measured in the lab,
its request pipeline (keyword filters, message objects, response parsing) costs ~88 ms per
message under TCG, against ~1 ms for the same bytes written to a netlink socket — slower
than spawning `ip`. The layout is the kernel's UAPI (include/uapi/linux/if_link.h), fixed
for 10+ years, and the unit tests decode these bytes with pyroute2 to prove them equal to
what pyroute2 would send. Reads, lookups and FDB stay on pyroute2.
"""

from __future__ import annotations

import os
import socket
import struct
from typing import Any

NETLINK_ROUTE = 0
RTM_NEWLINK = 16
NLMSG_ERROR = 2
NLM_F_REQUEST, NLM_F_ACK = 0x1, 0x4
IFLA_VFINFO_LIST = 22
IFLA_VF_INFO = 1
IFLA_VF_MAC, IFLA_VF_VLAN, IFLA_VF_SPOOFCHK, IFLA_VF_LINK_STATE = 1, 2, 4, 5
IFLA_VF_RATE, IFLA_VF_TRUST, IFLA_VF_VLAN_LIST = 6, 9, 12
IFLA_VF_VLAN_INFO = 1
VLAN_PROTOS = {"802.1Q": 0x8100, "802.1ad": 0x88A8}
LINK_STATES = {"auto": 0, "enable": 1, "disable": 2}


def _nla(kind: int, payload: bytes) -> bytes:
    length = 4 + len(payload)
    return struct.pack("HH", length, kind) + payload + b"\0" * (-length % 4)


def _mac(text: str) -> bytes:
    return bytes(int(x, 16) for x in text.split(":")).ljust(32, b"\0")


def vf_attributes(vf: int, settings: dict[str, Any]) -> bytes:
    """The IFLA_VF_* attributes for one VF, in the order the kernel applies them."""
    out = b""
    if settings.get("mac") is not None:
        out += _nla(IFLA_VF_MAC, struct.pack("I", vf) + _mac(settings["mac"]))
    if settings.get("vlan") is not None:
        vlan, qos = settings["vlan"], settings.get("qos") or 0
        proto = settings.get("vlan_proto") or "802.1Q"
        if proto == "802.1Q":  # IFLA_VF_VLAN: what every driver understands
            out += _nla(IFLA_VF_VLAN, struct.pack("III", vf, vlan, qos))
        else:
            info = struct.pack("III", vf, vlan, qos) + struct.pack("!H", VLAN_PROTOS[proto])
            out += _nla(IFLA_VF_VLAN_LIST, _nla(IFLA_VF_VLAN_INFO, info))
    if settings.get("min_tx_rate") is not None or settings.get("max_tx_rate") is not None:
        out += _nla(IFLA_VF_RATE, struct.pack("III", vf, settings.get("min_tx_rate") or 0,
                                              settings.get("max_tx_rate") or 0))
    if settings.get("spoofchk") is not None:
        out += _nla(IFLA_VF_SPOOFCHK, struct.pack("II", vf, 1 if settings["spoofchk"] else 0))
    if settings.get("link_state") is not None:
        out += _nla(IFLA_VF_LINK_STATE, struct.pack("II", vf, LINK_STATES[settings["link_state"]]))
    if settings.get("trust") is not None:
        out += _nla(IFLA_VF_TRUST, struct.pack("II", vf, 1 if settings["trust"] else 0))
    return out


def setlink_vf(ifindex: int, vf: int, settings: dict[str, Any], seq: int) -> bytes:
    """One RTM_NEWLINK (NLM_F_REQUEST|NLM_F_ACK) carrying one IFLA_VF_INFO."""
    body = struct.pack("BxHiII", socket.AF_UNSPEC, 0, ifindex, 0, 0)
    body += _nla(IFLA_VFINFO_LIST, _nla(IFLA_VF_INFO, vf_attributes(vf, settings)))
    header = struct.pack("IHHII", 16 + len(body), RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK,
                         seq, 0)
    return header + body


def ack_errno(data: bytes, seq: int) -> int | None:
    """0 for success, the errno for a refusal, None if `data` holds no ACK for `seq`."""
    offset = 0
    while offset + 16 <= len(data):
        length, kind, _flags, got_seq, _pid = struct.unpack_from("IHHII", data, offset)
        if length < 16:
            break
        if kind == NLMSG_ERROR and got_seq == seq:
            return -struct.unpack_from("i", data, offset + 16)[0]
        offset += (length + 3) & ~3
    return None


class RtnlSocket:
    """A bare NETLINK_ROUTE socket for VF writes; one per command, closed with it."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
        self.sock.bind((0, 0))
        self.seq = 0

    def set_vf(self, ifindex: int, vf: int, settings: dict[str, Any]) -> None:
        self.seq += 1
        self.sock.send(setlink_vf(ifindex, vf, settings, self.seq))
        while True:
            code = ack_errno(self.sock.recv(65536), self.seq)
            if code is None:
                continue  # not ours (cannot happen without multicast groups; be safe)
            if code:
                raise OSError(code, os.strerror(code))
            return

    def close(self) -> None:
        self.sock.close()
