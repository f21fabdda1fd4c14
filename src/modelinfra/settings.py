"""Run-wide settings: concurrency and retry budget. Overridable by flags and environment.

``MODELINFRA_PARALLELISM`` (default 16) bounds concurrent cloud operations;
``MODELINFRA_MAX_ATTEMPTS`` (default 12) is the per-call attempt budget handed to the SDK retry
policies (botocore standard mode, azure-core RetryPolicy). 12 attempts with exponential backoff and
jitter ride out sustained throttling where a third of all calls answer 429/503;
``MODELINFRA_RETRY_BACKOFF_MAX`` (default 20) caps one backoff, in seconds. Client-side rate limits:
``MODELINFRA_RATE_LIMITS`` (see ``providers.throttle``); AWS retry mode: ``MODELINFRA_AWS_RETRY_MODE``.
``MODELINFRA_ENGINE_RETRIES`` (default 5) is how many more times the engine itself retries a handler
call that still raised ``RetryableError`` (eventual consistency, throttling beyond the SDK budget),
waiting the error's ``retry_after`` or ``engine_retry_base`` (1 s, ``MODELINFRA_ENGINE_RETRY_BASE``)
doubled per attempt with full jitter, capped at ``retry_backoff_max`` (see ``engine/retry.py``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    parallelism: int = 16
    max_attempts: int = 12
    retry_backoff_max: float = 20.0
    lock_timeout: float = 0.0
    engine_retries: int = 5
    engine_retry_base: float = 1.0

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        values: dict[str, object] = {
            "parallelism": int(os.environ.get("MODELINFRA_PARALLELISM", cls.parallelism)),
            "max_attempts": int(os.environ.get("MODELINFRA_MAX_ATTEMPTS", cls.max_attempts)),
            "engine_retries": int(os.environ.get("MODELINFRA_ENGINE_RETRIES", cls.engine_retries)),
            "engine_retry_base": float(os.environ.get("MODELINFRA_ENGINE_RETRY_BASE", cls.engine_retry_base)),
            "retry_backoff_max": float(os.environ.get("MODELINFRA_RETRY_BACKOFF_MAX", cls.retry_backoff_max)),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
