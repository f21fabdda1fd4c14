"""Progress reporting: the engine and handlers talk to a ``Reporter``; the default does nothing.

The CLI passes a reporter that writes to stderr; tests and ``--json`` use ``NULL_REPORTER``.
Every method may be called from worker threads; implementations must be thread-safe.
"""

from __future__ import annotations


class Reporter:
    """No-op base. Subclasses override what they want to show."""

    def refresh_started(self, address: str) -> None: ...

    def refresh_done(self, address: str) -> None: ...

    def action_started(self, address: str, action: str) -> None: ...

    def action_done(self, address: str, action: str, error: str | None = None) -> None: ...

    def transfer(self, address: str, done_bytes: int, total_bytes: int) -> None:
        """Bytes of an upload so far; called repeatedly, possibly from several threads."""

    def warning(self, message: str) -> None: ...

    def info(self, message: str) -> None: ...


NULL_REPORTER = Reporter()
