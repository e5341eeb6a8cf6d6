"""Which file is which: read the files given to `lint`, assign each to the services that read it.

A deployment spreads SR-IOV over four services on two kinds of node; the operator hands
us a bag of files. A file's role comes from its sections (``[pci]`` is nova, ``[sriov_nic]``
the SR-IOV agent, ...) unless ``--role FILE=ROLE`` says otherwise. nova.conf is read by
both nova-compute (``[pci]``) and nova-scheduler (``[filter_scheduler]``): a nova file
with only one of those sections is taken to be that node's file, so a compute node's and
a controller's nova.conf can be linted side by side.

A file that does not parse becomes a finding (oslo.config's message, file:line), not an
exit: the other files are still linted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType

from sriovctl.checks.finding import Finding
from sriovctl.errors import InputError
from sriovctl.openstack.config import (
    ConfigFile,
    ConfigSet,
    normalize_section,
    parse_text,
    read_text,
)

# --role values -> the roles of config.classify (plus nova's two services).
ROLE_ALIASES = MappingProxyType({
    "nova": ("nova-compute", "nova-scheduler"),
    "nova-compute": ("nova-compute",),
    "nova-scheduler": ("nova-scheduler",),
    "neutron": ("neutron",),
    "ml2": ("ml2",), "neutron-server": ("ml2",),
    "sriov_agent": ("sriov_agent",), "sriov-agent": ("sriov_agent",),
    "ovs_agent": ("ovs_agent",), "ovs-agent": ("ovs_agent",),
    "linuxbridge_agent": ("linuxbridge_agent",), "linuxbridge-agent": ("linuxbridge_agent",),
})  # fmt: skip
_COMPUTE_OPTIONS = ("device_spec", "passthrough_whitelist", "alias")
_LOCATED = re.compile(r"^(?P<path>.*?):(?P<line>\d+): (?P<rest>.*)$", re.S)


@dataclass(frozen=True)
class LintFile:
    path: str
    roles: tuple[str, ...]  # nova-compute, nova-scheduler, neutron, ml2, sriov_agent, ...
    parsed: ConfigFile | None
    last_line: int  # where an option that is missing would be added

    def anchor(self, section: str | None = None) -> str:
        """file:line for a finding about something *missing*: the section header, or the end."""
        if self.parsed is not None and section is not None:
            line = self.parsed.section_lines.get(normalize_section(section))
            if line:
                return f"{self.path}:{line}"
        return f"{self.path}:{max(self.last_line, 1)}"


@dataclass(frozen=True)
class LintInputs:
    files: tuple[LintFile, ...]
    findings: tuple[Finding, ...] = field(default=())

    def with_role(self, role: str) -> tuple[LintFile, ...]:
        return tuple(f for f in self.files if role in f.roles and f.parsed is not None)

    def config(self, *roles: str) -> ConfigSet:
        """The files any of ``roles`` reads, in the order given on the command line."""
        return ConfigSet(tuple(
            f.parsed for f in self.files
            if f.parsed is not None and set(roles) & set(f.roles)
        ))  # fmt: skip

    def file(self, path: str) -> LintFile:
        return next(f for f in self.files if f.path == path)


def parse_roles(pairs: tuple[str, ...] | list[str]) -> dict[str, tuple[str, ...]]:
    """``FILE=ROLE`` options -> {file: roles}; InputError for an unknown role."""
    roles: dict[str, tuple[str, ...]] = {}
    for pair in pairs:
        path, sep, role = pair.rpartition("=")
        if not sep or not path or role not in ROLE_ALIASES:
            raise InputError(
                f"--role {pair!r}: expected FILE=ROLE",
                fix="ROLE is one of: " + ", ".join(ROLE_ALIASES),
            )
        roles[path] = roles.get(path, ()) + ROLE_ALIASES[role]
    return roles


def _auto_roles(parsed: ConfigFile) -> tuple[str, ...]:
    roles: list[str] = []
    for role in parsed.roles:
        if role != "nova":
            roles.append(role)
            continue
        compute = any(parsed.get("pci", o) for o in _COMPUTE_OPTIONS) or any(
            parsed.get("DEFAULT", o) for o in ("pci_passthrough_whitelist", "pci_alias"))
        scheduler = "filter_scheduler" in parsed.sections or any(
            parsed.get("DEFAULT", o)
            for o in ("scheduler_default_filters", "scheduler_available_filters"))
        if compute == scheduler:  # both or neither: an all-in-one nova.conf
            roles += ["nova-compute", "nova-scheduler"]
        else:
            roles.append("nova-compute" if compute else "nova-scheduler")
    return tuple(roles) or ("unknown",)


def read_inputs(paths: list[str], roles: dict[str, tuple[str, ...]] | None = None) -> LintInputs:
    """Read every file; unreadable ones raise InputError, unparsable ones become findings."""
    roles = roles or {}
    unknown = [p for p in roles if p not in paths]
    if unknown:
        raise InputError(f"--role names {unknown[0]}, which is not among the files",
                         fix="give the file as an argument too")
    files, findings = [], []
    for path in paths:
        text = read_text(path)
        last = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
        try:
            parsed = parse_text(path, text, None)
        except InputError as e:
            findings.append(_parse_finding(path, e))
            files.append(LintFile(path, roles.get(path, ("unknown",)), None, last))
            continue
        given = roles.get(path) or _auto_roles(parsed)
        files.append(LintFile(path, given, parsed, last))
        if given == ("unknown",):
            findings.append(Finding(
                "file.role-unknown", "warning", f"{path}:1",
                "no nova, ml2, SR-IOV agent or OVS agent section recognised; file not linted",
                (f"sections: {', '.join(sorted(parsed.sections)) or '(none)'}",),
                f"name its role: --role {path}=nova|ml2|sriov_agent|ovs_agent|neutron",
            ))
    return LintInputs(tuple(files), tuple(findings))


def _parse_finding(path: str, error: InputError) -> Finding:
    m = _LOCATED.match(error.message)
    where, text = (f"{path}:{m.group('line')}", m.group("rest")) if m else (f"{path}:1",
                                                                           error.message)
    return Finding("file.syntax", "error", where,
                   f"oslo.config cannot parse the file: {text}; the service will not start",
                   (), error.fix)
