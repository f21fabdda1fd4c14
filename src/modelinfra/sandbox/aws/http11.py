"""HTTP/1.1 with persistent connections for the AWS emulator, as S3 and every AWS endpoint serve.

werkzeug's development server answers every request with ``Connection: close`` (its request
handler cannot find the end of a request body, so it drains the socket and hangs up), which makes
every SDK call open a new TCP connection -- a cost no client pays against AWS. This handler keeps a
connection open between requests, which needs each message framed exactly:

- the request body is read to its end (``Content-Length`` bytes, or the last chunk of a chunked
  body) whatever the application read of it, so the next request line is where the socket is;
- a response that has a body carries its ``Content-Length`` (the application's) or is sent
  chunked; a response that has none -- to HEAD (it keeps GET's headers, ``Content-Length``
  included), 1xx, 204, 304 -- never sends a byte of body, whatever the application yields;
- the connection is closed when the client asks (``Connection: close``, HTTP/1.0), when a response
  cannot be framed (fewer bytes than its ``Content-Length``, an error after the headers went out),
  and after ``IDLE_TIMEOUT`` seconds without a request.

``EmulatorServer`` counts requests served and connections accepted (benchmarks read them) and
closes the connections still open when it stops, so no handler thread outlives the server.
"""

from __future__ import annotations

import io
import socket
import threading
from typing import Any

from moto.moto_server.werkzeug_app import MotoRequestHandler
from werkzeug.exceptions import InternalServerError
from werkzeug.serving import ThreadedWSGIServer

IDLE_TIMEOUT = 60.0
"""Seconds an idle persistent connection stays open (clients reopen a dropped one)."""
NO_BODY = frozenset({204, 304})
DRAIN_CHUNK = 1 << 20


class RequestBody(io.RawIOBase):
    """A request body of ``length`` bytes (None: a self-terminating, dechunked stream) that
    knows how much of it is still unread, so the server can skip to the next request."""

    def __init__(self, stream: Any, length: int | None):
        self._stream = stream
        self._left = length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)
        if self._left is not None:
            if self._left <= 0:
                return 0
            view = view[: self._left]
        count = self._stream.readinto(view) or 0
        if self._left is not None:
            if count == 0:
                raise ConnectionError("client closed the connection inside a request body")
            self._left -= count
        return count

    def readline(self, size: int | None = -1) -> bytes:
        limit = -1 if size is None else size
        if self._left is not None:
            if self._left <= 0:
                return b""
            limit = self._left if limit < 0 else min(limit, self._left)
        line = self._stream.readline(limit)
        if self._left is not None:
            self._left -= len(line)
        return line

    def drain(self) -> None:
        """Read and discard what is left of the body."""
        buffer = bytearray(DRAIN_CHUNK)
        while self.readinto(buffer):
            pass


class KeepAliveRequestHandler(MotoRequestHandler):
    """moto's request handler (underscored S3 metadata headers kept), speaking persistent HTTP/1.1."""

    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    server: EmulatorServer

    def setup(self) -> None:
        super().setup()
        self.server.opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.closed(self.connection)

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
        if "timed out" not in format % args:  # an idle connection reaching IDLE_TIMEOUT is no error
            super().log_error(format, *args)

    def run_wsgi(self) -> None:
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        if self.request_version < "HTTP/1.1":
            self.close_connection = True
        self.server.served()
        environ = self.environ = self.make_environ()
        chunked = bool(environ.get("wsgi.input_terminated"))
        length = None if chunked else int(environ.get("CONTENT_LENGTH") or 0)
        body = RequestBody(environ["wsgi.input"], length)
        environ["wsgi.input"] = body
        response = _Response(self, environ)
        try:
            try:
                response.execute(self.server.app)
            except (ConnectionError, TimeoutError):
                raise
            except Exception as exc:  # noqa: BLE001 - answered as a 500 when still possible, as werkzeug does
                from werkzeug.debug.tbtools import DebugTraceback

                self.server.log("error", f"Error on request:\n{DebugTraceback(exc).render_traceback_text()}")
                if response.headers_sent:
                    self.close_connection = True
                    return
                response.reset()
                response.execute(InternalServerError())
            body.drain()
        except (OSError, ValueError):  # the client went away, or sent a body shorter than it said
            self.close_connection = True


class _Response:
    """One response on a persistent connection: framed by Content-Length or chunks, or bodiless."""

    def __init__(self, handler: KeepAliveRequestHandler, environ: dict[str, Any]):
        self.handler = handler
        self.environ = environ
        self.reset()

    def reset(self) -> None:
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.headers_sent = False
        self.chunked = False
        self.bodiless = False
        self.promised: int | None = None
        self.written = 0

    def start_response(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if exc_info and self.headers_sent:
            raise exc_info[1].with_traceback(exc_info[2])
        self.status, self.headers = status, list(headers)
        return self.write

    def execute(self, app: Any) -> None:
        chunks = app(self.environ, self.start_response)
        try:
            for data in chunks:
                self.write(data)
            if not self.headers_sent:
                self.write(b"")
            if self.chunked:
                self.handler.wfile.write(b"0\r\n\r\n")
            elif self.promised is not None and self.written != self.promised and not self.bodiless:
                self.handler.close_connection = True  # the body is not what its Content-Length said
            self.handler.wfile.flush()
        finally:
            if hasattr(chunks, "close"):
                chunks.close()

    def write(self, data: bytes) -> None:
        assert self.status is not None, "write() before start_response"
        handler = self.handler
        if not self.headers_sent:
            self._send_headers()
        if not data or self.bodiless:
            return
        if self.chunked:
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        else:
            if self.promised is not None and self.written + len(data) > self.promised:
                data = data[: max(0, self.promised - self.written)]  # never past the frame
                handler.close_connection = True
            handler.wfile.write(data)
        self.written += len(data)

    def _send_headers(self) -> None:
        handler = self.handler
        assert self.status is not None
        code_text, _, message = self.status.partition(" ")
        code = int(code_text)
        self.bodiless = self.environ["REQUEST_METHOD"] == "HEAD" or code < 200 or code in NO_BODY
        handler.send_response(code, message)
        names = set()
        for name, value in self.headers:
            lowered = name.lower()
            if lowered in ("connection", "transfer-encoding"):
                continue  # this server frames the message and owns the connection
            if lowered == "content-length":
                self.promised = int(value)
            names.add(lowered)
            handler.send_header(name, value)
        if not self.bodiless and self.promised is None:
            self.chunked = True
            handler.send_header("Transfer-Encoding", "chunked")
        if handler.close_connection:
            handler.send_header("Connection", "close")
        handler.end_headers()
        self.headers_sent = True


class EmulatorServer(ThreadedWSGIServer):
    """werkzeug's threaded WSGI server with persistent connections, counted and closed on stop."""

    def __init__(self, host: str, port: int, app: Any, handler: type[KeepAliveRequestHandler]):
        super().__init__(host, port, app, handler=handler)
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self.requests_served = 0
        self.connections_opened = 0

    def opened(self, connection: socket.socket) -> None:
        with self._lock:
            self._open.add(connection)
            self.connections_opened += 1

    def closed(self, connection: socket.socket) -> None:
        with self._lock:
            self._open.discard(connection)

    def served(self) -> None:
        with self._lock:
            self.requests_served += 1

    def close_connections(self) -> None:
        """Hang up every connection still open (their handler threads then end)."""
        with self._lock:
            connections = list(self._open)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
