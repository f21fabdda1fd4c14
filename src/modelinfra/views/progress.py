"""Progress on stderr (refresh, apply, uploads), one line per event; thread-safe."""

from __future__ import annotations

import threading
import time

from rich.console import Console

from modelinfra.reporting import Reporter
from modelinfra.views import console

_ING = {"create": "Creating", "update": "Modifying", "delete": "Destroying",
        "delete-then-create": "Replacing", "create-then-delete": "Replacing"}
_DONE = {"create": "Creation complete", "update": "Modifications complete", "delete": "Destruction complete",
         "delete-then-create": "Replacement complete", "create-then-delete": "Replacement complete"}


class ConsoleReporter(Reporter):
    def __init__(self, out: Console | None = None, show_refresh: bool = True):
        self.out = out or console.stderr()
        self.show_refresh = show_refresh
        self._lock = threading.Lock()
        self._started: dict[str, float] = {}
        self._transfer_step: dict[str, int] = {}

    def _line(self, text: str, style: str = "") -> None:
        with self._lock:
            self.out.print(text, style=style or None)

    def refresh_started(self, address: str) -> None:
        if self.show_refresh:
            self._line(f"{address}: Refreshing state...")

    def action_started(self, address: str, action: str) -> None:
        self._started[address] = time.monotonic()
        self._line(f"{address}: {_ING.get(action, action)}...")

    def action_done(self, address: str, action: str, error: str | None = None) -> None:
        took = time.monotonic() - self._started.pop(address, time.monotonic())
        if error:
            self._line(f"{address}: {action} failed after {took:.1f}s: {error}", "red")
        else:
            self._line(f"{address}: {_DONE.get(action, action)} after {took:.1f}s", "green")

    def transfer(self, address: str, done_bytes: int, total_bytes: int) -> None:
        if total_bytes <= 0:
            return
        step = min(4, done_bytes * 4 // total_bytes)  # report at 25% steps
        with self._lock:
            if self._transfer_step.get(address, -1) >= step:
                return
            self._transfer_step[address] = step
        self._line(f"{address}: uploaded {done_bytes}/{total_bytes} bytes ({step * 25}%)")

    def warning(self, message: str) -> None:
        self._line(f"Warning: {message}", "yellow")

    def info(self, message: str) -> None:
        self._line(message)
