"""Problems met while reading the host (garbage values, dangling links, non-UTF-8 bytes)."""

from __future__ import annotations

from sriovctl.checks.finding import Finding, Scope
from sriovctl.host.model import Host


def check_read_problems(host: Host, scope: Scope) -> list[Finding]:
    if not host.problems:
        return []
    shown = host.problems[:20]
    more = len(host.problems) - len(shown)
    return [Finding(
        "input.unreadable", "warning", host.label,
        f"{len(host.problems)} values could not be understood; affected facts are unknown"
        + (f" ({more} more not shown)" if more else ""),
        tuple(f"{path}: {what}" for path, what in shown),
        "take the snapshot again with `sriovctl snapshot` as root on the host",
    )]
