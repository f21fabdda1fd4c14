"""Remote state per action: what making one action durable costs, at a state of 100 and of 1,000
resources, for the local, s3 and azure_blob backends, through the backend API (``StateManager.record``,
as the executor calls it) against moto server and Azurite, side by side in one run:

- *full write*: the same backend with its ``StateJournal`` capability hidden, so the manager writes
  the whole state per action (what azure_blob did before its journal);
- *journal*: one record per action, as shipped.

Each action is a resource created (its ``create_pending`` record, then its ``ready`` one): the
figures are per record. Requests and bytes are counted on the wire by a loopback proxy in front of
moto server / Azurite (request line, headers and body sent; everything received). For local state
"requests" are the files written (the journal appended, or the state file rewritten) and bytes
what they grew or were rewritten by. Nothing here is timed: the counts do not depend on the load.

    .venv/bin/python benchmarks/remote_state.py            # 100 and 1,000 resources, 20 records each
    .venv/bin/python benchmarks/remote_state.py --records 40
"""

from __future__ import annotations

import argparse
import http.client
import os
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from modelinfra.state import LocalBackend, ResourceState, State, StateManager  # noqa: E402


class Counter:
    """A loopback HTTP proxy to ``upstream`` that counts requests and bytes both ways."""

    def __init__(self, upstream: str):
        target = urlsplit(upstream)
        self.requests = self.sent = self.received = 0
        counter, lock = self, threading.Lock()

        class Forward(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
                pass

            def relay(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
                try:
                    upstream.request(self.command, self.path, body=body, headers=dict(self.headers.items()))
                    reply = upstream.getresponse()
                    data = reply.read()
                finally:
                    upstream.close()
                headers = [(k, v) for k, v in reply.getheaders()
                           if k.lower() not in ("transfer-encoding", "connection", "content-length")]
                with lock:
                    counter.requests += 1
                    counter.sent += len(self.requestline) + len(str(self.headers)) + len(body)
                    counter.received += len(data) + sum(len(k) + len(v) + 4 for k, v in headers)
                self.send_response(reply.status)
                for key, value in headers:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = relay  # noqa: N815 - stdlib names

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{target.path}"

    def totals(self) -> tuple[int, int, int]:
        return self.requests, self.sent, self.received


class FullWrites:
    """A backend without its journal: the manager writes the whole state per action."""

    def __init__(self, backend: Any):
        self.backend, self.path = backend, backend.path

    def read(self) -> State | None:
        return self.backend.read()  # type: ignore[no-any-return]

    def write(self, state: State) -> None:
        self.backend.write(state)

    def lock(self, operation: str, timeout: float = 0.0) -> Any:
        return self.backend.lock(operation, timeout)

    def unlock(self) -> None:
        self.backend.unlock()

    def force_unlock(self, lock_id: str | None = None) -> bool:
        return self.backend.force_unlock(lock_id)  # type: ignore[no-any-return]


def entry(name: str, status: str) -> ResourceState:
    return ResourceState("aws.s3_object", f"bucket/{name}", {"bucket": "bucket", "key": f"m/{name}.bin",
                                                              "etag": "0" * 32, "size": 1024}, ["bucket"], status)


def measure(open_backend: Callable[[], Any], totals: Callable[[], tuple[int, int, int]], size: int,
            records: int) -> tuple[float, float, float]:
    """(requests, bytes sent, bytes received) per record over a stored state of ``size``."""
    state = State.new("bench")
    for i in range(size):
        state.resources[f"r{i}"] = entry(f"r{i}", "ready")
    StateManager(open_backend()).persist(state)
    manager = StateManager(open_backend())
    state = manager.read()
    assert state is not None
    spent = [0, 0, 0]
    last = totals()
    for i in range(records // 2):
        for status in ("create_pending", "ready"):
            state.resources[f"new{i}"] = entry(f"new{i}", status)
            manager.record(state, [f"new{i}"])
            now = totals()  # after each record: local state is sampled file by file
            spent = [s + b - a for s, a, b in zip(spent, last, now, strict=True)]
            last = now
    return spent[0] / records, spent[1] / records, spent[2] / records


def local_totals(directory: Path) -> Callable[[], tuple[int, int, int]]:
    """Files written and bytes: the journal's growth, or each rewrite of the state file."""
    seen: dict[str, tuple[int, int, int]] = {}
    count = [0, 0]

    def totals() -> tuple[int, int, int]:
        for path in directory.iterdir():
            info = path.stat()
            key = (info.st_ino, info.st_mtime_ns, info.st_size)
            old = seen.get(path.name)
            if old != key:
                grew = info.st_size - old[2] if old and old[0] == info.st_ino and path.name.endswith(".journal") else info.st_size
                count[0] += 1
                count[1] += grew
                seen[path.name] = key
        return count[0], count[1], 0

    return totals


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20, help="records per measurement (even)")
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    from azure.storage.blob import BlobServiceClient

    from modelinfra.sandbox.aws import start_aws_emulator
    from modelinfra.sandbox.azurite import ACCOUNT_KEY, ACCOUNT_NAME, AZURITE_API_VERSION, start_azurite
    from modelinfra.state.backends.azure_blob import AzureBlobBackend
    from modelinfra.state.backends.s3 import S3Backend

    key = {"account_name": ACCOUNT_NAME, "account_key": ACCOUNT_KEY}
    rows: list[tuple[str, str, int, tuple[float, float, float]]] = []
    with start_aws_emulator() as aws, start_azurite() as azurite, tempfile.TemporaryDirectory() as tmp:
        s3_proxy, blob_proxy = Counter(aws.url), Counter(azurite.extra["blob_endpoint"])
        import boto3

        boto3.client("s3", endpoint_url=aws.url, region_name="us-east-1").create_bucket(Bucket="bench-state")
        BlobServiceClient(azurite.extra["blob_endpoint"], credential=key,
                          api_version=AZURITE_API_VERSION).create_container("bench-state")
        for size in (100, 1000):
            for mode in ("full write", "journal"):
                wrap = FullWrites if mode == "full write" else (lambda backend: backend)
                name = f"{size}-{mode.replace(' ', '-')}-{uuid.uuid4().hex[:6]}.state.json"
                directory = Path(tmp) / name
                directory.mkdir()
                openers: list[tuple[str, Callable[[], Any], Callable[[], tuple[int, int, int]]]] = [
                    ("local", lambda d=directory, wrap=wrap: wrap(LocalBackend(d / "s.state.json")), local_totals(directory)),
                    ("s3", lambda n=name, wrap=wrap: wrap(S3Backend("bench-state", n, region="us-east-1",
                                                         endpoint_url=s3_proxy.url)), s3_proxy.totals),
                    ("azure_blob", lambda n=name, wrap=wrap: wrap(AzureBlobBackend(blob_proxy.url, "bench-state", n, credential=key,
                                                                        api_version=AZURITE_API_VERSION)),
                     blob_proxy.totals),
                ]
                for kind, opener, totals in openers:
                    rows.append((kind, mode, size, measure(opener, totals, size, args.records)))
    print(f"per record ({args.records} records: {args.records // 2} creates, create_pending then ready)\n")
    print(f"| {'backend':<10} | {'per action':<10} | {'state':>5} | {'requests':>8} | {'bytes sent':>10} | {'bytes received':>14} |")
    print(f"|{'-' * 12}|{'-' * 12}|{'-' * 7}|{'-' * 10}|{'-' * 12}|{'-' * 16}|")
    for kind, mode, size, (requests, sent, received) in sorted(rows, key=lambda r: (r[0], r[1], r[2])):
        shown = f"{received:>14,.0f}" if kind != "local" else f"{'—':>14}"
        print(f"| {kind:<10} | {mode:<10} | {size:>5,} | {requests:>8.2f} | {sent:>10,.0f} | {shown} |")
    print("\nlocal: requests = files written (the journal appended, or the state rewritten), bytes = bytes written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
