"""The ARM emulator in a child process, for benchmarks: its CPU (and GIL) is then not the measuring
process's, so neither an in-process plan's CPU time nor the latency part of a CLI plan is inflated by the
emulator's own work. Control goes over its HTTP endpoints (``/_emulator/faults``), as a test's would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SERVE = ("import sys\nfrom modelinfra.sandbox.arm import start_arm_emulator\n"
         "service = start_arm_emulator()\nprint(service.url, flush=True)\nsys.stdin.read()\nservice.stop()\n")


class ChildArm:
    """A running ARM emulator in a child process: ``url``, and :meth:`faults` to set its faults."""

    def __init__(self, url: str) -> None:
        self.url = url

    def faults(self, **config: Any) -> None:
        """Replace the emulator's fault config (``latency``, ``throttle_ratio``, ...); none resets it."""
        request = urllib.request.Request(f"{self.url}/_emulator/faults", data=json.dumps(config).encode(),
                                         method="POST", headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=10).read()


@contextmanager
def child_arm_emulator(src: Path | None = None) -> Iterator[ChildArm]:
    """Start the ARM emulator of ``src`` (default: this checkout's ``src``) in a child process; stop it
    (closing its stdin) on exit."""
    src = src or Path(__file__).resolve().parents[1] / "src"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")])}
    child = subprocess.Popen([sys.executable, "-c", SERVE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True, env=env)
    try:
        assert child.stdout is not None
        yield ChildArm(child.stdout.readline().strip())
    finally:
        if child.stdin is not None:
            child.stdin.close()
        child.wait(timeout=30)
