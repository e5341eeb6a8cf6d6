"""`openstack apply`: merge the rendered settings into the operator's files, safely.

Each file is edited as text (:mod:`sriovctl.openstack.edit`), re-parsed with oslo.config
to prove the result still reads, and written through the change executor's atomic
writer (temp file + rename, backup ``<file>.sriovctl.bak``, mode and owner kept). All
files go in one plan: if one write fails, the ones already written are put back.
"""

from __future__ import annotations

import difflib
import os
from typing import Callable

from sriovctl.errors import InputError
from sriovctl.openstack.config import parse_text
from sriovctl.openstack.edit import apply_edits
from sriovctl.openstack.lint.inputs import parse_roles, read_inputs
from sriovctl.openstack.releases import Release
from sriovctl.openstack.render import (
    distro_family,
    parse_physnets,
    plan,
    resolve,
    restart_commands,
)
from sriovctl.openstack.secrets import redact_line


def redacted_diff(path: str, old: str, new: str) -> str:
    """A unified diff whose context lines cannot leak a secret (transport_url next door)."""
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), f"{path}",
                                 f"{path} (new)", lineterm="")
    out = []
    for line in lines:
        if line[:1] in "+- " and not line.startswith(("+++", "---")):
            line = line[0] + redact_line(line[1:])
        out.append(line)
    return "\n".join(out)


def new_texts(files: list[str], *, physnets, release: Release, fdb: bool, network_type: str,
              match: str, root: str, roles=()) -> list[tuple[str, str, str, list[str]]]:
    """(path, old text, new text, services reading it) per file; nothing is written."""
    inputs = read_inputs(files, parse_roles(roles))
    if inputs.findings:
        f = inputs.findings[0]
        raise InputError(f"{f.subject}: {f.message}", fix=f.fix or "fix the file, then apply")
    wanted = {r for f in inputs.files for r in f.roles}
    host = None
    if "nova-compute" in wanted:
        from sriovctl.host.read import load_host

        host = load_host(root)
    pfs = resolve(parse_physnets(physnets), host)
    frags = plan(pfs, release, fdb=fdb, network_type=network_type, match=match,
                 roles=tuple(wanted))
    out = []
    for f in inputs.files:
        mine = [fr for fr in frags if fr.role in f.roles]
        with open(f.path, encoding="utf-8") as fh:
            old = fh.read()
        new = apply_edits(old, [e for fr in mine for e in fr.edits])
        parse_text(f.path, new)  # raises if our edit broke the syntax: never write that
        out.append((f.path, old, new, [fr.service for fr in mine]))
    return out


def apply_files(files: list[str], *, physnets, release: Release, fdb: bool, network_type: str,
                match: str, root: str, roles=(), show_diff: bool = False,
                dry_run: bool = False, say: Callable[[str], None] = print) -> int:
    from sriovctl.changes.executor import execute
    from sriovctl.changes.files import AtomicFiles, WriteFile
    from sriovctl.changes.step import Plan

    results = new_texts(files, physnets=physnets, release=release, fdb=fdb,
                        network_type=network_type, match=match, root=root, roles=roles)
    writer = AtomicFiles("/")
    changes = Plan("openstack apply")
    services: list[str] = []
    for path, old, new, svc in results:
        if old == new:
            say(f"{path}: already up to date" if svc else
                f"{path}: nothing SR-IOV to change here (role not recognised? use --role)")
            continue
        services += svc
        changed = sum(1 for line in difflib.ndiff(old.splitlines(), new.splitlines())
                      if line[:1] in "+-")
        say(f"{path}: {'would change' if dry_run else 'changing'} {changed} lines")
        if show_diff:
            say(redacted_diff(path, old, new))
        # absolute: the writer makes its temp file in the file's directory
        changes.add(WriteFile(writer, os.path.abspath(path), new, why="SR-IOV settings"))
    if changes.steps and not dry_run:
        execute(changes, say=lambda line: say(f"  {line}"))
        say("backups: " + ", ".join(f"{p}.sriovctl.bak" for p, o, n, _ in results if o != n))
    if services:
        verb = "would need" if dry_run else "restart"
        say(f"{verb} these services (each on the node that runs it):")
        for command in restart_commands(services, distro_family(root)):
            say(f"  {command}")
    return 0
