"""How neutron's agents used ``ip`` and ``bridge`` before netlink (neutron <= 16 / <= 17).

Kept to read old logs and old bug reports, and to show the command an operator would
type for what the agent now does over netlink. Nothing here runs a command: argv
lists are data. Parsing is the old agents' own (regexes included), quirks and all:
the modern ``ip link`` VF format (``link/ether``) does not match, which is one reason
neutron moved to netlink.

Exception messages are ours; the class names are neutron's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sriovctl.openstack.neutron.errors import NeutronError

_VF_LINE = re.compile(
    r"^vf\s+(?P<vf_index>\d+)\s+MAC\s+(?P<mac>[a-fA-F0-9:]+),.*,\s+link-state\s+(?P<state>\w+)"
)
_MACVTAP = re.compile(r".*macvtap[0-9]+@(?P<vf_interface>[a-zA-Z0-9_]+):")
OP_NOT_SUPPORTED = "RTNETLINK answers: Operation not supported"


class IpCommandOperationNotSupportedError(NeutronError):
    neutron_name = "IpCommandOperationNotSupportedError"


class IpCommandDeviceError(NeutronError):
    neutron_name = "IpCommandDeviceError"


def parse_vf_line(line: str) -> dict[str, Any]:
    """A ``vf N MAC m, ..., link-state s`` line -> ``{vf, MAC, link-state}``, else ``{}``."""
    match = _VF_LINE.match(line)
    if not match:
        return {}
    return {
        "vf": int(match.group("vf_index")),
        "MAC": match.group("mac"),
        "link-state": match.group("state"),
    }


def vf_lines(output: str, vf_list: Iterable[int]) -> list[str]:
    """The stripped ``vf ...`` lines of ``ip link show <pf>`` for the asked VF indexes."""
    wanted = set(vf_list)
    lines = []
    for raw in output.split("\n"):
        line = raw.strip()
        if not line.startswith("vf"):
            continue
        fields = line.split()
        # The old agent crashed on a "vf" line without an index; skip it instead.
        if len(fields) > 1 and fields[1].isdecimal() and int(fields[1]) in wanted:
            lines.append(line)
    return lines


def assigned_macs(output: str, vf_list: Iterable[int]) -> dict[int, str]:
    """Legacy ``get_assigned_macs``: ``{vf: MAC}`` parsed from ``ip link show <pf>``."""
    result = {}
    for line in vf_lines(output, vf_list):
        details = parse_vf_line(line)
        if details:
            result[details["vf"]] = details["MAC"]
    return result


def vf_state(output: str, vf_index: int) -> str:
    """Legacy ``get_vf_state``: ``auto``/``enable``, anything else (or no line) ``disable``."""
    lines = vf_lines(output, [vf_index])
    if lines:
        state = parse_vf_line(lines[0]).get("link-state", "disable")
        if state in ("auto", "enable"):
            return state
    return "disable"


def is_macvtap_assigned(ifname: str, output: str) -> bool:
    """Legacy check: a ``macvtapN@<vf netdev>:`` line in ``ip link show`` output."""
    for line in output.splitlines():
        match = _MACVTAP.match(line)
        if match and match.group("vf_interface") == ifname:
            return True
    return False


def ip_link_set_vf_argv(dev_name: str, vf_index: int, feature: str, value: Any) -> list[str]:
    """``ip link set <pf> vf <N> <feature> <value>`` (state, spoofchk, rate, min_tx_rate)."""
    return ["ip", "link", "set", dev_name, "vf", str(vf_index), feature, str(value)]


def ip_link_error(dev_name: str, stderr: str) -> NeutronError:
    """The exception the legacy agent raised for a failed ``ip link set``."""
    if OP_NOT_SUPPORTED in stderr:
        return IpCommandOperationNotSupportedError(
            f"Operation not supported on device {dev_name}",
            fix="the NIC driver cannot do this for VFs (for link state the agent carries on)",
        )
    return IpCommandDeviceError(
        f"ip command failed on device {dev_name}: {stderr.strip()}", fix="see the message"
    )


def bridge_fdb_argv(op: str, dev: str, mac: str = "") -> list[str]:
    """``bridge fdb show dev <pf>`` / ``bridge fdb add|delete <mac> dev <pf>``."""
    if op == "show":
        return ["bridge", "fdb", "show", "dev", dev]
    return ["bridge", "fdb", op, mac, "dev", dev]


def parse_bridge_fdb_show(stdout: str) -> list[str]:
    """Legacy: every third whitespace-separated token, i.e. the MAC column."""
    return stdout.split()[::3]
