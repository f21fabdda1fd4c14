"""The ARM emulator object (``RunningService.handle``): store, operations, faults, counters."""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

from modelinfra.sandbox.arm.engine import Engine, Request, Response
from modelinfra.sandbox.arm.errors import ArmError, unauthenticated
from modelinfra.sandbox.arm.faults import Faults
from modelinfra.sandbox.arm.lro import Operations
from modelinfra.sandbox.arm.resource_type import EmulatorConfig, Family
from modelinfra.sandbox.arm.routing import Router
from modelinfra.sandbox.arm.server import error_response, sleep
from modelinfra.sandbox.arm.store import Store

log = logging.getLogger(__name__)

_BEARER = re.compile(r"^Bearer\s+\S+", re.IGNORECASE)


class ArmEmulator:
    """An in-memory Azure Resource Manager.

    ``faults``: see :class:`~modelinfra.sandbox.arm.faults.Faults`. ``request_count``: ARM requests
    received (control endpoints excluded), including faulted ones. ``lro_retry_after``: the integer
    ``Retry-After`` (seconds) on LRO responses; 0 lets azure-core pollers use their own interval.
    ``operations.min_polls`` / ``operations.max_seconds`` shape how long LROs run.
    """

    def __init__(self, families: tuple[Family, ...] | list[Family], config: EmulatorConfig,
                 lro_retry_after: int = 0):
        self.url = ""
        self.config = config
        self.store = Store()
        self.operations = Operations()
        self.faults = Faults()
        self.lro_retry_after = lro_retry_after
        self.router = Router(families)
        self.engine = Engine(self.router, self.store, self.operations, config, lambda: self.lro_retry_after)
        self._lock = threading.RLock()
        self._count_lock = threading.Lock()
        self.request_count = 0

    def serve(self, request: Request) -> Response:
        """Answer one ARM request: count it, refuse it without a bearer token (401, as ARM does;
        any token is accepted), inject faults, then run the engine atomically."""
        with self._count_lock:
            self.request_count += 1
        if not _BEARER.match(request.authorization):
            return error_response(unauthenticated(request.authorization))
        sleep(self.faults.config.latency)
        verdict = self.faults.decide()
        if verdict == "throttle":
            return Response(429, {"error": {"code": "TooManyRequests",
                                            "message": "The request was throttled (injected fault)."}},
                            {"Retry-After": self.faults.retry_after_header()})
        if verdict == "error":
            return Response(500, {"error": {"code": "InternalServerError",
                                            "message": "Encountered internal server error (injected fault)."}})
        try:
            with self._lock:
                return self.engine.handle(request)
        except ArmError as exc:
            return error_response(exc)
        except Exception as exc:  # a bug in the emulator: still answer like ARM would
            log.exception("ARM emulator failed on %s %s", request.method, request.path)
            return Response(500, {"error": {"code": "InternalServerError", "message": f"emulator bug: {exc!r}"}})

    def stats(self) -> dict[str, Any]:
        return {
            "request_count": self.request_count,
            "resources": len(self.store),
            "faults": self.faults.as_dict(),
            "injected": dict(self.faults.injected),
        }
