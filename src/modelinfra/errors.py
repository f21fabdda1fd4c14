"""Everything that can go wrong in modelinfra, and the exit code each maps to.

::

    ModelinfraError                   exit 1   base of every expected failure; never a traceback
    ├── SpecError                     exit 1   invalid input; carries one Problem per defect
    ├── StateError                    exit 1   unreadable/corrupt/incompatible state file
    │   └── LockHeldError             exit 1   another writer holds the state lock
    ├── PlanError                     exit 1   a plan cannot be made or applied as asked
    │   ├── StalePlanError            exit 1   saved plan no longer matches state or spec
    │   └── PreventDestroyError       exit 1   plan would delete/replace a prevent_destroy resource
    ├── ProviderError                 exit 1   a cloud call failed
    │   ├── RetryableError                     throttling / eventual consistency; retried first
    │   └── TerminalError                      will not succeed by retrying
    ├── ApplyError                    exit 1   some actions failed; the rest were persisted
    └── AbortedError                  exit 1   the user declined or no TTY to ask

Exit code 2 is not an error: it means "changes present" (``plan --detailed-exitcode``, ``drift``).
Anything that is not a ``ModelinfraError`` is a bug and is reported as such by the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One defect in the user's input, located in a file.

    Rendered as ``file:line:col: path: message`` (1-based line and column).
    """

    file: str
    line: int
    col: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ModelinfraError(Exception):
    """Base of every expected failure. ``exit_code`` is what the CLI exits with."""

    exit_code = 1


class SpecError(ModelinfraError):
    """The spec (or variables) is invalid. ``problems`` lists every defect found, sorted."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


class StateError(ModelinfraError):
    """The state file cannot be read or written."""


class LockHeldError(StateError):
    """Another process holds the state lock."""


class PlanError(ModelinfraError):
    """A plan cannot be made or applied as asked."""


class StalePlanError(PlanError):
    """The saved plan was made against a state or spec that has since moved."""


class PreventDestroyError(PlanError):
    """The plan would delete or replace a resource with ``lifecycle.prevent_destroy``."""


class ProviderError(ModelinfraError):
    """A cloud call failed. ``code`` is the service's error code when there is one."""

    def __init__(self, message: str, *, code: str | None = None):
        self.code = code
        super().__init__(message)


class RetryableError(ProviderError):
    """Throttling or eventual consistency; worth retrying after ``retry_after`` seconds."""

    def __init__(self, message: str, *, code: str | None = None, retry_after: float | None = None):
        self.retry_after = retry_after
        super().__init__(message, code=code)


class TerminalError(ProviderError):
    """A cloud call that will not succeed by retrying (bad request, conflict, forbidden...)."""


class ApplyError(ModelinfraError):
    """Some actions of an apply failed. ``failures`` maps address -> root-cause message."""

    def __init__(self, failures: dict[str, str]):
        self.failures = failures
        lines = [f"{addr}: {msg}" for addr, msg in sorted(failures.items())]
        super().__init__("apply failed:\n  " + "\n  ".join(lines))


class AbortedError(ModelinfraError):
    """The user declined the plan, or there was no terminal to ask and no --auto-approve."""
