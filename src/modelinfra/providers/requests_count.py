"""How many HTTP attempts (retries included) this process has sent to the clouds, so a plan can
report requests per resource (``plan --json`` ``statistics``). Incremented by the Azure pipeline's
throttle policy and the botocore ``before-send`` hook; thread-safe."""

from __future__ import annotations

import threading

_lock = threading.Lock()
_sent = 0


def count_request() -> None:
    global _sent
    with _lock:
        _sent += 1


def requests_sent() -> int:
    with _lock:
        return _sent
