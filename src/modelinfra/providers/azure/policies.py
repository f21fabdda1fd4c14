"""The azure-core pipeline policies every Azure client of a session shares.

- ``retry_policy(settings)``: a ``RetryPolicy`` whose every budget (total, status, connect, read) is
  ``settings.max_attempts - 1`` retries -- azure-core's default caps status retries at 3 whatever
  ``retry_total`` says, which is why a 429 storm used to fail a plan in seconds. Backoff is
  exponential with jitter (capped at ``settings.retry_backoff_max``); a Retry-After header is
  honoured (plus up to 20 % jitter, so throttled callers do not come back in lockstep). Each retry is
  logged on ``modelinfra.retry`` at INFO: "GET URL: attempt n of N failed (why); waiting S s".
- ``ThrottlePolicy``: each attempt first takes a token from the session's ARM bucket
  (``providers.throttle``).
- ``HttpLogPolicy``: each attempt logged on ``modelinfra.http`` at DEBUG: method, URL without
  secrets, status, elapsed time.
"""

from __future__ import annotations

import logging
import random
import time
from typing import Any

from modelinfra.providers.redact import redact_url
from modelinfra.providers.requests_count import count_request
from modelinfra.providers.throttle import Throttle, azure_bucket
from modelinfra.settings import Settings

RETRY_LOG = logging.getLogger("modelinfra.retry")
HTTP_LOG = logging.getLogger("modelinfra.http")

RETRY_ON_STATUS = [408, 429, 500, 502, 503, 504]


def retry_policy(settings: Settings) -> Any:
    from azure.core.pipeline.policies import RetryPolicy

    class LoggingRetryPolicy(RetryPolicy):
        def increment(self, settings: dict[str, Any], response: Any = None, error: Any = None) -> bool:
            http_request = getattr(response, "http_request", None)
            if error is not None:
                why = f"{type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''}"
            else:
                http_response = getattr(response, "http_response", None)
                status = getattr(http_response, "status_code", "?")
                why = f"HTTP {status} {getattr(http_response, 'reason', '') or ''}".strip()
            settings["modelinfra"] = (http_request, why)
            more = super().increment(settings, response=response, error=error)
            if not more:
                RETRY_LOG.info("%s: attempt %d of %d failed (%s); giving up", _describe(http_request),
                                  len(settings["history"]), self.total_retries + 1, why)
            return more

        def sleep(self, settings: dict[str, Any], transport: Any, response: Any = None) -> None:
            retry_after = self.get_retry_after(response) if response is not None else None
            if retry_after:
                wait = retry_after * random.uniform(1.0, 1.2)
            else:
                wait = max(self.get_backoff_time(settings), self.backoff_factor) * random.uniform(0.5, 1.0)
            http_request, why = settings.get("modelinfra", (None, "error"))
            RETRY_LOG.info("%s: attempt %d of %d failed (%s); waiting %.1f s", _describe(http_request),
                           len(settings["history"]), self.total_retries + 1, why, wait)
            transport.sleep(wait)

    retries = max(settings.max_attempts - 1, 0)
    return LoggingRetryPolicy(retry_total=retries, retry_status=retries, retry_connect=retries,
                              retry_read=retries, retry_backoff_factor=0.5,
                              retry_backoff_max=settings.retry_backoff_max, retry_on_status_codes=RETRY_ON_STATUS)


def _describe(http_request: Any) -> str:
    if http_request is None:
        return "request"
    return f"{http_request.method} {redact_url(http_request.url)}"


def per_retry_policies(throttle: Throttle) -> list[Any]:
    from azure.core.pipeline.policies import HTTPPolicy, SansIOHTTPPolicy

    class ThrottlePolicy(SansIOHTTPPolicy):
        def on_request(self, request: Any) -> None:
            count_request()
            http_request = request.http_request
            waited = throttle.acquire(azure_bucket(http_request.method, http_request.url))
            if waited > 0.5:
                RETRY_LOG.info("%s: waited %.1f s for the client-side rate limit", _describe(http_request), waited)

    class HttpLogPolicy(HTTPPolicy):
        def send(self, request: Any) -> Any:
            if not HTTP_LOG.isEnabledFor(logging.DEBUG):
                return self.next.send(request)
            started = time.monotonic()
            try:
                response = self.next.send(request)
            except Exception as exc:
                HTTP_LOG.debug("%s -> %s after %.3f s", _describe(request.http_request), type(exc).__name__,
                               time.monotonic() - started)
                raise
            HTTP_LOG.debug("%s -> %s in %.3f s", _describe(request.http_request),
                           response.http_response.status_code, time.monotonic() - started)
            return response

    return [ThrottlePolicy(), HttpLogPolicy()]
