"""A loopback HTTP proxy in front of an emulator that can hold one request mid-flight.

``HoldingProxy(upstream, hold=predicate)`` forwards every request to ``upstream``; the first
request for which ``hold(method, path)`` is true is not forwarded: ``held`` is set and the
request waits until ``release()`` (then it is answered 503). A test uses it to freeze a CLI
process at an exact point of a handler call (e.g. after CreateBucket, before the bucket's
settings are written) and kill -9 it there: an event, not a sleep.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit


class HoldingProxy:
    def __init__(self, upstream: str, hold: Callable[[str, str], bool]):
        self.upstream = urlsplit(upstream)
        self.hold = hold
        self.held = threading.Event()
        self._release = threading.Event()
        self._taken = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def release(self) -> None:
        self._release.set()

    def __enter__(self) -> HoldingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()

    def _should_hold(self, method: str, path: str) -> bool:
        if self.held.is_set() or not self.hold(method, path):
            return False
        with self._taken:
            if self.held.is_set():
                return False
            self.held.set()
            return True

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
                pass

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if proxy._should_hold(self.command, self.path):
                    proxy._release.wait()
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                conn = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=60)
                try:
                    conn.request(self.command, self.path, body=body, headers=dict(self.headers))
                    reply = conn.getresponse()
                    data = reply.read()
                finally:
                    conn.close()
                self.send_response(reply.status)
                for key, value in reply.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward  # noqa: N815 - stdlib names

        return Handler
