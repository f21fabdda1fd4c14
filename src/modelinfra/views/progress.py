"""Progress on stderr (refresh, apply, uploads), one line per event; thread-safe.

While actions run, a ticker thread prints ``ADDR: Still creating... [10s elapsed]`` every
``interval`` seconds per running action (``Still refreshing...`` for a long read), as Terraform does. The clock and the wait are injectable
(``clock``, ``wait``), and ``tick()`` is what the thread calls, so tests drive it without sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from rich.console import Console

from modelinfra.reporting import Reporter
from modelinfra.views import console

_ING = {"refresh": "Refreshing", "create": "Creating", "update": "Modifying", "delete": "Destroying",
        "delete-then-create": "Replacing", "create-then-delete": "Replacing"}
_DONE = {"create": "Creation complete", "update": "Modifications complete", "delete": "Destruction complete",
         "delete-then-create": "Replacement complete", "create-then-delete": "Replacement complete"}


_REFRESH = "refresh"  # a long read tracked like an action: "Still refreshing... [10s elapsed]"


class ConsoleReporter(Reporter):
    def __init__(
        self,
        out: Console | None = None,
        show_refresh: bool = True,
        *,
        interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        ticker: bool = True,
    ):
        """``interval``: seconds between "Still ..." lines; ``ticker=False`` starts no thread (the
        caller calls ``tick()``)."""
        self.out = out or console.stderr()
        self.show_refresh = show_refresh
        self.interval = interval
        self.clock = clock
        self._lock = threading.Lock()
        self._running: dict[str, tuple[str, float, int]] = {}  # address -> (action, started, lines so far)
        self._transfer_step: dict[str, int] = {}
        self._use_thread = ticker
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()

    def _line(self, text: str, style: str = "") -> None:
        with self._lock:
            self.out.print(text, style=style or None, markup=False, highlight=False)

    def refresh_started(self, address: str) -> None:
        if self.show_refresh:
            self._start(address, _REFRESH)
            self._line(f"{address}: Refreshing state...")

    def refresh_done(self, address: str) -> None:
        with self._lock:
            if self._running.get(address, ("",))[0] == _REFRESH:
                del self._running[address]
            if not self._running:
                self._wake.set()

    def action_started(self, address: str, action: str) -> None:
        self._start(address, action)
        self._line(f"{address}: {_ING.get(action, action)}...")

    def _start(self, address: str, action: str) -> None:
        """Track ``address`` for the "Still ..." lines (and start the ticker thread if needed)."""
        with self._lock:
            self._running[address] = (action, self.clock(), 0)
            start = self._use_thread and self._thread is None
            if start:
                self._wake.clear()
                self._thread = threading.Thread(target=self._tick_loop, name="modelinfra-progress", daemon=True)
            thread = self._thread if start else None
        if thread is not None:
            thread.start()

    def action_done(self, address: str, action: str, error: str | None = None) -> None:
        with self._lock:
            _, started, _ = self._running.pop(address, (action, self.clock(), 0))
            if not self._running:
                self._wake.set()
        took = self.clock() - started
        if error:
            self._line(f"{address}: {action} failed after {took:.1f}s: {error}", "red")
        else:
            self._line(f"{address}: {_DONE.get(action, action)} after {took:.1f}s", "green")

    def running(self) -> list[str]:
        """Addresses of the actions under way."""
        with self._lock:
            return sorted(a for a, (action, _, _) in self._running.items() if action != _REFRESH)

    def tick(self) -> None:
        """Print a "Still ..." line for each action running for another ``interval`` since its last."""
        now = self.clock()
        due = []
        with self._lock:
            for address, (action, started, shown) in sorted(self._running.items()):
                ticks = int((now - started) // self.interval)
                if ticks > shown:
                    self._running[address] = (action, started, ticks)
                    due.append((address, action, int(now - started)))
        for address, action, elapsed in due:
            self._line(f"{address}: Still {_ING.get(action, action).lower()}... [{elapsed}s elapsed]")

    def _tick_loop(self) -> None:
        while True:
            woke = self._wake.wait(min(self.interval, 1.0))
            with self._lock:  # the same lock _start takes: a new action either sees this thread or starts one
                if woke and not self._running:
                    self._thread = None
                    return
                if woke:
                    self._wake.clear()
            self.tick()

    def transfer(self, address: str, done_bytes: int, total_bytes: int) -> None:
        if total_bytes <= 0:
            return
        percent = min(100, done_bytes * 100 // total_bytes)
        step = percent // 25  # a line at each quarter, showing the true percentage
        with self._lock:
            if self._transfer_step.get(address, -1) >= step:
                return
            self._transfer_step[address] = step
        self._line(f"{address}: uploaded {done_bytes}/{total_bytes} bytes ({percent}%)")

    def interrupted(self) -> None:
        """Ctrl-C: say at once that the actions under way will finish and state will be saved."""
        under_way = self.running()
        self._line(f"Interrupt received: finishing {len(under_way)} action(s) under way"
                   + (f" ({', '.join(under_way)})" if under_way else "")
                   + ", then saving state.",
                   "yellow")

    def warning(self, message: str) -> None:
        self._line(f"Warning: {message}", "yellow")

    def info(self, message: str) -> None:
        self._line(message)
