"""Run a plan: apply and verify each step; on failure or interrupt, undo newest first.

SIGINT and SIGTERM are *deferred* while a plan runs: a sysfs write cannot be interrupted
half-way anyway, and a Python exception raised in the middle of a step would skip the very
bookkeeping that makes rollback possible. So the signal is noted, the current step (or the
current poll of a wait) finishes, and the executor rolls back and reports the state the
subject is really in. Signals during the rollback are noted and ignored: stopping a
rollback half-way is the one thing worse than either finishing or not starting it.
"""

from __future__ import annotations

import signal
import threading
from dataclasses import dataclass, field
from typing import Callable, Optional

from sriovctl.changes.step import Plan, Step
from sriovctl.errors import ChangeFailed

Say = Callable[[str], None]


def quiet(_: str) -> None:
    pass


class Interrupted(ChangeFailed):
    """The operator stopped the command; what it changed was rolled back. Exit 130."""

    exit_code = 130


class UndoFinding(ChangeFailed):
    """Raised by an undo that put everything back but learned something the operator needs
    (a service fails with the old files too): reported as a finding, not as an incomplete
    rollback."""


class InterruptGuard:
    """Defers SIGINT/SIGTERM while installed; steps that wait call `check()` between polls.

    The handler only takes note. It must not print: it runs between two bytecodes of
    whatever the main thread was doing, and if that was writing a progress line to stderr,
    a second write raises "reentrant call inside BufferedWriter" (seen in the lab, where it
    escaped the executor and left a PF with 0 VFs). The note is spoken at the next check().
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, say: Say = quiet):
        self.say = say
        self.received: Optional[str] = None
        self.ignored: list[str] = []  # signals that arrived during the rollback
        self.rolling_back = False
        self._announced = False
        self._previous: dict[int, object] = {}

    def __enter__(self) -> InterruptGuard:
        # signal handlers can only be set from the main thread; elsewhere (a test runner's
        # worker) the guard still works for explicit `interrupt()` calls.
        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                # a signal ignored at start stays ignored (a background job of a script,
                # nohup-style launchers): whoever started us chose not to deliver it
                if signal.getsignal(sig) is not signal.SIG_IGN:
                    self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
        self._previous.clear()

    def _handle(self, signum: int, _frame: object) -> None:
        self.interrupt(signal.Signals(signum).name)

    def interrupt(self, name: str = "SIGINT") -> None:
        """Note a signal (no I/O here: see the class docstring)."""
        if self.rolling_back:
            self.ignored.append(name)
        elif self.received is None:
            self.received = name

    def check(self) -> None:
        """Raise Interrupted if a signal arrived (called by the executor and by waits)."""
        if self.received is not None and not self.rolling_back:
            if not self._announced:
                self._announced = True
                self.say(f"{self.received} received: rolling back what this command changed")
            raise Interrupted(f"interrupted by {self.received}")


@dataclass
class Outcome:
    title: str
    done: list[str] = field(default_factory=list)


def execute(plan: Plan, say: Say = quiet, guard: Optional[InterruptGuard] = None) -> Outcome:
    """Apply the plan. Raises ChangeFailed (or Interrupted) after rolling back."""
    guard = guard or InterruptGuard(say)
    outcome = Outcome(plan.title)
    applied: list[Step] = []
    total = len(plan.steps)
    with guard:
        for number, step in enumerate(plan.steps, 1):
            try:
                guard.check()
            except Interrupted as stop:
                raise _rollback(plan, applied, guard, say, stop, step, started=False) from None
            try:
                applied.append(step)  # before apply(): a half-applied step is undone too
                say(f"[{number}/{total}] {step.describe()}")
                step.apply()
                step.verify()
            except BaseException as error:  # noqa: BLE001 - anything at all: roll back
                raise _rollback(plan, applied, guard, say, error, step, started=True) from None
            outcome.done.append(step.describe())
        if guard.received:
            # The signal came during the last step, which completed: the change is whole,
            # so keep it rather than undo a finished job.
            say(f"{guard.received} arrived after the last step had started; the change is "
                "complete, nothing rolled back")
    return outcome


def _rollback(plan: Plan, applied: list[Step], guard: InterruptGuard, say: Say,
              error: BaseException, failed: Step, started: bool) -> ChangeFailed:
    if isinstance(error, KeyboardInterrupt):  # no handler installed (not the main thread)
        error = Interrupted("interrupted by SIGINT")
    guard.rolling_back = True
    undone, stuck, findings = [], [], []
    for step in reversed(applied):
        try:
            step.undo()
            if step.changes:
                undone.append(step.describe())
        except UndoFinding as e:
            findings.append(e.message)
        except Exception as e:  # noqa: BLE001 - keep undoing the rest
            stuck.append(f"{step.describe()} ({_short(e)})")
    guard.rolling_back = False
    for name in guard.ignored:
        say(f"{name} received during the rollback: ignored, the rollback had to finish")
    if isinstance(error, Interrupted):
        where = "during" if started else "before"
        head = f"{error.message} {where} '{failed.describe()}'"
        fix = None
        kind: type[ChangeFailed] = Interrupted
    else:
        message, fix = failed.explain(error)
        if isinstance(error, ChangeFailed):
            message, fix = error.message, error.fix or fix
        head, kind = message, ChangeFailed
    parts = [head]
    if stuck:
        parts.append(f"rollback INCOMPLETE, could not undo: {'; '.join(stuck)}")
    elif undone:
        parts.append(f"rolled back {len(undone)} change(s)")
    else:
        parts.append("nothing had been changed")
    parts += findings
    if plan.state is not None:
        try:
            parts.append(f"now: {plan.state()}")
        except Exception as e:  # noqa: BLE001 - the report must still come out
            parts.append(f"state unknown ({_short(e)})")
    for line in undone:
        say(f"undone: {line}")
    return kind("; ".join(parts), fix=fix)


def _short(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return getattr(error, "message", None) or str(error) or type(error).__name__
