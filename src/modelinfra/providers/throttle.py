"""Client-side rate limits: a token bucket per (cloud, request class), shared by all worker threads.

Each HTTP attempt (retries included) takes one token from its bucket first, blocking while the bucket
is empty, so a large plan never sends more than the cloud allows and never sets off a 429 storm.
The defaults follow the published limits:

==================  ======  ===========  ==================================================
bucket              burst   refill/s     source
==================  ======  ===========  ==================================================
``azure.read``       250    25           ARM token bucket, reads per subscription and region
``azure.write``      200    10           ARM token bucket, writes (PUT/PATCH/POST)
``azure.delete``     200    10           ARM token bucket, deletes
``azure.cdn_read``    50    50/300       ``Microsoft.Cdn/profiles/read``: 50 per 5 minutes
==================  ======  ===========  ==================================================

AWS needs no bucket here: botocore's retry modes (``standard``, or ``adaptive``, which adds its own
client-side rate limiter) handle it (``MODELINFRA_AWS_RETRY_MODE``).

Settings: ``MODELINFRA_RATE_LIMITS`` overrides buckets, e.g. ``azure.read=100/10,azure.write=50/2``
(``BURST/PER_SECOND``), or ``off`` to disable client-side limiting entirely.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping

DEFAULT_LIMITS: dict[str, tuple[float, float]] = {
    "azure.read": (250.0, 25.0),
    "azure.write": (200.0, 10.0),
    "azure.delete": (200.0, 10.0),
    "azure.cdn_read": (50.0, 50.0 / 300.0),
}


class TokenBucket:
    """``capacity`` tokens, refilled at ``rate`` per second. ``acquire`` blocks until one is free
    and returns the seconds it waited. Thread-safe; waiting happens outside the lock."""

    def __init__(self, capacity: float, rate: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        if capacity < 1 or rate <= 0:
            raise ValueError(f"a bucket needs capacity >= 1 and rate > 0, got {capacity}/{rate}")
        self.capacity, self.rate = float(capacity), float(rate)
        self._clock, self._sleep = clock, sleep
        self._tokens, self._stamp = self.capacity, clock()
        self._lock = threading.Lock()

    def _reserve(self) -> float:
        """Take a token (possibly going into debt); the wait until it is really ours."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= 1.0
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def acquire(self) -> float:
        wait = self._reserve()
        if wait > 0:
            self._sleep(wait)
        return wait


def parse_limits(text: str | None) -> dict[str, tuple[float, float]] | None:
    """``DEFAULT_LIMITS`` updated from ``MODELINFRA_RATE_LIMITS`` text; None for ``off``.
    Raises ``ValueError`` naming the bad entry."""
    limits = dict(DEFAULT_LIMITS)
    if not text or not text.strip():
        return limits
    if text.strip().lower() in ("off", "none", "0", "false"):
        return None
    for entry in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = entry.partition("=")
        burst, slash, rate = value.partition("/")
        try:
            if not sep or not slash:
                raise ValueError
            limits[name.strip()] = (float(burst), float(rate))
        except ValueError:
            raise ValueError(f"MODELINFRA_RATE_LIMITS: {entry!r} is not NAME=BURST/PER_SECOND") from None
    return limits


class Throttle:
    """The buckets of one run, by name (``azure.read``...). An unknown name is not limited."""

    def __init__(self, limits: Mapping[str, tuple[float, float]] | None):
        self.enabled = limits is not None
        self._buckets = {name: TokenBucket(*limit) for name, limit in (limits or {}).items()}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Throttle:
        environ = os.environ if environ is None else environ
        return cls(parse_limits(environ.get("MODELINFRA_RATE_LIMITS")))

    def acquire(self, name: str) -> float:
        bucket = self._buckets.get(name)
        return bucket.acquire() if bucket is not None else 0.0


def azure_bucket(method: str, url: str) -> str:
    """The ARM bucket an HTTP request draws from."""
    method = method.upper()
    if method in ("GET", "HEAD"):
        return "azure.cdn_read" if "/providers/microsoft.cdn/" in url.lower() else "azure.read"
    return "azure.delete" if method == "DELETE" else "azure.write"
