"""`sriovctl top`: per-VF rates, live."""

from __future__ import annotations

import click

from sriovctl.cli.exporter_cmd import make_monitor, monitor_options
from sriovctl.monitor.rates import SORT_KEYS


@click.command("top")
@click.option("--sort", "sort_key", type=click.Choice(list(SORT_KEYS)), default="rx_pps",
              show_default=True, help="Sort key (busiest first); `s` cycles it while running.")
@click.option("--interval", type=click.FloatRange(min=0.2), default=1.0, show_default=True,
              metavar="SECONDS", help="Seconds between refreshes.")
@click.option("-n", "--iterations", type=click.IntRange(min=0), default=0, metavar="N",
              help="Stop after N refreshes (0: until q or Ctrl-C).")
@click.option("--limit", type=click.IntRange(min=1), default=None, metavar="ROWS",
              help="Show only the first ROWS VFs [default: as many as fit].")
@monitor_options
def top(sort_key: str, interval: float, iterations: int, limit: int | None, root: str,
        agent_config: str | None, vf_state: str | None) -> int:
    """Watch per-VF packet, bit and drop rates, refreshed each second.

    Counters come from the PF driver over netlink (one dump per refresh); for PFs whose
    driver reports no VF stats (igb) from the VF's own netdev, when it has one here.
    Keys: q quit, s next sort key, r reverse.
    """
    from rich.console import Console

    from sriovctl.monitor.live import run

    monitor = make_monitor(root, agent_config, vf_state)
    console = Console()
    if limit is None and console.is_terminal:
        limit = max(5, console.size.height - 8)  # title, header, caption and margins
    return run(monitor.scrape, sort_key, interval=interval, iterations=iterations,
               console=console, limit=limit)
