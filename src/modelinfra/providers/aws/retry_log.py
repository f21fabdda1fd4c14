"""Visible AWS retries and requests, through botocore's event hooks.

``instrument(client, max_attempts)`` wraps the client's standard-mode retry handler so that each
retry is logged on ``modelinfra.retry`` at INFO ("s3.HeadObject: attempt n of N failed (SlowDown);
waiting S s") and a final failure ("giving up") at INFO too (the error itself is reported by the engine), and logs each HTTP attempt on ``modelinfra.http`` at
DEBUG (method, URL without signatures or tokens, status, elapsed). The retry decisions stay
botocore's standard ones (conditions, exponential backoff with jitter; adaptive mode's rate limiter
is untouched) but for one thing: botocore's client-wide *retry quota* (500 units, 14 per non-throttle
retry -- about 35 retries in flight) is replaced by one that never runs dry, because a storm of
throttled HEADs (a 503 without a body is not recognised as throttling) drained it and failed calls
that still had attempts left. The per-call budget (``max_attempts``) is what bounds retries.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from modelinfra.providers.redact import redact_url
from modelinfra.providers.requests_count import count_request

RETRY_LOG = logging.getLogger("modelinfra.retry")
HTTP_LOG = logging.getLogger("modelinfra.http")

UNLIMITED_QUOTA = 10**9


def _why(response: Any, caught: Any) -> str:
    if caught is not None:
        return type(caught).__name__
    if isinstance(response, tuple) and len(response) == 2:
        http, parsed = response
        code = (parsed or {}).get("Error", {}).get("Code") if isinstance(parsed, dict) else None
        return f"HTTP {getattr(http, 'status_code', '?')}{f' {code}' if code else ''}"
    return "error"


def instrument(client: Any, max_attempts: int, max_backoff: float = 20.0) -> None:
    from botocore.retries import quota, standard

    events = client.meta.events
    name = client.meta.service_model.service_id.hyphenize()
    unique = f"retry-config-{name}"
    if client.meta.config.retries.get("mode") in ("standard", "adaptive"):
        events.unregister(f"needs-retry.{name}", unique_id=unique)
        adapter = standard.RetryEventAdapter()
        detector = standard.ThrottlingErrorDetector(adapter)
        retry_quota = standard.RetryQuotaChecker(quota.RetryQuota(initial_capacity=UNLIMITED_QUOTA), detector)
        handler = standard.RetryHandler(
            retry_policy=standard.RetryPolicy(
                retry_checker=standard.StandardRetryConditions(max_attempts=max_attempts),
                retry_backoff=standard.ExponentialBackoff(max_backoff=max_backoff, service_name=name,
                                                         throttling_detector=detector),
            ),
            retry_event_adapter=adapter, retry_quota=retry_quota, service_name=name,
        )
        events.register(f"after-call.{name}", retry_quota.release_retry_quota, unique_id=f"modelinfra-quota-{name}")

        def needs_retry(**kwargs: Any) -> Any:
            response = kwargs.get("response")
            if kwargs.get("caught_exception") is None and _succeeded(response):
                return None  # what standard mode answers for a 2xx without an error: no retry
            delay = handler.needs_retry(**kwargs)
            attempts = kwargs.get("attempts", 0)
            operation = getattr(kwargs.get("operation"), "name", "request")
            why = _why(kwargs.get("response"), kwargs.get("caught_exception"))
            failed = kwargs.get("caught_exception") is not None or _status(kwargs.get("response")) >= 400
            if delay is not None:
                RETRY_LOG.info("%s.%s: attempt %d of %d failed (%s); waiting %.1f s", name, operation, attempts,
                               max_attempts, why, delay)
            elif failed and attempts >= max_attempts:
                RETRY_LOG.info("%s.%s: attempt %d of %d failed (%s); giving up", name, operation, attempts,
                                  max_attempts, why)
            return delay

        events.register(f"needs-retry.{name}", needs_retry, unique_id=unique)

    def before_send(request: Any, **_: Any) -> None:
        count_request()
        request.context["modelinfra_started"] = time.monotonic()

    def after_call(http_response: Any, parsed: Any, model: Any, context: Any = None, **_: Any) -> None:
        if HTTP_LOG.isEnabledFor(logging.DEBUG):
            started = (context or {}).get("modelinfra_started")
            elapsed = f" in {time.monotonic() - started:.3f} s" if started else ""
            HTTP_LOG.debug("%s %s -> %s%s", model.http.get("method", "?"), redact_url(http_response.url),
                           http_response.status_code, elapsed)

    events.register(f"before-send.{name}", before_send, unique_id=f"modelinfra-http-start-{name}")
    events.register(f"after-call.{name}", after_call, unique_id=f"modelinfra-http-log-{name}")


def _succeeded(response: Any) -> bool:
    """A 2xx whose parsed body carries no ``Error`` (S3 answers some failures with a 200 and an
    error document; botocore's ``_update_status_code`` has already turned those into a 500)."""
    parsed = response[1] if isinstance(response, tuple) and len(response) == 2 else None
    return 200 <= _status(response) < 300 and not (isinstance(parsed, dict) and "Error" in parsed)


def _status(response: Any) -> int:
    if isinstance(response, tuple) and response:
        return int(getattr(response[0], "status_code", 0) or 0)
    return 0
