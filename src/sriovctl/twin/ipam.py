"""Subnets, allocation pools and fixed IPs, with neutron's validation messages.

One difference from neutron, on purpose: neutron's IPAM picks a random address among the
first free ones of a pool; the twin takes the lowest free address, so a scenario gives
the same addresses every run. Which port runs the pool dry first is the same.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Optional, Union

from sriovctl.twin.explanation import ApiError, bad_request, conflict

IpNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


@dataclass
class Subnet:
    id: str
    name: str
    network_id: str
    cidr: IpNetwork
    gateway_ip: Optional[str]
    pools: list[tuple[int, int]]
    enable_dhcp: bool = True
    segment_id: Optional[str] = None  # routed networks; None: the subnet spans all segments
    allocated: set[int] = field(default_factory=set)
    _cursor: list[int] = field(default_factory=list)  # next candidate in each pool

    @property
    def ip_version(self) -> int:
        return self.cidr.version

    def pool_text(self) -> list[str]:
        return [f"{_ip(a, self.cidr)}-{_ip(b, self.cidr)}" for a, b in self.pools]

    def allocate(self, wanted: Optional[str] = None) -> Optional[str]:
        """A fixed IP for a port: ``wanted`` if free, else the lowest free pool address."""
        if wanted is not None:
            try:
                ip = int(ipaddress.ip_address(wanted))
            except ValueError:
                raise bad_request(
                    f"Invalid input for operation: '{wanted}' is not a valid IP address."
                ) from None
            if ipaddress.ip_address(wanted) not in self.cidr or ip in self.allocated:
                if ip in self.allocated:
                    raise conflict(f"IP address {wanted} already allocated in subnet {self.id}")
                raise bad_request(
                    f"IP address {wanted} is not a valid IP for the specified subnet."
                )
            self.allocated.add(ip)
            return wanted
        if not self._cursor:
            self._cursor = [a for a, _ in self.pools]
        for i, (_, end) in enumerate(self.pools):
            ip = self._cursor[i]
            while ip <= end and ip in self.allocated:
                ip += 1
            self._cursor[i] = ip
            if ip <= end:
                self.allocated.add(ip)
                self._cursor[i] = ip + 1
                return _ip(ip, self.cidr)
        return None

    def release(self, address: str) -> None:
        ip = int(ipaddress.ip_address(address))
        self.allocated.discard(ip)
        for i, (start, end) in enumerate(self.pools):
            if start <= ip <= end and self._cursor and ip < self._cursor[i]:
                self._cursor[i] = ip

    def record(self) -> dict[str, Any]:
        return {
            "allocation_pools": self.pool_text(),
            "cidr": str(self.cidr),
            "enable_dhcp": self.enable_dhcp,
            "gateway_ip": self.gateway_ip,
            "id": self.id,
            "ip_version": self.ip_version,
            "name": self.name,
            "network_id": self.network_id,
        }


def _ip(value: int, cidr: IpNetwork) -> str:
    return str(ipaddress.ip_address(value) if cidr.version == 4 else ipaddress.IPv6Address(value))


def make_subnet(
    subnet_id: str,
    name: str,
    network_id: str,
    cidr_text: str,
    pools_text: list[str],
    gateway: Optional[str],
    dhcp: bool,
) -> Subnet:
    """Validate like neutron: CIDR, gateway, pools inside the CIDR and clear of the gateway."""
    try:
        cidr = ipaddress.ip_network(cidr_text, strict=True)
    except ValueError:
        raise bad_request(
            f"Invalid input for cidr. Reason: '{cidr_text}' is not a valid IP subnet."
        ) from None
    first, last = int(cidr.network_address), int(cidr.broadcast_address)
    if cidr.version == 4 and cidr.prefixlen < 31:
        first, last = first + 1, last - 1
    gateway_ip: Optional[str]
    if gateway in (None, "auto"):
        gateway_ip = _ip(first, cidr)
    elif gateway == "none":
        gateway_ip = None
    else:
        gateway_ip = gateway
        if ipaddress.ip_address(gateway) not in cidr:
            raise bad_request(
                f"Invalid input for operation: Gateway IP {gateway} is not in subnet {cidr}."
            )
    pools = [_parse_pool(text, cidr) for text in pools_text] or _default_pools(
        first, last, gateway_ip
    )
    gw = int(ipaddress.ip_address(gateway_ip)) if gateway_ip else None
    for start, end in pools:
        span = f"{_ip(start, cidr)}-{_ip(end, cidr)}"
        if start > end:
            raise bad_request(f"The allocation pool {span} is not valid.")
        if start < first or end > last:
            raise bad_request(f"The allocation pool {span} spans beyond the subnet cidr {cidr}.")
        if gw is not None and start <= gw <= end:
            raise conflict(f"Gateway ip {gateway_ip} conflicts with allocation pool {span}")
    return Subnet(subnet_id, name, network_id, cidr, gateway_ip, pools, dhcp)


def _default_pools(first: int, last: int, gateway: Optional[str]) -> list[tuple[int, int]]:
    gw = int(ipaddress.ip_address(gateway)) if gateway else None
    if gw is None or not first <= gw <= last:
        return [(first, last)]
    return [(a, b) for a, b in ((first, gw - 1), (gw + 1, last)) if a <= b]


def _parse_pool(text: str, cidr: IpNetwork) -> tuple[int, int]:
    parts = dict(p.split("=", 1) for p in text.split(",") if "=" in p)
    if set(parts) != {"start", "end"}:
        raise ApiError(f"--allocation-pool {text!r}: expected start=<ip>,end=<ip>")
    try:
        return int(ipaddress.ip_address(parts["start"])), int(ipaddress.ip_address(parts["end"]))
    except ValueError as e:
        raise bad_request(f"Invalid input for allocation_pools. Reason: {e}.") from None
