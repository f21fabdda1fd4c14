"""Fault injection: added latency, 429 throttling with Retry-After, and 500s.

Which requests fail is deterministic. Without a seed, failures are evenly spaced: a ratio of 1/3
fails exactly every 3rd request (request n fails when ``floor(n * r) > floor((n - 1) * r)``). With a
seed, each request fails with probability ``r`` drawn from ``random.Random(seed)`` (reproducible, but
bursts are possible). Throttling is decided first; a throttled request is never also a 500.
"""

from __future__ import annotations

import math
import random
import threading
from dataclasses import asdict, dataclass
from typing import Any, Literal

Verdict = Literal["ok", "throttle", "error"]


@dataclass
class FaultConfig:
    latency: float = 0.0
    throttle_ratio: float = 0.0
    error_ratio: float = 0.0
    retry_after: float = 0.0
    seed: int | None = None


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.config = FaultConfig()
        self._counts = {"throttle": 0, "error": 0}
        self._rng: random.Random | None = None
        self.injected = {"throttle": 0, "error": 0}

    def configure(self, latency: float = 0.0, throttle_ratio: float = 0.0, error_ratio: float = 0.0,
                  retry_after: float = 0.0, seed: int | None = None) -> None:
        """Replace the whole fault configuration (unnamed fields go back to no fault)."""
        for name, value in (("throttle_ratio", throttle_ratio), ("error_ratio", error_ratio)):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be within [0, 1], got {value}")
        if latency < 0 or retry_after < 0:
            raise ValueError("latency and retry_after must not be negative")
        with self._lock:
            self.config = FaultConfig(float(latency), float(throttle_ratio), float(error_ratio),
                                      float(retry_after), seed)
            self._counts = {"throttle": 0, "error": 0}
            self._rng = random.Random(seed) if seed is not None else None

    def reset(self) -> None:
        self.configure()

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return asdict(self.config)

    def decide(self) -> Verdict:
        """The verdict for the next request (counts it)."""
        with self._lock:
            for kind, ratio in (("throttle", self.config.throttle_ratio), ("error", self.config.error_ratio)):
                if ratio <= 0:
                    continue
                if self._hit(kind, ratio):
                    self.injected[kind] += 1
                    return kind  # type: ignore[return-value]
            return "ok"

    def _hit(self, kind: str, ratio: float) -> bool:
        if self._rng is not None:
            return self._rng.random() < ratio
        self._counts[kind] += 1
        n = self._counts[kind]
        return math.floor(n * ratio + 1e-9) > math.floor((n - 1) * ratio + 1e-9)

    def retry_after_header(self) -> str:
        value = self.config.retry_after
        return str(int(value)) if float(value).is_integer() else f"{value:g}"
