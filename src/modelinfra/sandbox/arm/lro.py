"""Long-running operations: the status monitors behind ``Azure-AsyncOperation`` and ``Location``.

An operation starts ``InProgress`` and becomes ``Succeeded`` on its ``min_polls + 1``-th status poll
(so a client always sees at least one ``InProgress``), or once ``max_seconds`` have passed since it
started even if nobody polls (a client that gave up polling still converges). Completing runs the
operation's ``complete`` callback exactly once, under the emulator lock (that is where the resource
turns ``Succeeded`` or is removed). Both URLs carry the api-version of the request that started it.

Wire shapes (the ones azure-core's ARM pollers read):

- ``.../operationStatuses/{id}``: always 200 ``{"id", "name", "status", "startTime"[, "endTime"]}``.
- ``.../operationResults/{id}``: 202 (+ ``Location`` and ``Retry-After``) while running; then for
  PUT/PATCH 200 with the resource body, for DELETE an empty 200.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from modelinfra.sandbox.arm.resource_type import Lro

_FORGET_AFTER = 3600.0


def utc_now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


@dataclass
class Operation:
    id: str
    verb: str
    resource_id: str
    complete: Callable[[], None]
    result: Callable[[], dict[str, Any] | None]
    started: float = field(default_factory=time.monotonic)
    start_time: str = field(default_factory=utc_now_iso)
    end_time: str | None = None
    polls: int = 0
    status: str = "InProgress"

    @property
    def done(self) -> bool:
        return self.status != "InProgress"


class Operations:
    """The table of operations; all methods expect the caller to hold the emulator lock."""

    def __init__(self, min_polls: int = 1, max_seconds: float = 1.0):
        self.min_polls = min_polls
        self.max_seconds = max_seconds
        self._ops: dict[str, Operation] = {}
        self._lock = threading.RLock()

    def start(self, verb: str, resource_id: str, complete: Callable[[], None],
              result: Callable[[], dict[str, Any] | None]) -> Operation:
        op = Operation(uuid.uuid4().hex, verb, resource_id, complete, result)
        with self._lock:
            self._ops[op.id] = op
        return op

    def get(self, op_id: str) -> Operation | None:
        with self._lock:
            return self._ops.get(op_id)

    def poll(self, op_id: str) -> Operation | None:
        """Count one status poll and complete the operation when it is due."""
        with self._lock:
            op = self._ops.get(op_id)
            if op is None:
                return None
            op.polls += 1
            if not op.done and op.polls > self.min_polls:
                self._finish(op)
            return op

    def settle(self) -> None:
        """Complete every operation older than ``max_seconds``; forget finished ones after an hour."""
        with self._lock:
            now = time.monotonic()
            for op in list(self._ops.values()):
                if not op.done and now - op.started >= self.max_seconds:
                    self._finish(op)
                elif op.done and now - op.started > _FORGET_AFTER:
                    del self._ops[op.id]

    def finish_pending(self, resource_id: str) -> None:
        """Complete now the running operation on ``resource_id``, if any (a newer write supersedes it)."""
        with self._lock:
            op = self.pending_for(resource_id)
            if op is not None:
                self._finish(op)

    def pending_for(self, resource_id: str) -> Operation | None:
        key = resource_id.lower()
        with self._lock:
            return next((o for o in self._ops.values() if not o.done and o.resource_id.lower() == key), None)

    def _finish(self, op: Operation) -> None:
        op.status = "Succeeded"
        op.end_time = utc_now_iso()
        op.complete()


def operation_urls(base_url: str, subscription_id: str, namespace: str, location: str, op_id: str,
                   api_version: str) -> tuple[str, str]:
    """(status URL for Azure-AsyncOperation, result URL for Location)."""
    root = f"{base_url}/subscriptions/{subscription_id}/providers/{namespace}/locations/{location or 'global'}"
    suffix = f"{op_id}?api-version={api_version}"
    return f"{root}/operationStatuses/{suffix}", f"{root}/operationResults/{suffix}"


def lro_headers(lro: Lro, status_url: str, result_url: str, retry_after: int) -> dict[str, str]:
    headers = {"Location": result_url, "Retry-After": str(retry_after)}
    if lro.style == "async":
        headers["Azure-AsyncOperation"] = status_url
    return headers


def status_body(op: Operation, status_url: str) -> dict[str, Any]:
    body: dict[str, Any] = {"id": status_url.split("?", 1)[0], "name": op.id, "status": op.status,
                            "startTime": op.start_time}
    if op.end_time:
        body["endTime"] = op.end_time
    return body
