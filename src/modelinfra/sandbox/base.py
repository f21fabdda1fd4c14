"""What every emulator launcher returns: where it listens and how to stop it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RunningService:
    """A started emulator. ``url`` is its base endpoint (``http://127.0.0.1:PORT``); ``extra``
    carries service-specific facts (Azurite's account name and key...). ``stop`` is idempotent."""

    name: str
    url: str
    stop_fn: Callable[[], None]
    extra: dict[str, Any] = field(default_factory=dict)
    handle: Any = None
    _stopped: bool = False

    def stop(self) -> None:
        if not self._stopped:
            self._stopped = True
            self.stop_fn()

    def __enter__(self) -> RunningService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
