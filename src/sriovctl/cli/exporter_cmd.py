"""`sriovctl exporter`: per-VF state and counters for Prometheus."""

from __future__ import annotations

import signal
import sys
import threading

import click

from sriovctl.cli.common import root_option

DEFAULT_LISTEN = "127.0.0.1:9808"


def monitor_options(fn):
    """Options `exporter` and `top` share: what to read and how to label it."""
    fn = click.option("--vf-state", "vf_state", metavar="FILE", default=None,
                      help="The VF state file of `sriovctl vfs persist`, for the persisted "
                      "counts and spoofchk [default: /etc/sriovctl/vfs.json, under --root].")(fn)
    fn = click.option("--agent-config", metavar="sriov_agent.ini", default=None,
                      help="The SR-IOV agent's config: physnet labels from its "
                      "physical_device_mappings.")(fn)
    return root_option(fn)


def make_monitor(root: str, agent_config: str | None, vf_state: str | None,
                 max_age: float = 300.0):
    from sriovctl.monitor.collect import Monitor
    from sriovctl.monitor.persisted import default_state_path
    from sriovctl.monitor.physnets import physnets_from_agent_config

    physnets = physnets_from_agent_config(agent_config) if agent_config else {}
    return Monitor(root, physnets=physnets, state_path=vf_state or default_state_path(),
                   max_age=max_age)


def parse_listen(text: str) -> tuple[str, int]:
    """"127.0.0.1:9808", "[::1]:9808", ":9808" (all addresses) -> (address, port)."""
    from sriovctl.errors import InputError

    host, sep, port = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not port.isdigit() or not 0 < int(port) < 65536 or ("[" in host):
        raise InputError(f"--listen {text!r} is not ADDRESS:PORT",
                         fix=f"e.g. --listen {DEFAULT_LISTEN}, --listen [::1]:9808, "
                         "--listen :9808 (every address)")
    return host or "0.0.0.0", int(port)


@click.command("exporter")
@click.option("--listen", default=DEFAULT_LISTEN, show_default=True, metavar="ADDRESS:PORT",
              help="Where to serve /metrics.")
@monitor_options
@click.option("--topology-max-age", type=click.FloatRange(min=1), default=300.0,
              show_default=True, metavar="SECONDS",
              help="Re-read the sysfs VF layout at least this often, even if the netlink "
              "dump shows no change.")
@click.option("--once", is_flag=True,
              help="Print one scrape in the Prometheus text format and exit (e.g. for "
              "node_exporter's textfile collector).")
def exporter(listen: str, root: str, agent_config: str | None, vf_state: str | None,
             topology_max_age: float, once: bool) -> int:
    """Serve per-VF counters and settings for Prometheus: one netlink dump per scrape.

    Labels: host, pf, vf, vf_pci, physnet (with --agent-config) and, for a VF that a
    running libvirt domain holds, domain and port_mac.
    """
    from sriovctl.errors import SriovctlError

    address, port = parse_listen(listen)
    monitor = make_monitor(root, agent_config, vf_state, topology_max_age)
    first = monitor.scrape()
    failed = [m for source, m in first.errors if source == "netlink"]
    if failed:
        raise SriovctlError(f"cannot read VFs over netlink: {failed[0]}",
                            fix="run on the host itself (not in a network namespace "
                            "without the PFs) with pyroute2 installed")
    for source, message in first.errors:
        click.echo(f"warning: {source}: {message}", err=True)
    if once:
        from sriovctl.monitor.metrics import exposition

        sys.stdout.write(exposition(monitor).decode())
        return 0
    serve(monitor, address, port, first)
    return 0


def serve(monitor, address: str, port: int, first) -> None:
    from prometheus_client import CollectorRegistry, start_http_server

    from sriovctl.errors import SriovctlError
    from sriovctl.monitor.metrics import SriovCollector

    registry = CollectorRegistry(auto_describe=False)
    registry.register(SriovCollector(monitor))
    try:
        start_http_server(port, addr=address, registry=registry)
    except OSError as e:
        raise SriovctlError(f"cannot listen on {address}:{port}: {e.strerror or e}",
                            fix="choose another --listen ADDRESS:PORT, or stop whatever "
                            "uses it") from None
    click.echo(f"serving http://{_url_host(address)}:{port}/metrics — "
               f"{plural(len(first.pfs), 'PF')}, {plural(len(first.vfs), 'VF')} "
               "(Ctrl-C or SIGTERM stops)", err=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(3600):
            pass
    except KeyboardInterrupt:
        pass
    click.echo("exporter stopped", err=True)


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _url_host(address: str) -> str:
    return f"[{address}]" if ":" in address else address
