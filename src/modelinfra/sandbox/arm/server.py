"""The HTTP front: a ThreadingHTTPServer that turns requests into engine calls.

Order per request: read the whole body (keep-alive stays in sync), answer ``/_emulator/*`` control
endpoints directly, otherwise count the request, sleep the injected latency (outside the lock),
apply the throttle/error verdict, then run the engine under the emulator lock. Every response has a
Content-Length; errors are ARM error bodies.

Control endpoints (never faulted nor counted): ``GET /_emulator/stats``, ``GET /_emulator/faults``,
``POST /_emulator/faults`` (JSON with :meth:`Faults.configure`'s fields; replaces the config),
``DELETE /_emulator/faults`` (reset).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from modelinfra.sandbox.arm.engine import Request, Response
from modelinfra.sandbox.arm.errors import ArmError

if TYPE_CHECKING:
    from modelinfra.sandbox.arm.emulator import ArmEmulator

log = logging.getLogger(__name__)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    emulator: ArmEmulator

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients dropping keep-alive connections is normal; log instead of printing tracebacks."""
        log.debug("connection from %s ended with an error", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._serve()

    do_PUT = do_PATCH = do_DELETE = do_POST = do_HEAD = do_GET

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        if split.path.startswith("/_emulator/"):
            self._send(self._control(split.path, raw))
            return
        emulator = self.server.emulator
        query = {k.lower(): v for k, v in parse_qsl(split.query, keep_blank_values=True)}
        request = Request(self.command, split.path, query, raw, emulator.url,
                          self.headers.get("Authorization") or "")
        self._send(emulator.serve(request))

    def _control(self, path: str, raw: bytes) -> Response:
        emulator = self.server.emulator
        try:
            if path == "/_emulator/stats" and self.command == "GET":
                return Response(200, emulator.stats())
            if path == "/_emulator/faults":
                if self.command == "POST":
                    emulator.faults.configure(**json.loads(raw or b"{}"))
                elif self.command == "DELETE":
                    emulator.faults.reset()
                return Response(200, emulator.faults.as_dict())
        except (TypeError, ValueError) as exc:
            return Response(400, {"error": {"code": "InvalidFaultConfiguration", "message": str(exc)}})
        return Response(404, {"error": {"code": "NotFound", "message": f"no control endpoint {path}"}})

    def _send(self, response: Response) -> None:
        payload = b"" if response.body is None else json.dumps(response.body).encode()
        self.send_response(response.status)
        request_id = str(uuid.uuid4())
        headers = {
            "x-ms-request-id": request_id,
            "x-ms-correlation-request-id": self.headers.get("x-ms-client-request-id") or request_id,
            **response.headers,
        }
        if payload:
            headers["Content-Type"] = "application/json; charset=utf-8"
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)


def serve(emulator: ArmEmulator, host: str, port: int) -> tuple[_Server, threading.Thread]:
    server = _Server((host, port), _Handler)
    server.emulator = emulator
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="arm-emulator",
                              daemon=True)
    thread.start()
    return server, thread


def error_response(exc: ArmError) -> Response:
    return Response(exc.status, exc.body(), dict(exc.headers))


def sleep(seconds: float) -> None:
    if seconds > 0:
        time.sleep(seconds)
