"""Steps and plans: the unit of change and an ordered list of them.

The contract every step keeps:
- `describe()` is one line a human can read in a dry-run, e.g. "enp1s0: sriov_numvfs 7 -> 0".
- `apply()` makes the change and raises on failure (an OSError from the kernel is fine:
  the executor turns it into a ChangeFailed with the step's explanation).
- `verify()` proves the change took effect; it raises ChangeFailed when it did not.
- `undo()` puts back what `apply()` changed. It is also called when `apply()` itself failed
  part-way (a netlink message that set the MAC and then failed on the VLAN), so it must
  compare before writing and be harmless when there is nothing to take back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional


class Step:
    changes = True  # False for steps that only wait or read: not counted as "rolled back"

    def describe(self) -> str:
        raise NotImplementedError

    def apply(self) -> None:
        raise NotImplementedError

    def verify(self) -> None:
        """Default: the step's apply() already proves itself (it raised or it worked)."""

    def undo(self) -> None:
        """Default: nothing to take back (reads, reloads, waits)."""

    def explain(self, error: BaseException) -> tuple[str, Optional[str]]:
        """(message, fix) for an error raised by this step; steps that know better override."""
        return f"{self.describe()}: {_error_text(error)}", None


def _error_text(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    message = getattr(error, "message", None)
    return message if isinstance(message, str) else str(error) or type(error).__name__


@dataclass
class Call(Step):
    """A step made of functions, for changes too small to deserve a class."""

    text: str
    do: Callable[[], None]
    check: Optional[Callable[[], None]] = None
    revert: Optional[Callable[[], None]] = None

    def describe(self) -> str:
        return self.text

    def apply(self) -> None:
        self.do()

    def verify(self) -> None:
        if self.check is not None:
            self.check()

    def undo(self) -> None:
        if self.revert is not None:
            self.revert()


@dataclass
class Plan:
    """What a command will change, in order. An empty plan means "nothing to do".

    notes are said to the operator whether or not steps run ("enp1s0 already has 7 VFs",
    "a reboot is needed"). state, when given, reports the subject's actual state after a
    failure or an interrupt, so the last line printed is the truth, not the intention.
    """

    title: str
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    state: Optional[Callable[[], str]] = None

    def add(self, step: Step) -> None:
        self.steps.append(step)

    def extend(self, other: Plan) -> None:
        self.steps.extend(other.steps)
        self.notes.extend(other.notes)

    def describe(self) -> list[str]:
        return [s.describe() for s in self.steps]

    def __bool__(self) -> bool:
        return bool(self.steps)
