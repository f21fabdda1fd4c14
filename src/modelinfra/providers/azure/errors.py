"""azure-core failures -> modelinfra's ``RetryableError`` / ``TerminalError``; shared by Azure handlers.

The session's ``RetryPolicy`` (budget ``Settings.max_attempts``, backoff with jitter, Retry-After
honoured) runs first; what reaches a handler has already exhausted it. The mapping:

- HTTP 408/429/500/502/503/504, ARM codes meaning "try again" (``AnotherOperationInProgress``,
  ``TooManyRequests``, ``ServerBusy``...) and connection failures (``ServiceRequestError``,
  ``ServiceResponseError``) -> ``RetryableError`` (``retry_after`` from a ``Retry-After`` header);
- anything else (400, 401, 403, 409, failed LROs...) -> ``TerminalError``.

``code`` on the raised error is ARM's error code (``ResourceGroupNotFound``...) when the body has
one. Reads use ``read_or_none``: a 404 means "does not exist" and becomes ``None``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from modelinfra.errors import ProviderError, RetryableError, TerminalError

T = TypeVar("T")

RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
RETRYABLE_CODES = frozenset({
    "AnotherOperationInProgress", "TooManyRequests", "ServerBusy", "InternalServerError",
    "OperationPreempted", "RetryableError", "ServiceUnavailable", "GatewayTimeout",
    "OperationTimedOut", "ResourceGroupBeingDeleted",
})
NOT_FOUND_CODES = frozenset({
    "ResourceNotFound", "ResourceGroupNotFound", "ParentResourceNotFound", "NotFound",
    "StorageAccountNotFound", "ContainerNotFound", "BlobNotFound",
})


def status_code(exc: BaseException) -> int | None:
    """The HTTP status of an azure-core ``HttpResponseError``, else None."""
    status = getattr(exc, "status_code", None)
    if status is None:
        response = getattr(exc, "response", None)
        status = getattr(response, "status_code", None)
    return int(status) if isinstance(status, int) else None


def error_code(exc: BaseException) -> str | None:
    """ARM's (or the storage service's) error code of an ``HttpResponseError``, else None."""
    code = getattr(exc, "error_code", None)  # data plane: x-ms-error-code
    if code:
        return str(code)
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None)
    if code:
        return str(code)
    response = getattr(exc, "response", None)
    try:
        body = response.json() if response is not None else None
    except Exception:  # noqa: BLE001 - not JSON: no code
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        value = body["error"].get("code")
        return str(value) if value else None
    return None


def is_not_found(exc: BaseException) -> bool:
    """True for a 404 (any ``ResourceNotFoundError``)."""
    from azure.core.exceptions import ResourceNotFoundError

    return isinstance(exc, ResourceNotFoundError) or status_code(exc) == 404


def map_error(exc: BaseException, action: str) -> ProviderError:
    """The modelinfra error for an azure-core failure during ``action`` ("creating disk d")."""
    from azure.core.exceptions import AzureError, HttpResponseError, ServiceRequestError, ServiceResponseError

    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, HttpResponseError):
        code = error_code(exc)
        status = status_code(exc)
        message = _message(exc)
        text = f"{action}: {code}: {message}" if code else f"{action}: {message}"
        if status in RETRYABLE_STATUS or code in RETRYABLE_CODES:
            return RetryableError(text, code=code, retry_after=_retry_after(exc))
        return TerminalError(text, code=code)
    if isinstance(exc, (ServiceRequestError, ServiceResponseError)):
        return RetryableError(f"{action}: {exc}")
    if isinstance(exc, AzureError):
        return TerminalError(f"{action}: {exc}")
    return TerminalError(f"{action}: {exc}")


@contextmanager
def azure_errors(action: str) -> Iterator[None]:
    """Translate any azure-core failure raised in the block with ``map_error``."""
    from azure.core.exceptions import AzureError

    try:
        yield
    except AzureError as exc:
        raise map_error(exc, action) from exc


def read_or_none(action: str, call: Callable[[], T]) -> T | None:
    """``call()``; ``None`` when the resource (or its group or parent) is not there (HTTP 404)."""
    from azure.core.exceptions import AzureError

    try:
        return call()
    except AzureError as exc:
        if is_not_found(exc):
            return None
        raise map_error(exc, action) from exc


def ignore_not_found(action: str, call: Callable[[], Any]) -> None:
    """``call()`` where "already gone" is success: a 404, or a 204 the SDK did not expect
    (ARM answers DELETE of a missing resource with 204 No Content)."""
    from azure.core.exceptions import AzureError

    try:
        call()
    except AzureError as exc:
        if is_not_found(exc) or status_code(exc) == 204:
            return
        raise map_error(exc, action) from exc


def visible_after_write(observed: T | None, what: str) -> T:
    """``observed`` (a read right after a create/update); a ``RetryableError`` when the resource
    is not visible yet (eventual consistency), so the engine retries rather than failing."""
    if observed is None:
        raise RetryableError(f"{what} is not visible yet after the write", code="ResourceNotFound")
    return observed


def _message(exc: Any) -> str:
    error = getattr(exc, "error", None)
    message = getattr(error, "message", None)
    if message:
        return str(message)
    text = str(getattr(exc, "message", "") or exc)
    return text.splitlines()[0] if text else type(exc).__name__


def _retry_after(exc: Any) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    value = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
