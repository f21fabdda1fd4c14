"""The engine's retry of handler calls: the one place a ``RetryableError`` is caught.

A handler raises ``RetryableError`` for eventual consistency (NoSuchBucket just after create) or
throttling beyond the SDK's own budget. ``call`` retries such a call up to
``settings.engine_retries`` more times, waiting ``retry_after`` when the error gives one, else
exponential backoff (``engine_retry_base * 2**n``, capped at ``retry_backoff_max``) with full
jitter. Each retry is reported as a warning ``addr: retrying after X s (attempt n of N): reason``.
Any other error, and the last ``RetryableError``, propagates unchanged. Handler calls are
idempotent by contract (base.py), which is what makes retrying them safe.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from modelinfra.errors import RetryableError

if TYPE_CHECKING:
    from modelinfra.engine.context import RunContext

T = TypeVar("T")


def call(run: RunContext, address: str, fn: Callable[[], T]) -> T:
    """``fn()``, retried on ``RetryableError`` as the module docstring says."""
    settings = run.settings
    attempts = 1 + max(0, settings.engine_retries)
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except RetryableError as exc:
            if attempt >= attempts:
                raise
            delay = backoff(attempt, exc.retry_after, settings.engine_retry_base, settings.retry_backoff_max)
            try:
                run.reporter.warning(f"{address}: retrying after {delay:.1f} s (attempt {attempt + 1} of "
                                     f"{attempts}): {exc}")
            except Exception:  # noqa: BLE001 - progress is best effort by contract
                pass
            run.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def backoff(attempt: int, retry_after: float | None, base: float, cap: float) -> float:
    """Seconds to wait before attempt ``attempt + 1``: the server's ``retry_after`` when given
    (capped), else full-jitter exponential backoff."""
    if retry_after is not None:
        return min(max(0.0, retry_after), cap)
    return random.uniform(0, min(cap, base * 2 ** (attempt - 1)))


def sleep(seconds: float) -> None:
    """The default ``RunContext.sleep``."""
    if seconds > 0:
        time.sleep(seconds)
