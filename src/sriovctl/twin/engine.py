"""Running a scenario: each step's command against the cloud, variables, and the report.

A failing command does not stop the run, as a shell without ``set -e`` would carry on;
a ``VAR=$(...)`` whose command fails leaves VAR empty, and the next step says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Callable, Optional

from sriovctl.twin import commands_neutron as cn
from sriovctl.twin import commands_nova as cv
from sriovctl.twin import commands_ports as cp
from sriovctl.twin.cloud import Cloud
from sriovctl.twin.deployment import Deployment
from sriovctl.twin.explanation import ApiError, Explanation
from sriovctl.twin.scenario import Command, Scenario, Step, substitute

Handler = Callable[[Cloud, Command, int], tuple[Any, list[Explanation]]]
HANDLERS: Mapping[tuple[str, ...], Handler] = MappingProxyType(
    {
        ("network", "agent", "list"): cn.agent_list,
        ("network", "agent", "show"): cn.agent_show,
        ("network", "agent", "set"): cn.agent_set,
        ("network", "create"): cn.network_create,
        ("network", "show"): cn.network_show,
        ("network", "list"): cn.network_list,
        ("network", "delete"): cn.network_delete,
        ("subnet", "create"): cn.subnet_create,
        ("subnet", "show"): cn.subnet_show,
        ("subnet", "list"): cn.subnet_list,
        ("subnet", "delete"): cn.subnet_delete,
        ("port", "create"): cp.port_create,
        ("port", "show"): cp.port_show,
        ("port", "list"): cp.port_list,
        ("port", "set"): cp.port_set,
        ("port", "delete"): cp.port_delete,
        ("flavor", "create"): cv.flavor_create,
        ("flavor", "set"): cv.flavor_set,
        ("flavor", "show"): cv.flavor_show,
        ("flavor", "list"): cv.flavor_list,
        ("server", "create"): cv.server_create,
        ("server", "add", "port"): cv.server_add_port,
        ("server", "remove", "port"): cv.server_remove_port,
        ("server", "delete"): cv.server_delete,
        ("server", "show"): cv.server_show,
        ("server", "list"): cv.server_list,
    }
)


@dataclass
class StepResult:
    line: int
    text: str
    ok: bool = True
    record: Optional[dict] = None  # a `show`/`create` answer
    columns: Optional[list[str]] = None  # a `list` answer: columns and rows
    rows: Optional[list[dict]] = None
    error: Optional[str] = None  # what the client prints on failure
    explanations: list[Explanation] = field(default_factory=list)
    ignored: tuple[str, ...] = ()
    assigned: Optional[tuple[str, str]] = None  # (variable, value) of VAR=...

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"line": self.line, "command": self.text, "ok": self.ok}
        if self.record is not None:
            out["output"] = self.record
        if self.rows is not None:
            out["output"] = self.rows
        if self.error:
            out["error"] = self.error
        if self.assigned:
            out["assigned"] = {self.assigned[0]: self.assigned[1]}
        if self.ignored:
            out["ignored_options"] = list(self.ignored)
        out["explanations"] = [e.to_dict() for e in self.explanations]
        return out


@dataclass
class Report:
    setup: list[Explanation]
    steps: list[StepResult]
    ports: list[dict] = field(default_factory=list)
    capacity: Optional[list[dict]] = None

    @property
    def explanations(self) -> list[Explanation]:
        return list(self.setup) + [e for s in self.steps for e in s.explanations]

    @property
    def failed(self) -> bool:
        return any(not s.ok for s in self.steps) or any(
            e.severity == "error" for e in self.explanations
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "setup": [e.to_dict() for e in self.setup],
            "steps": [s.to_dict() for s in self.steps],
            "ports": self.ports,
        }
        if self.capacity is not None:
            out["capacity"] = self.capacity
        return out


def value_text(result: StepResult, columns: Sequence[str]) -> str:
    """What ``-f value`` prints: one value per line for a record, a line per row for a list."""
    if result.record is not None:
        return "\n".join(_value(result.record.get(c)) for c in columns or result.record)
    lines = []
    for row in result.rows or []:
        lines.append(" ".join(_value(row.get(c)) for c in columns or result.columns or []))
    return "\n".join(lines)


def _value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return ", ".join(f"{k}='{v}'" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(_value(v) for v in value)
    return str(value)


class Twin:
    def __init__(self, deployment: Deployment, cloud: Optional[Cloud] = None):
        self.deployment = deployment
        self.cloud = cloud or Cloud(deployment)
        self.variables: dict[str, str] = {}

    def run(self, scenario: Scenario) -> Report:
        steps = [self.run_step(step) for step in scenario.steps]
        from sriovctl.twin.outcome import port_outcome

        ports = [port_outcome(self.cloud, p) for p in self.cloud.neutron.ports.values() if p.sriov]
        return Report(list(self.deployment.notes), steps, ports)

    def run_step(self, step: Step) -> StepResult:
        result = StepResult(step.line, step.text)
        if step.command is None:
            value = substitute(step.value or "", self.variables)
            self.variables[step.assign or ""] = value
            result.assigned = (step.assign or "", value)
            return result
        cmd = step.command
        cmd = replace(
            cmd,
            options={k: substitute(v, self.variables) for k, v in cmd.options.items()},
            args=tuple(substitute(list(cmd.args), self.variables)),
        )
        result.ignored = cmd.ignored
        try:
            answer, result.explanations = HANDLERS[cmd.spec.words](self.cloud, cmd, step.line)
            if isinstance(answer, tuple):
                result.columns, result.rows = answer
            elif answer is not None:
                result.record = answer
            self._select_columns(result, cmd.get("columns") or [])
        except ApiError as e:
            result.ok = False
            result.error = e.client_text
            result.explanations = [x.at(step.line) for x in e.explanations]
        result.explanations = [x.at(step.line) for x in result.explanations]
        if step.assign:
            text = value_text(result, cmd.get("columns") or []) if result.ok else ""
            self.variables[step.assign] = text
            result.assigned = (step.assign, text)
        elif result.ok and _server_failed(result):
            result.ok = False
            result.error = result.record.get("fault") if result.record else None
        return result

    @staticmethod
    def _select_columns(result: StepResult, wanted: list[str]) -> None:
        if not wanted:
            return
        known = list(result.record) if result.record is not None else list(result.columns or [])
        if not any(c in known for c in wanted):
            raise ApiError(
                f"No recognized column names in {wanted!r}. Recognized columns "
                f"are {tuple(known)!r}."
            )
        keep = [c for c in wanted if c in known]
        if result.record is not None:
            result.record = {c: result.record[c] for c in keep}
        else:
            result.columns = keep


def _server_failed(result: StepResult) -> bool:
    return bool(result.record and result.record.get("status") == "ERROR")
