"""A scenario: ``openstack`` command lines, as an operator types them (the guide's §7).

Accepted, as a shell would read them: blank lines and ``#`` comments, a trailing ``\\``
continuing a line, quotes (``shlex``), ``VAR=value`` / ``export VAR=value``, and
``VAR=$(openstack ...)`` whose output (``-f value``) later lines use as ``$VAR`` or
``${VAR}``. Nothing is ever run by a shell: the twin interprets each line itself.

The whole file is parsed before anything is simulated, and any problem (an unknown
command, an unknown option, a missing value) is an InputError naming the file and line.
"""

from __future__ import annotations

import difflib
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from sriovctl.errors import InputError
from sriovctl.twin.grammar import CommandSpec, known_commands, lookup

_ASSIGN = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
# Options of the openstack client itself, before the command words; they select a cloud,
# which the twin does not need.
_GLOBAL_FLAGS = frozenset({"--insecure", "--debug", "-v", "--verbose", "-q", "--quiet"})


@dataclass(frozen=True)
class Command:
    """One parsed ``openstack`` command: its spec, option values by dest, positionals."""

    spec: CommandSpec
    options: Mapping[str, Any]
    args: tuple[str, ...]
    ignored: tuple[str, ...] = ()  # options given that the twin records but does not model

    def get(self, dest: str, default: Any = None) -> Any:
        return self.options.get(dest, default)


@dataclass(frozen=True)
class Step:
    """One scenario line (continuations joined): a command, an assignment, or both."""

    line: int
    text: str
    command: Optional[Command] = None
    assign: Optional[str] = None  # the variable set by VAR=... / VAR=$(...)
    value: Optional[str] = None  # the text of a plain VAR=value


@dataclass(frozen=True)
class Scenario:
    path: str
    steps: tuple[Step, ...] = field(default_factory=tuple)


def read_scenario(path: str) -> Scenario:
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise InputError(f"scenario {path}: no such file", "check the path") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"scenario {path}: {e}", "pass a UTF-8 text file") from None
    return parse_scenario(text, path)


def parse_scenario(text: str, path: str = "<scenario>") -> Scenario:
    steps = tuple(_parse_line(path, n, t) for n, t in logical_lines(text))
    assigned: set[str] = set()
    for step in steps:
        for name in _variables_used(step):
            if name not in assigned:
                raise _error(
                    path,
                    step.line,
                    f"${name} is used but no earlier line sets it",
                    f"set it first: {name}=$(openstack port show NAME -c id -f value)",
                )
        if step.assign:
            assigned.add(step.assign)
    return Scenario(path, steps)


def _variables_used(step: Step) -> list[str]:
    texts: list[str] = [step.value or ""]
    if step.command:
        texts += list(step.command.args)
        for value in step.command.options.values():
            texts += value if isinstance(value, list) else [value] if isinstance(value, str) else []
    return [m.group(1) or m.group(2) for t in texts for m in _VAR.finditer(t)]


def logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, text) of each non-blank, non-comment line, continuations joined."""
    out: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not pending:
            start = number
            if not line.strip() or line.lstrip().startswith("#"):
                continue
        if line.endswith("\\"):
            pending.append(line[:-1])
            continue
        pending.append(line)
        out.append((start, " ".join(p.strip() for p in pending).strip()))
        pending = []
    if pending:
        out.append((start, " ".join(p.strip() for p in pending).strip()))
    return out


def _error(path: str, line: int, message: str, fix: str) -> InputError:
    return InputError(f"{path}:{line}: {message}", fix)


def _parse_line(path: str, line: int, text: str) -> Step:
    match = _ASSIGN.match(text)
    if match:
        name, rhs = match.group(1), match.group(2).strip()
        if rhs.startswith("$(") and rhs.endswith(")"):
            command = _parse_command(path, line, rhs[2:-1].strip())
            return Step(line, text, command, assign=name)
        if "$(" in rhs:
            raise _error(
                path,
                line,
                "command substitution must be the whole value",
                "write VAR=$(openstack ... -f value) on its own line",
            )
        words = _split(path, line, rhs) if rhs else [""]
        if len(words) != 1:
            raise _error(path, line, f"{name}= takes one word", "quote the value")
        return Step(line, text, assign=name, value=words[0])
    if "$(" in text:
        raise _error(
            path,
            line,
            "command substitution is only understood as VAR=$(...)",
            "set a variable first: port_id=$(openstack port show NAME -c id -f value)",
        )
    return Step(line, text, _parse_command(path, line, text))


def _split(path: str, line: int, text: str) -> list[str]:
    try:
        return shlex.split(text, posix=True)
    except ValueError as e:
        raise _error(path, line, f"cannot split the line: {e}", "close the quote") from None


def _parse_command(path: str, line: int, text: str) -> Command:
    tokens = _split(path, line, text)
    if not tokens or tokens[0] != "openstack":
        first = tokens[0] if tokens else ""
        raise _error(
            path,
            line,
            f"not an openstack command: {first!r}",
            "a scenario holds `openstack ...` lines (and VAR=$(openstack ...))",
        )
    tokens = _skip_global_options(tokens[1:])
    words = [
        t
        for t in tokens[: next((i for i, t in enumerate(tokens) if t.startswith("-")), len(tokens))]
    ]
    spec = lookup(words)
    if spec is None:
        guess = difflib.get_close_matches("openstack " + " ".join(words[:3]), known_commands())
        raise _error(
            path,
            line,
            f"unknown command: openstack {' '.join(words[:3])}",
            f"did you mean {guess[0]}?" if guess else "known: " + ", ".join(known_commands()),
        )
    return _parse_options(path, line, spec, tokens[len(spec.words) :])


def _skip_global_options(tokens: list[str]) -> list[str]:
    i = 0
    while i < len(tokens) and tokens[i].startswith("-"):
        tok = tokens[i]
        if tok in _GLOBAL_FLAGS or (tok.startswith("--os-") and "=" in tok):
            i += 1
        elif tok.startswith("--os-"):
            i += 2
        else:
            break
    return tokens[i:]


def _parse_options(path: str, line: int, spec: CommandSpec, tokens: list[str]) -> Command:
    values: dict[str, Any] = dict(spec.defaults)
    given: set[str] = set()
    ignored: list[str] = []
    args: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        if not tok.startswith("-") or tok == "-":
            args.append(tok)
            continue
        name, inline = (tok.split("=", 1) + [None])[:2] if tok.startswith("--") else (tok, None)
        if not tok.startswith("--") and len(tok) > 2 and tok[:2] in spec.options:
            name, inline = tok[:2], tok[2:]  # -cid, -fvalue as argparse allows
        opt = spec.options.get(name)
        if opt is None:
            guess = difflib.get_close_matches(name, list(spec.options), n=1)
            raise _error(
                path,
                line,
                f"unknown option {name} for `{spec.name}`",
                f"did you mean {guess[0]}?"
                if guess
                else "options: " + ", ".join(sorted(spec.options))
                if spec.options
                else f"`{spec.name}` takes no options",
            )
        given.add(name)
        if opt.ignored:
            ignored.append(name)
        if not opt.takes_value:
            if inline is not None:
                raise _error(path, line, f"{name} takes no value", f"write {name} alone")
            values[opt.dest] = opt.const
            continue
        if inline is None:
            if i >= len(tokens):
                raise _error(path, line, f"{name} expects a value", f"write {name} <value>")
            inline = tokens[i]
            i += 1
        if opt.choices and inline not in opt.choices and "$" not in inline:
            raise _error(
                path,
                line,
                f"{name}: invalid choice {inline!r}",
                "choose from " + ", ".join(opt.choices),
            )
        if opt.repeat:
            values.setdefault(opt.dest, []).append(inline)
        else:
            values[opt.dest] = inline
    _check_arity(path, line, spec, args)
    for requirement in spec.required:
        if not given & set(requirement.split("|")):
            raise _error(
                path,
                line,
                f"`{spec.name}` needs {requirement.replace('|', ' or ')}",
                f"usage: {spec.name} {requirement.split('|')[0]} ... {spec.metavar}",
            )
    return Command(spec, values, tuple(args), tuple(ignored))


def _check_arity(path: str, line: int, spec: CommandSpec, args: list[str]) -> None:
    low, high = spec.positionals
    if len(args) < low:
        raise _error(
            path,
            line,
            f"`{spec.name}` needs {spec.metavar}",
            f"usage: {spec.name} [options] {spec.metavar}",
        )
    if high is not None and len(args) > high:
        extra = " ".join(args[high:])
        raise _error(
            path,
            line,
            f"unexpected argument(s) {extra!r} for `{spec.name}`",
            f"usage: {spec.name} [options] {spec.metavar}; quote values with blanks",
        )


def substitute(value: Any, variables: Mapping[str, str]) -> Any:
    """Replace ``$VAR`` / ``${VAR}`` in a value (or each item of a list)."""
    if isinstance(value, list):
        return [substitute(v, variables) for v in value]
    if not isinstance(value, str) or "$" not in value:
        return value

    def repl(m: re.Match) -> str:
        # parse_scenario made sure an earlier line assigns it; a failed $(...) leaves it
        # empty, as a shell would.
        return variables.get(m.group(1) or m.group(2), "")

    return _VAR.sub(repl, value)
