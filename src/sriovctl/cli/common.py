"""Options and helpers shared by commands that read a host."""

from __future__ import annotations

from typing import Callable

import click

ROOT_HELP = (
    "Read the host from this root: / (live, default), a snapshot directory, or a tarball "
    "made by `sriovctl snapshot`. Env: SRIOVCTL_ROOT."
)


def root_option(fn: Callable) -> Callable:
    return click.option(
        "--root", default="/", show_default=True, envvar="SRIOVCTL_ROOT", metavar="DIR|TARBALL",
        help=ROOT_HELP,
    )(fn)


def load(root: str):
    from sriovctl.host.read import load_host

    return load_host(root)
