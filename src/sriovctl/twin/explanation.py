"""What the twin tells an operator: explanations of failures and warnings, and API errors.

An :class:`Explanation` is a senior operator's reading of one problem: which scenario
step, which host, which filter / pool / agent, what OpenStack itself would print
(``error``), why it happens (``cause``), what was read to say so (``evidence``) and the
fix. :class:`ApiError` is what an ``openstack`` command would fail with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Explanation:
    id: str  # stable, dotted: "nova.no-valid-host", "neutron.binding-failed"...
    severity: str  # error | warning | info
    cause: str
    fix: Optional[str] = None
    error: Optional[str] = None  # what nova/neutron/libvirt print, as they word it
    line: Optional[int] = None  # scenario line of the step; None for the deployment itself
    host: Optional[str] = None
    subject: Optional[str] = None  # the port, pool, agent, filter or VF concerned
    evidence: tuple[str, ...] = ()

    def at(self, line: Optional[int]) -> Explanation:
        """The same explanation, attributed to scenario line ``line``."""
        if self.line is not None:
            return self
        return Explanation(
            self.id,
            self.severity,
            self.cause,
            self.fix,
            self.error,
            line,
            self.host,
            self.subject,
            self.evidence,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": self.severity,
            "line": self.line,
            "host": self.host,
            "subject": self.subject,
            "error": self.error,
            "cause": self.cause,
            "evidence": list(self.evidence),
            "fix": self.fix,
        }


@dataclass
class ApiError(Exception):
    """An ``openstack`` command failing: the client's error line plus our explanations.

    ``exc``/``code`` are the exception class and HTTP status the client shows
    (``ConflictException: 409, No more IP addresses ...``) when they are known.
    """

    message: str
    exc: Optional[str] = None
    code: Optional[int] = None
    explanations: list[Explanation] = field(default_factory=list)
    compute: bool = False  # nova's answers read "<message> (HTTP <code>)" in the client

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @property
    def client_text(self) -> str:
        if self.compute and self.code:
            return f"{self.message} (HTTP {self.code})"
        if self.exc and self.code:
            return f"{self.exc}: {self.code}, {self.message}"
        return self.message


def not_found(kind: str, name: str) -> ApiError:
    """The client's answer when a name or id resolves to nothing."""
    return ApiError(f"No {kind} found for {name}")


def bad_request(message: str, explanations: Optional[list[Explanation]] = None) -> ApiError:
    return ApiError(message, "BadRequestException", 400, list(explanations or []))


def conflict(message: str, explanations: Optional[list[Explanation]] = None) -> ApiError:
    return ApiError(message, "ConflictException", 409, list(explanations or []))


def nova_error(
    message: str, code: int, explanations: Optional[list[Explanation]] = None
) -> ApiError:
    """An error of the compute API, as the client prints it."""
    return ApiError(message, None, code, list(explanations or []), compute=True)
