"""``openstack flavor|server ...``: options to the boot/attach model, and the records the
client prints. ``server create`` returns at once in a real cloud (status BUILD); the twin
shows the status the server settles in, with the fault, as ``server show`` would."""

from __future__ import annotations

from typing import Any, Optional

from sriovctl.twin import boot, outcome
from sriovctl.twin.cloud import Cloud, Flavor, Server
from sriovctl.twin.explanation import ApiError, Explanation, nova_error
from sriovctl.twin.neutron import Port
from sriovctl.twin.nova import ComputeNode
from sriovctl.twin.scenario import Command

Result = tuple[Any, list[Explanation]]


def _properties(values: list[str]) -> dict[str, str]:
    out = {}
    for text in values:
        key, sep, value = text.partition("=")
        if not sep:
            raise ApiError(f"--property {text!r}: expected <key>=<value>")
        out[key] = value
    return out


def flavor_record(f: Flavor) -> dict[str, Any]:
    return {
        "disk": f.disk,
        "id": f.id,
        "name": f.name,
        "properties": dict(f.properties),
        "ram": f.ram,
        "vcpus": f.vcpus,
    }


def flavor_create(cloud: Cloud, cmd: Command, line: int) -> Result:
    name = cmd.args[0]
    if name in cloud.flavors:
        raise nova_error(f"Flavor with name {name} already exists.", 409)
    flavor = Flavor(
        name,
        cloud.ids.new("flavor"),
        int(cmd.get("vcpus", 1)),
        int(cmd.get("ram", 256)),
        int(cmd.get("disk", 0)),
        _properties(cmd.get("properties", [])),
    )
    cloud.flavors[name] = flavor
    return flavor_record(flavor), []


def flavor_set(cloud: Cloud, cmd: Command, line: int) -> Result:
    cloud.flavor(cmd.args[0]).properties.update(_properties(cmd.get("properties", [])))
    return None, []


def flavor_show(cloud: Cloud, cmd: Command, line: int) -> Result:
    return flavor_record(cloud.flavor(cmd.args[0])), []


def flavor_list(cloud: Cloud, cmd: Command, line: int) -> Result:
    rows = [
        {"ID": f.id, "Name": f.name, "RAM": f.ram, "Disk": f.disk, "VCPUs": f.vcpus}
        for f in cloud.flavors.values()
    ]
    return (["ID", "Name", "RAM", "Disk", "VCPUs"], rows), []


def server_record(cloud: Cloud, s: Server) -> dict[str, Any]:
    addresses: dict[str, list[str]] = {}
    for port_id in s.port_ids if s.status == "ACTIVE" else ():  # a failed build lets go
        port = cloud.neutron.ports.get(port_id)
        if port is not None and port.fixed_ips:
            name = cloud.neutron.networks[port.network_id].name
            addresses.setdefault(name, []).extend(ip for _, ip in port.fixed_ips)
    record = {
        "OS-EXT-SRV-ATTR:host": s.host,
        "addresses": addresses,
        "flavor": s.flavor.name,
        "id": s.id,
        "image": s.image,
        "name": s.name,
        "status": s.status,
    }
    if s.fault:
        record["fault"] = s.fault
    return record


def _nics(cloud: Cloud, cmd: Command) -> list[Port]:
    """``--nic port-id=|net-id=|none|auto``, ``--port``, ``--network``, as nova-api checks them."""
    wanted: list[tuple[str, str]] = []
    for text in cmd.get("nics", []):
        if text in ("none", "auto"):
            continue
        parts = dict(p.split("=", 1) for p in text.split(",") if "=" in p)
        if "port-id" in parts:
            wanted.append(("port", parts["port-id"]))
        elif "net-id" in parts:
            wanted.append(("net", parts["net-id"]))
        else:
            raise ApiError(
                f"Invalid --nic argument '{text}'. Nic arguments must be of the form "
                "--nic <net-id=net-uuid,v4-fixed-ip=ip-addr,v6-fixed-ip=ip-addr,"
                "port-id=port-uuid>."
            )
    wanted += [("port", p) for p in cmd.get("ports", [])]
    wanted += [("net", n) for n in cmd.get("networks", [])]
    ports = []
    for kind, value in wanted:
        if kind == "port":
            if not value:
                raise ApiError(
                    "Invalid --nic argument 'port-id='. The port id is empty (did "
                    "the `port_id=$(openstack port show ...)` line fail?)"
                )
            try:
                port = cloud.neutron.port(value)
            except ApiError:
                raise nova_error(f"Port {value} could not be found.", 400) from None
            boot.check_free(port)
            ports.append(port)
    for kind, value in wanted:  # nova creates these ports itself, once the others are fine
        if kind == "net":
            network = cloud.neutron.network(value)
            ports.append(
                cloud.neutron.create_port(
                    "", network, security_groups=["default"], device_owner="compute:nova"
                )
            )
    return ports


def _target(cloud: Cloud, cmd: Command) -> tuple[Optional[ComputeNode], bool]:
    az, host = cmd.get("availability_zone"), cmd.get("host") or cmd.get("hypervisor_hostname")
    forced = False
    if az and ":" in az:
        host, forced = az.split(":", 1)[1].split(":")[0] or host, True
    if not host:
        return None, False
    node = cloud.node(host)
    if node is None:
        raise nova_error(f"Compute host {host} could not be found.", 400)
    return node, forced


def server_create(cloud: Cloud, cmd: Command, line: int) -> Result:
    flavor = cloud.flavor(cmd.get("flavor"))
    only, forced = _target(cloud, cmd)
    ports = _nics(cloud, cmd)
    image = cmd.get("image") or cmd.get("volume") or cmd.get("snapshot") or "(volume)"
    server = Server(
        cloud.ids.new("server"),
        cmd.args[0],
        flavor,
        image,
        config_drive=str(cmd.get("config_drive", "")).lower() in ("true", "1"),
    )
    server.created_ports = [p.id for p in ports if p.device_owner == "compute:nova"]
    cloud.servers[server.id] = server
    notes = boot.create_server(cloud, server, ports, only, forced, line)
    if server.status == "ACTIVE":
        notes += outcome.after_boot(cloud, server, line)
    else:
        for port_id in server.created_ports:
            cloud.neutron.delete_port(cloud.neutron.ports[port_id])
        server.port_ids = [p for p in server.port_ids if p not in server.created_ports]
    return server_record(cloud, server), notes


def server_show(cloud: Cloud, cmd: Command, line: int) -> Result:
    return server_record(cloud, cloud.server(cmd.args[0])), []


def server_list(cloud: Cloud, cmd: Command, line: int) -> Result:
    rows = [
        {
            "ID": s.id,
            "Name": s.name,
            "Status": s.status,
            "Host": s.host,
            "Networks": server_record(cloud, s)["addresses"],
            "Flavor": s.flavor.name,
        }
        for s in cloud.servers.values()
        if cmd.get("host") in (None, s.host)
    ]
    return (["ID", "Name", "Status", "Networks", "Flavor", "Host"], rows), []


def server_add_port(cloud: Cloud, cmd: Command, line: int) -> Result:
    """Interface attach (SR-IOV ports since Victoria): claim on the server's host, bind, plug."""
    server = cloud.server(cmd.args[0])
    if server.status != "ACTIVE" or server.node is None:
        raise nova_error(
            f"Cannot 'attach_interface' instance {server.id} while it is in "
            f"vm_state {server.status.lower()}",
            409,
        )
    try:
        port = cloud.neutron.port(cmd.args[1])
    except ApiError:
        raise nova_error(f"Port {cmd.args[1]} could not be found.", 404) from None
    boot.check_free(port)
    node = server.node
    request = boot.pci_request(
        cloud, port, server.flavor.properties.get("hw:pci_numa_affinity_policy")
    )
    pairs = [(port, request)]
    failure = boot.claim_on(cloud, node, pairs, 0, line, server) if request else None
    if failure is not None:
        raise nova_error(
            f"Failed to claim PCI device for {server.id} during interface attach",
            400,
            [failure.explanation],
        )
    failure = boot.bind_on(cloud, node, pairs, line) or boot.spawn_on(
        cloud, node, pairs, line, attach=True
    )
    if failure is not None and failure.fatal:
        boot.give_back(cloud, node, pairs)
        raise nova_error(
            f"Failed to attach network adapter device to {server.id}", 500, [failure.explanation]
        )
    port.device_id, port.device_owner = server.id, "compute:nova"
    port.status = "ACTIVE" if failure is None else "DOWN"
    server.port_ids.append(port.id)
    notes = [failure.explanation] if failure else []
    return None, notes + outcome.after_boot(cloud, _only_port(server, port), line)


def _only_port(server: Server, port: Port) -> Server:
    view = Server(
        server.id,
        server.name,
        server.flavor,
        server.image,
        server.status,
        server.node,
        [port.id],
        config_drive=server.config_drive,
    )
    return view


def server_remove_port(cloud: Cloud, cmd: Command, line: int) -> Result:
    server = cloud.server(cmd.args[0])
    port = cloud.neutron.port(cmd.args[1])
    if port.id not in server.port_ids:
        raise nova_error(f"Port {port.id} is not attached", 404)
    boot.release_port(cloud, port)
    server.port_ids.remove(port.id)
    if port.id in server.created_ports:
        cloud.neutron.delete_port(port)
    return None, []


def server_delete(cloud: Cloud, cmd: Command, line: int) -> Result:
    for name in cmd.args:
        server = cloud.server(name)
        for port_id in list(server.port_ids):
            port = cloud.neutron.ports.get(port_id)
            if port is None:
                continue
            boot.release_port(cloud, port)
            if port_id in server.created_ports:
                cloud.neutron.delete_port(port)
        del cloud.servers[server.id]
    return None, []
