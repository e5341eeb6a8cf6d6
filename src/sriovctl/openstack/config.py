"""OpenStack config files read with oslo.config's own ini parser, every value with file:line.

nova and neutron read ``--config-file`` files in order, then each ``--config-dir``'s
``*.conf`` files in sorted order; for a single-valued option the last file wins and,
within a file, the last occurrence; a multi-valued option (``MultiStrOpt``, e.g.
``[pci] device_spec``) collects every occurrence of every file in order. Parsing uses
``oslo_config.cfg.ConfigParser`` itself, so continuation lines, quotes, ``:`` as
separator and "no inline comments" behave exactly as in the services.

The model is plain frozen data: :class:`ConfigSet` (what one service reads) of
:class:`ConfigFile` of :class:`Value` (one assignment: value, file, line). Secret values
are masked while reading (see :mod:`sriovctl.openstack.secrets`); the clear text is
never stored. Typed views of the SR-IOV options are in
:mod:`sriovctl.openstack.nova_view` and :mod:`sriovctl.openstack.neutron.config_views`.
"""

from __future__ import annotations

import errno
import glob
import io
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Optional

from sriovctl.errors import InputError
from sriovctl.openstack.secrets import redact_line, redact_value

#: (section, option) pairs; ``None`` for the section means ``DEFAULT``.
OptName = tuple[str, str]

# Section markers of each file role, strongest first. A file may have several roles.
_ROLE_MARKERS = (
    ("sriov_agent", {"sriov_nic"}),
    ("ml2", {"ml2", "ml2_type_vlan", "ml2_type_flat", "ml2_type_vxlan", "ml2_type_geneve",
             "ml2_type_gre", "sriov_driver"}),
    ("ovs_agent", {"ovs"}),
    ("linuxbridge_agent", {"linux_bridge"}),
    ("nova", {"pci", "filter_scheduler", "libvirt", "api_database", "compute", "vnc",
              "placement_database"}),
)  # fmt: skip
ROLES = ("nova", "neutron", "ml2", "sriov_agent", "ovs_agent", "linuxbridge_agent", "unknown")


@dataclass(frozen=True)
class Value:
    """One assignment as written: ``value`` (masked if secret), where, under which names."""

    value: str
    file: str
    line: int
    section: str
    option: str
    redacted: bool = False

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def name(self) -> str:
        """``[section] option`` as written."""
        return f"[{self.section}] {self.option}"


@dataclass(frozen=True)
class ConfigFile:
    """One parsed file; ``sections`` are keyed by oslo.config's normalized section name."""

    path: str
    roles: tuple[str, ...]
    sections: Mapping[str, Mapping[str, tuple[Value, ...]]]
    section_lines: Mapping[str, int]

    def get(self, section: str, option: str) -> tuple[Value, ...]:
        return self.sections.get(normalize_section(section), {}).get(option, ())

    @property
    def role(self) -> str:
        return self.roles[0] if self.roles else "unknown"


@dataclass(frozen=True)
class ConfigSet:
    """The files one service reads, in the order it reads them."""

    files: tuple[ConfigFile, ...]

    def values(self, name: OptName, deprecated: Sequence[OptName] = ()) -> tuple[Value, ...]:
        """Every occurrence, in oslo.config's MultiStrOpt order.

        Files in read order; within one file, occurrences under deprecated names come
        before those under the current name (oslo.config prepends them).
        """
        collected: list[Value] = []
        for f in self.files:
            in_file: list[Value] = []
            for section, option in (name, *deprecated):
                in_file = list(f.get(section, option)) + in_file
            collected += in_file
        return tuple(collected)

    def effective(self, name: OptName, deprecated: Sequence[OptName] = ()) -> Optional[Value]:
        """The occurrence a single-valued option takes, or None (default applies).

        The last file that sets the option under any of its names wins; in it the
        current name beats deprecated ones, and the last occurrence wins.
        """
        for f in reversed(self.files):
            for section, option in (name, *deprecated):
                found = f.get(section, option)
                if found:
                    return found[-1]
        return None

    def with_role(self, role: str) -> ConfigSet:
        return ConfigSet(tuple(f for f in self.files if role in f.roles))

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(f.path for f in self.files)


@dataclass(frozen=True)
class ConfigSource:
    """``--config-file`` (``kind='file'``) or ``--config-dir`` (``kind='dir'``); ``role`` forced."""

    path: str
    kind: str = "file"
    role: Optional[str] = None


def normalize_section(section: Optional[str]) -> str:
    """oslo.config: section names are case-insensitive, except ``DEFAULT`` itself."""
    if section is None or section == "DEFAULT":
        return "DEFAULT"
    return section.lower()


def classify(sections: Iterable[str], default_options: Iterable[str] = ()) -> tuple[str, ...]:
    """The roles a file plays, judged by its sections (and a few ``[DEFAULT]`` options)."""
    present = {normalize_section(s) for s in sections}
    roles = [role for role, markers in _ROLE_MARKERS if present & markers]
    if "fdb" in present and not roles:
        roles.append("ovs_agent")  # the FDB extension only runs in the OVS agent today
    options = set(default_options)
    if options & {"core_plugin", "service_plugins"} or "nova" in present:
        roles.append("neutron")
    if options & {"compute_driver", "enabled_apis", "instances_path"} and "nova" not in roles:
        roles.append("nova")
    return tuple(roles) or ("unknown",)


def _input_error(message: str, fix: str) -> InputError:
    return InputError(message, fix=fix)


_PARSE_FIXES = MappingProxyType(
    {
        "No ':' or '=' found in assignment": "write option = value, or comment the line with #",
        "Key cannot be empty": "put the option name before '='",
        "Unexpected continuation line": "an indented line continues a value; unindent it",
        "Invalid section (must end with ])": "close the section header with ]",
        "Empty section name": "name the section, e.g. [DEFAULT]",
        "Section must be started before assignment": "add a section header such as [DEFAULT] above",
    }
)


def read_text(path: str) -> str:
    if os.path.isdir(path):
        raise _input_error(f"{path}: is a directory, not a config file", "pass it as a config dir")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        if e.errno == errno.ENOENT:
            raise _input_error(
                f"Failed to find some config files: {path}", "check the path"
            ) from None
        if e.errno == errno.EACCES:
            raise _input_error(
                f"Failed to open some config files: {path}", "run as a user who can read it"
            ) from None
        raise _input_error(f"{path}: {e.strerror}", "check the file") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise _input_error(
            f"{path}:{line}: {e}", "save the file as UTF-8 (OpenStack services read it so)"
        ) from None


def parse_text(path: str, text: str, role: Optional[str] = None) -> ConfigFile:
    """Parse ini ``text`` as oslo.config does; ``path`` is only used for provenance."""
    from oslo_config import cfg, iniparser  # noqa: PLC0415 - heavy; only when reading configs

    class Recorder(cfg.ConfigParser):
        def __init__(self) -> None:
            super().__init__(path, {})
            self.records: list[Value] = []
            self.starts: dict[str, int] = {}
            self.key_line = 0

        def _split_key_value(self, line: str):  # type: ignore[override]
            self.key_line = self.lineno  # the line an assignment starts on
            return super()._split_key_value(line)

        def new_section(self, section: str) -> None:
            super().new_section(section)
            self.starts.setdefault(normalize_section(section), self.lineno)

        def assignment(self, key: str, value: list[str]) -> None:
            if not self.section:
                # oslo reports the line that ended the assignment; the key's line is clearer.
                raise cfg.ParseError(
                    "Section must be started before assignment", self.key_line, None, path
                )
            shown, masked = redact_value(key, "\n".join(value))
            self.records.append(Value(shown, path, self.key_line, self.section, key, masked))

    parser = Recorder()
    lines = io.StringIO(text, newline=None).readlines()  # universal newlines, as open() does
    try:
        iniparser.BaseParser.parse(parser, lines)
    except iniparser.ParseError as e:
        quoted = f": {redact_line(e.line)!r}" if e.line else ""
        if e.line.startswith("\ufeff"):
            raise InputError(
                f"{path}:{e.lineno}: {e.msg}{quoted}", "remove the UTF-8 BOM"
            ) from None
        raise _input_error(
            f"{path}:{e.lineno}: {e.msg}{quoted}", _PARSE_FIXES.get(e.msg, "fix the ini syntax")
        ) from None
    sections: dict[str, dict[str, list[Value]]] = {name: {} for name in parser.starts}
    for record in parser.records:
        sections[normalize_section(record.section)].setdefault(record.option, []).append(record)
    frozen = MappingProxyType(
        {
            s: MappingProxyType({o: tuple(v) for o, v in opts.items()})
            for s, opts in sections.items()
        }
    )
    roles = (role,) if role else classify(sections, sections.get("DEFAULT", {}))
    return ConfigFile(path, roles, frozen, MappingProxyType(dict(parser.starts)))


def read_file(path: str, role: Optional[str] = None) -> ConfigFile:
    """Read and parse one config file; any problem is an InputError naming file:line."""
    return parse_text(path, read_text(path), role)


def dir_files(path: str) -> list[str]:
    """The files a ``--config-dir`` contributes: ``*.conf`` (no dotfiles), sorted by path."""
    if not os.path.exists(path):
        raise _input_error(f"Failed to read config file directory: {path}", "check the path")
    if not os.path.isdir(path):
        raise _input_error(f"{path}: is not a directory", "pass it as a config file")
    return sorted(glob.glob(os.path.join(glob.escape(path), "*.conf")))


def read_sources(sources: Iterable[ConfigSource]) -> ConfigSet:
    """Read ``--config-file``/``--config-dir`` sources in the order the service would."""
    files: list[ConfigFile] = []
    for source in sources:
        paths = dir_files(source.path) if source.kind == "dir" else [source.path]
        files += [read_file(p, source.role) for p in paths]
    return ConfigSet(tuple(files))


def read_config(
    files: Sequence[str] = (), dirs: Sequence[str] = (), role: Optional[str] = None
) -> ConfigSet:
    """The usual layout: main files first, then config dirs (``nova.conf.d``...)."""
    sources = [ConfigSource(p, "file", role) for p in files] + [
        ConfigSource(d, "dir", role) for d in dirs
    ]
    return read_sources(sources)


def sources_from_argv(argv: Sequence[str]) -> list[ConfigSource]:
    """``--config-file X`` / ``--config-dir=Y`` from a service's command line, in order."""
    sources, args = [], list(argv)
    while args:
        arg = args.pop(0)
        for flag, kind in (("--config-file", "file"), ("--config-dir", "dir")):
            if arg == flag and args:
                sources.append(ConfigSource(args.pop(0), kind))
            elif arg.startswith(flag + "="):
                sources.append(ConfigSource(arg.split("=", 1)[1], kind))
    return sources


# --- typed settings -------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """A single-valued option: parsed value (the default when unset) and where it came from.

    ``error`` holds the service's own complaint when the value does not parse (``value``
    is then None); ``note`` e.g. that a deprecated name was used.
    """

    name: str
    value: object
    source: Optional[Value] = None
    error: Optional[InputError] = None
    note: Optional[str] = None

    @property
    def is_default(self) -> bool:
        return self.source is None

    @property
    def where(self) -> Optional[str]:
        return self.source.where if self.source else None


@dataclass(frozen=True)
class MultiSetting:
    """A multi-valued option (MultiStrOpt): every occurrence; ``default`` when there is none."""

    name: str
    values: tuple[Value, ...]
    default: tuple[str, ...] = ()

    @property
    def strings(self) -> list[str]:
        return [v.value for v in self.values] if self.values else list(self.default)


@dataclass(frozen=True)
class Note:
    """Something worth telling the operator about a value, with its place."""

    where: str
    message: str


def _label(name: OptName) -> str:
    return f"[{name[0] or 'DEFAULT'}] {name[1]}"


def setting(
    cs: ConfigSet, name: OptName, parse=None, default=None, deprecated: Sequence[OptName] = ()
) -> Setting:
    """The effective value of a single-valued option, parsed by ``parse``.

    ``parse`` raises an InputError (neutron's NeutronError is one) for a bad value.
    """
    found = cs.effective(name, deprecated)
    if found is None:
        return Setting(_label(name), default)
    note = None
    if (normalize_section(found.section), found.option) != (normalize_section(name[0]), name[1]):
        note = f"{found.name} is a deprecated name of {_label(name)}"
    try:
        value = parse(found.value) if parse else found.value
    except InputError as e:
        return Setting(
            _label(name),
            None,
            found,
            InputError(f"{found.where}: {found.name}: {e.message}", e.fix),
            note,
        )
    return Setting(_label(name), value, found, None, note)


def multi_setting(
    cs: ConfigSet, name: OptName, default: Sequence[str] = (), deprecated: Sequence[OptName] = ()
) -> MultiSetting:
    return MultiSetting(_label(name), cs.values(name, deprecated), tuple(default))


# nova's view moved to its own module; these names stay importable from here.
_MOVED = ("nova_view", "NovaPciView", "NOVA_AVAILABLE_FILTERS", "NOVA_ENABLED_FILTERS")


def __getattr__(name: str):
    if name in _MOVED:
        from sriovctl.openstack import nova_view as module  # noqa: PLC0415 - avoids a cycle

        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
