"""botocore failures -> modelinfra's ``RetryableError`` / ``TerminalError``; shared by AWS handlers.

botocore's own retries (standard mode, budget from ``Settings.max_attempts``) run first; what
reaches a handler has already exhausted them. The mapping:

- throttling (``SlowDown``, ``Throttling*``, ``TooManyRequests*``, ``RequestLimitExceeded``...),
  server-side trouble (HTTP 500/502/503/504, ``InternalError``, ``ServiceUnavailable``) and
  connection failures -> ``RetryableError`` (with ``retry_after`` from a ``Retry-After`` header);
- everything else (bad request, access denied, conflict...) -> ``TerminalError``.

``code`` on the raised error is the service's error code (``NoSuchBucket``...). Handlers test
codes with ``error_code`` before mapping: "not found" is usually not an error for them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from modelinfra.errors import ProviderError, RetryableError, TerminalError

RETRYABLE_CODES = frozenset({
    "SlowDown", "Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException",
    "RequestLimitExceeded", "RequestThrottled", "RequestThrottledException", "ProvisionedThroughputExceededException",
    "InternalError", "InternalFailure", "ServiceUnavailable", "ServiceUnavailableException", "RequestTimeout",
    "RequestTimeoutException", "PriorRequestNotComplete", "OperationAborted",
})
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
T = TypeVar("T")


def error_code(exc: BaseException) -> str | None:
    """The service error code of a botocore ``ClientError`` (``NoSuchBucket``, ``404``...), else None."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    code = response.get("Error", {}).get("Code")
    return str(code) if code is not None else None


def http_status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return int(status) if status is not None else None


def is_code(exc: BaseException, *codes: str) -> bool:
    """True for a ``ClientError`` whose code is one of ``codes``."""
    return error_code(exc) in codes


def unless_code(call: Callable[[], T], codes: tuple[str, ...]) -> T | None:
    """``call()``, or None when the service answers with one of ``codes`` (the "no such
    configuration" answers: ``NoSuchBucketPolicy``...)."""
    from botocore.exceptions import ClientError

    try:
        return call()
    except ClientError as exc:
        if is_code(exc, *codes):
            return None
        raise


def map_error(exc: BaseException, action: str) -> ProviderError:
    """The modelinfra error for a botocore failure during ``action`` (e.g. "creating bucket b")."""
    from botocore.exceptions import ClientError, ReadTimeoutError
    from botocore.exceptions import ConnectionError as BotoConnectionError

    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, ClientError):
        code = error_code(exc)
        status = http_status(exc)
        message = exc.response.get("Error", {}).get("Message") or str(exc)
        text = f"{action}: {code}: {message}" if code else f"{action}: {message}"
        if code in RETRYABLE_CODES or status in RETRYABLE_STATUS:
            return RetryableError(text, code=code, retry_after=_retry_after(exc.response))
        return TerminalError(text, code=code)
    if isinstance(exc, (BotoConnectionError, ReadTimeoutError)):
        return RetryableError(f"{action}: {exc}")
    return TerminalError(f"{action}: {exc}")


@contextmanager
def aws_errors(action: str) -> Iterator[None]:
    """Translate any botocore failure raised in the block with ``map_error``."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise map_error(exc, action) from exc


def _retry_after(response: dict[str, Any]) -> float | None:
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}) or {}
    value = headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
