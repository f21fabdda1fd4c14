"""Ctrl-C during apply/destroy: acknowledged at once, then the walk finishes what is under way.

``acknowledge_interrupts(reporter)`` installs, for its block, a SIGINT handler that first tells the
user (``reporter.interrupted()``) and then raises ``KeyboardInterrupt`` as Python's default does,
so the graph walk stops scheduling, waits for the running actions and the executor saves state.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from modelinfra.views.progress import ConsoleReporter


@contextmanager
def acknowledge_interrupts(reporter: ConsoleReporter) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_interrupt(signum: int, frame: Any) -> None:
        reporter.interrupted()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
