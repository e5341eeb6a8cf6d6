"""``openstack port ...``: create, show, list, set, delete; ``--host`` binds at once.

Records carry the field names python-openstackclient shows (``binding_vif_type``...).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sriovctl.twin.boot import release_port
from sriovctl.twin.cloud import Cloud
from sriovctl.twin.explanation import ApiError, Explanation
from sriovctl.twin.neutron import Port
from sriovctl.twin.scenario import Command

Result = tuple[Any, list[Explanation]]


def port_record(cloud: Cloud, p: Port) -> dict[str, Any]:
    return {
        "admin_state_up": "UP" if p.admin_state_up else "DOWN",
        "binding_host_id": p.host or None,
        "binding_profile": dict(p.profile),
        "binding_vif_details": dict(p.vif_details),
        "binding_vif_type": p.vif_type,
        "binding_vnic_type": p.vnic_type,
        "device_id": p.device_id or None,
        "device_owner": p.device_owner or None,
        "fixed_ips": [f"ip_address='{ip}', subnet_id='{s}'" for s, ip in p.fixed_ips],
        "id": p.id,
        "mac_address": p.mac,
        "name": p.name,
        "network_id": p.network_id,
        "numa_affinity_policy": p.numa_policy,
        "port_security_enabled": p.port_security,
        "security_group_ids": list(p.security_groups),
        "status": p.status,
    }


def _fixed_ips(values: list[str]) -> list[tuple]:
    out = []
    for text in values:
        parts = dict(p.split("=", 1) for p in text.split(",") if "=" in p)
        out.append((parts.get("subnet"), parts.get("ip-address")))
    return out


def port_create(cloud: Cloud, cmd: Command, line: int) -> Result:
    network = cloud.neutron.network(cmd.get("network"))
    security = cmd.get("port_security", network.port_security)
    groups = (
        []
        if cmd.get("no_security_group") or not security
        else (cmd.get("security_groups") or ["default"])
    )
    port = cloud.neutron.create_port(
        cmd.args[0],
        network,
        cmd.get("vnic_type", "normal"),
        parse_binding_profile(cmd.get("binding_profile", [])),
        _fixed_ips(cmd.get("fixed_ips", [])),
        bool(cmd.get("no_fixed_ip")),
        security_groups=groups,
        port_security=security,
        admin_state_up=cmd.get("admin_state_up", True),
        numa_policy=cmd.get("numa_policy"),
        mac=cmd.get("mac_address"),
    )
    notes = _bind_now(cloud, port, cmd.get("host"), line)
    return port_record(cloud, port), notes


def _bind_now(cloud: Cloud, port: Port, host: Any, line: int) -> list[Explanation]:
    """``--host``: neutron binds at once (no VF is claimed, so there is no pci_slot)."""
    if not host:
        return []
    from sriovctl.twin.failures import binding_failed

    binding = cloud.neutron.bind(port, host)
    if binding.bound:
        return []
    return [binding_failed(cloud, port, binding, host, line)]


def port_show(cloud: Cloud, cmd: Command, line: int) -> Result:
    return port_record(cloud, cloud.neutron.port(cmd.args[0])), []


def port_list(cloud: Cloud, cmd: Command, line: int) -> Result:
    ports = list(cloud.neutron.ports.values())
    if cmd.get("network"):
        ports = [p for p in ports if p.network_id == cloud.neutron.network(cmd.get("network")).id]
    if cmd.get("server"):
        ports = [p for p in ports if p.device_id == cloud.server(cmd.get("server")).id]
    if cmd.get("host"):
        ports = [p for p in ports if p.host == cmd.get("host")]
    rows = [
        {
            "ID": p.id,
            "Name": p.name,
            "MAC Address": p.mac,
            "Status": p.status,
            "Fixed IP Addresses": [f"ip_address='{ip}'" for _, ip in p.fixed_ips],
        }
        for p in ports
    ]
    return (["ID", "Name", "MAC Address", "Fixed IP Addresses", "Status"], rows), []


def port_set(cloud: Cloud, cmd: Command, line: int) -> Result:
    port = cloud.neutron.port(cmd.args[0])
    if cmd.get("no_binding_profile"):
        port.profile = {}
    port.profile.update(parse_binding_profile(cmd.get("binding_profile", [])))
    for dest, attr in (
        ("vnic_type", "vnic_type"),
        ("name", "name"),
        ("admin_state_up", "admin_state_up"),
        ("port_security", "port_security"),
        ("numa_policy", "numa_policy"),
    ):
        if dest in cmd.options:
            setattr(port, attr, cmd.get(dest))
    if cmd.get("no_security_group"):
        port.security_groups = []
    if cmd.get("security_groups"):
        port.security_groups = list(cmd.get("security_groups"))
    return None, _bind_now(cloud, port, cmd.get("host"), line)


def port_delete(cloud: Cloud, cmd: Command, line: int) -> Result:
    for name in cmd.args:
        port = cloud.neutron.port(name)
        server = cloud.servers.get(port.device_id)
        if server is not None:  # nova gets network-vif-deleted and detaches the VF
            release_port(cloud, port)
            server.port_ids.remove(port.id)
        cloud.neutron.delete_port(port)
    return None, []


def parse_binding_profile(values: Iterable[str]) -> dict[str, Any]:
    """``--binding-profile`` values: ``key=value`` pairs or JSON objects, merged in order."""
    profile: dict[str, Any] = {}
    for text in values:
        if text.lstrip().startswith("{"):
            try:
                data = json.loads(text)
            except ValueError as e:
                raise ApiError(f"--binding-profile: invalid JSON {text!r}: {e}") from None
            if not isinstance(data, dict):
                raise ApiError(f"--binding-profile: {text!r} is not a JSON object")
            profile.update(data)
        elif "=" in text:
            key, _, value = text.partition("=")
            profile[key] = value
        else:
            raise ApiError(f"--binding-profile: expected <key>=<value> or JSON, got {text!r}")
    return profile
