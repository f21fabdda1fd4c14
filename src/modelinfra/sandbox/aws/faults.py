"""Fault injection for the AWS emulator: added latency and throttling, as AWS answers it.

A WSGI middleware in front of moto consults a ``Faults`` switch (the ARM emulator's, same
semantics: deterministic, evenly spaced unless seeded). A throttled request gets the error its
service's protocol uses: S3 ``503 SlowDown`` (XML); JSON protocols (Backup, STS...) ``400
ThrottlingException``. Control: ``GET/POST/DELETE /_emulator/faults`` (JSON body with
``Faults.configure``'s fields), never faulted. moto never sees a throttled request.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from modelinfra.sandbox.arm.faults import Faults

_SERVICE = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/")

S3_THROTTLE = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
               b"<Message>Please reduce your request rate. (injected fault)</Message></Error>")


def service_of(environ: dict[str, Any]) -> str:
    """The SigV4 service name of a request (``s3``, ``backup``...); ``s3`` when unsigned."""
    found = _SERVICE.search(environ.get("HTTP_AUTHORIZATION", ""))
    return found.group(1) if found else "s3"


class FaultMiddleware:
    def __init__(self, app: Callable[..., Iterable[bytes]], faults: Faults | None = None):
        self.app = app
        self.faults = faults or Faults()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith("/_emulator/faults"):
            return self._control(environ, start_response)
        config = self.faults.config
        if config.latency:
            time.sleep(config.latency)
        if self.faults.decide() == "throttle":
            headers = [("Retry-After", self.faults.retry_after_header())] if config.retry_after else []
            if service_of(environ) == "s3":
                start_response("503 Slow Down", [("Content-Type", "application/xml"),
                                                  ("Content-Length", str(len(S3_THROTTLE))), *headers])
                return [S3_THROTTLE]
            body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded (injected fault)"}).encode()
            start_response("400 Bad Request", [("Content-Type", "application/x-amz-json-1.1"),
                                               ("Content-Length", str(len(body))),
                                               ("x-amzn-ErrorType", "ThrottlingException"), *headers])
            return [body]
        return self.app(environ, start_response)

    def _control(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(length) if length else b"{}"
            self.faults.configure(**json.loads(raw or b"{}"))
        elif method == "DELETE":
            self.faults.reset()
        body = json.dumps({**self.faults.as_dict(), "injected": dict(self.faults.injected)}).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]
