"""`sriovctl top`: a live table of per-VF rates, refreshed each interval (rich's Live).

Keys: q quits, s cycles the sort key, r reverses it. Ctrl-C quits too. The terminal is put
in cbreak mode only while the view runs and is restored however it ends.
"""

from __future__ import annotations

import os
import select
import sys
import time
from typing import Callable, Optional

from sriovctl.monitor.rates import SORT_KEYS, VfRate, human, rates, sort_rates
from sriovctl.monitor.sample import Sample

# (header, min width, right-aligned): wide enough for "1.23M", narrow enough for 80 columns
COLUMNS = (("VF", 8, False), ("PCI", 7, False), ("DOMAIN/DEV", 6, False),
           ("RX pps", 6, True), ("TX pps", 6, True), ("RX bps", 6, True), ("TX bps", 6, True),
           ("DROP/s", 6, True), ("SPOOF", 5, False), ("SRC", 6, False))
_SOURCE = {"pf": "pf", "vf_netdev": "netdev", "none": "-"}


def render(rows: list[VfRate], sample: Sample, sort: str, reverse: bool = False,
           limit: int | None = None):
    from rich import box
    from rich.table import Table

    ordered = sort_rates(rows, sort)
    if reverse:
        ordered.reverse()
    shown = ordered[:limit] if limit else ordered
    title = (f"{sample.host or 'host'}: {_plural(len(sample.vfs), 'VF')} on "
             f"{_plural(len(sample.pfs), 'PF')}, "
             f"sorted by {SORT_KEYS[sort]}{' (reversed)' if reverse else ''}")
    caption = "q quit · s next sort key · r reverse"
    if sample.errors:
        caption = f"{sample.errors[0][0]}: {sample.errors[0][1]} · " + caption
    # the box's blank separators are the only gap between columns: 80 columns must do
    table = Table(title=title, caption=caption, box=box.SIMPLE_HEAD, show_edge=False,
                  padding=0)
    for name, width, right in COLUMNS:
        # only DOMAIN/DEV may shrink (rich narrows wrappable columns first; a domain name
        # has no spaces, so it is cut with an ellipsis): every other column stays readable
        shrinks = name.startswith("DOMAIN")
        table.add_column(name, justify="right" if right else "left", min_width=width,
                         no_wrap=not shrinks, overflow="ellipsis" if shrinks else "fold")
    for r in shown:
        v = r.vf
        who = v.domain or v.netdev or ("(in use)" if v.in_use else "")
        table.add_row(f"{v.pf}/{v.index}", _short_pci(v.address), who, human(r.rx_pps),
                      human(r.tx_pps), human(r.rx_bps), human(r.tx_bps), human(r.drops),
                      {True: "on", False: "off", None: "?"}[v.spoofchk],
                      _SOURCE.get(v.stats_source, v.stats_source))
    if len(shown) < len(ordered):
        table.add_row(f"+{len(ordered) - len(shown)} more", *([""] * (len(COLUMNS) - 1)))
    return table


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _short_pci(address: str) -> str:
    return address[5:] if address.startswith("0000:") else address


class Keys:
    """Single key presses from a terminal; on anything else it only waits."""

    def __init__(self, stream=None) -> None:
        self.stream = stream if stream is not None else sys.stdin
        self._saved = None
        self._fd: int | None = None

    def __enter__(self) -> Keys:
        try:
            if self.stream.isatty():
                import termios
                import tty

                self._fd = self.stream.fileno()
                self._saved = termios.tcgetattr(self._fd)
                tty.setcbreak(self._fd)  # keys without Enter; Ctrl-C still interrupts
        except (OSError, ValueError, AttributeError):
            self._fd = None
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None and self._saved is not None:
            import termios

            termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)

    def wait(self, seconds: float) -> str | None:
        """A key pressed within `seconds`, else None."""
        if self._fd is None:
            time.sleep(max(0.0, seconds))
            return None
        ready, _, _ = select.select([self._fd], [], [], max(0.0, seconds))
        if not ready:
            return None
        data = os.read(self._fd, 16)
        return data.decode(errors="replace")[:1] if data else "q"  # EOF: quit


def run(scrape: Callable[[], Sample], sort: str, interval: float = 1.0,
        iterations: int = 0, keys: Optional[Keys] = None, console=None,
        clock: Callable[[], float] = time.monotonic, limit: int | None = None) -> int:
    """The view until q, Ctrl-C or `iterations` refreshes (0: forever). Returns 0."""
    from rich.live import Live

    order = list(SORT_KEYS)
    reverse = False
    prev = scrape()
    rows = rates(None, prev)
    keys = keys or Keys()
    refreshes = 0
    try:
        with keys, Live(render(rows, prev, sort, reverse, limit), console=console,
                        auto_refresh=False, transient=False) as live:
            deadline = clock() + interval
            while True:
                key = keys.wait(deadline - clock())
                if key in ("q", "Q"):
                    break
                if key in ("s", "S"):
                    sort = order[(order.index(sort) + 1) % len(order)]
                elif key in ("r", "R"):
                    reverse = not reverse
                if clock() >= deadline:
                    cur = scrape()
                    rows, prev = rates(prev, cur), cur
                    refreshes += 1
                    deadline = clock() + interval
                live.update(render(rows, prev, sort, reverse, limit), refresh=True)
                if iterations and refreshes >= iterations:
                    break
    except KeyboardInterrupt:
        pass  # Ctrl-C is how many people leave top: a clean exit, not an error
    return 0
