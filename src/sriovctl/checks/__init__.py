"""The readiness doctor: checks are pure functions Host -> findings; they never print."""

from __future__ import annotations

from sriovctl.checks.finding import Finding, Scope, summarize
from sriovctl.checks.run import run_checks

__all__ = ["Finding", "Scope", "run_checks", "summarize"]
