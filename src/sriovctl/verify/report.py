"""The smoke test's report: one row per step, with the twin's prediction where there is one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

#: ``fail`` makes the run fail; ``warn`` is shown but does not.
STATUSES = ("ok", "fail", "warn", "info", "skip")


@dataclass(frozen=True)
class Step:
    step: str
    status: str
    detail: str
    predicted: Optional[str] = None
    observed: Optional[str] = None
    agrees: Optional[bool] = None

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "status": self.status, "detail": self.detail,
                "predicted": self.predicted, "observed": self.observed, "agrees": self.agrees}


@dataclass
class Report:
    cloud: str
    dry_run: bool = False
    steps: list[Step] = field(default_factory=list)
    created: list[str] = field(default_factory=list)  # "kind/id", in creation order
    leftovers: list[str] = field(default_factory=list)  # what cleanup could not delete

    def add(self, step: str, status: str, detail: str, **compare: Any) -> Step:
        row = Step(step, status, detail, **compare)
        self.steps.append(row)
        return row

    @property
    def ok(self) -> bool:
        return not self.leftovers and all(s.status != "fail" for s in self.steps)

    @property
    def disagreements(self) -> list[Step]:
        return [s for s in self.steps if s.agrees is False]

    def to_dict(self) -> dict[str, Any]:
        return {"cloud": self.cloud, "dry_run": self.dry_run, "ok": self.ok,
                "steps": [s.to_dict() for s in self.steps], "created": list(self.created),
                "leftovers": list(self.leftovers)}
