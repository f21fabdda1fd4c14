"""S3 object requests as AWS serves them under contention: atomic conditional writes, and faults.

- Conditional writes. moto 5.2 checks ``If-Match`` / ``If-None-Match`` on PutObject and ``If-Match`` on
  DeleteObject, but check and write are two steps of a threaded server: two racing
  ``If-None-Match: *`` puts can both pass the check. AWS makes the check and the write one atomic step
  (the loser gets 412 PreconditionFailed, or 409 ConditionalRequestConflict while the winner is in
  flight). Here every conditional object write or delete runs under one lock, so exactly one of racing
  writers wins and the others get moto's own 412.
- Fault injection for tests: ``FAULTS.configure(bucket, ratio)`` makes that share of the object and
  bucket requests naming ``bucket`` answer ``503 SlowDown`` before moto sees them (evenly spaced, as
  ``sandbox.arm.faults``: request n fails when ``floor(n*r) > floor((n-1)*r)``). Other buckets are
  untouched, so tests sharing the emulator do not disturb each other.
- A store that ignores conditions (as some S3-compatible stores do): object requests naming a
  bucket in ``IGNORE_CONDITIONS`` lose their ``If-Match`` / ``If-None-Match`` headers, so every
  conditional write is accepted. Clients must detect that and refuse to lock.
"""

from __future__ import annotations

import math
import threading
from typing import Any

CONDITIONAL_WRITES = threading.Lock()
"""Held around every conditional PutObject / DeleteObject: check and write are one step."""

SLOW_DOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>"
)


class BucketFaults:
    """Per bucket, the ratio of requests that answer 503 SlowDown (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ratios: dict[str, float] = {}
        self._counts: dict[str, int] = {}
        self.injected: dict[str, int] = {}

    def configure(self, bucket: str, ratio: float) -> None:
        """Fail ``ratio`` (0..1) of the requests naming ``bucket``; 0 stops the faults."""
        if not 0.0 <= ratio <= 1.0:
            raise ValueError(f"fault ratio must be within 0..1, got {ratio}")
        with self._lock:
            if ratio:
                self._ratios[bucket], self._counts[bucket] = ratio, 0
                self.injected.setdefault(bucket, 0)
            else:
                self._ratios.pop(bucket, None)

    def should_fail(self, bucket: str) -> bool:
        with self._lock:
            ratio = self._ratios.get(bucket)
            if not ratio:
                return False
            self._counts[bucket] += 1
            n = self._counts[bucket]
            fail = math.floor(n * ratio) > math.floor((n - 1) * ratio)
            if fail:
                self.injected[bucket] += 1
            return fail


FAULTS = BucketFaults()

IGNORE_CONDITIONS: set[str] = set()
"""Buckets that behave like a store ignoring conditional headers."""


class ConditionalS3Mixin:
    """Mixed into the project's ``S3Response``: faults first, then conditional writes under the lock."""

    def _key_response(self, request: Any, full_url: str) -> Any:
        if FAULTS.should_fail(self.bucket_name):  # type: ignore[attr-defined]
            return 503, {"Content-Type": "application/xml", "Retry-After": "0"}, SLOW_DOWN
        if self.bucket_name in IGNORE_CONDITIONS:  # type: ignore[attr-defined]
            from werkzeug.datastructures import Headers

            headers = Headers(self.headers)  # type: ignore[has-type]
            for name in ("If-Match", "If-None-Match"):
                headers.remove(name)
            self.headers = headers
            return super()._key_response(request, full_url)  # type: ignore[misc]
        conditional = request.method in ("PUT", "DELETE") and (
            "If-Match" in request.headers or "If-None-Match" in request.headers)
        if not conditional:
            return super()._key_response(request, full_url)  # type: ignore[misc]
        with CONDITIONAL_WRITES:
            return super()._key_response(request, full_url)  # type: ignore[misc]

    def _bucket_response(self, request: Any, full_url: str) -> Any:
        bucket = self.parse_bucket_name_from_url(request, full_url)  # type: ignore[attr-defined]
        if bucket and FAULTS.should_fail(bucket):
            return 503, {"Content-Type": "application/xml", "Retry-After": "0"}, SLOW_DOWN
        return super()._bucket_response(request, full_url)  # type: ignore[misc]
