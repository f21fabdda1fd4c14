"""What the remote-state end-to-end tests of every backend share (issue 12's "done when"): two
checkouts standing for two machines (separate directories, ``MODELINFRA_HOSTNAME``), runs of the
installed CLI on one of them, a race of two applies, waiting for a run to reach a point before
killing it, and the pull/push refusals, which read the same on every backend.

A backend's test module supplies its spec text and a ``StateStore``: the stored state document as
the store holds it (raw, no journal replayed), the logical state (through the real backend client and
``StateManager``, journal replayed), and the host named by the current lock."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from modelinfra.state import State
from tests.e2e.cli import Result, modelinfra_executable, run_cli

FOREIGN_LINEAGE = "00000000-0000-4000-8000-000000000000"


class StateStore(Protocol):
    def document(self) -> dict[str, Any] | None:
        """The state document as stored (None: no state)."""

    def logical(self) -> State | None:
        """The state a reader sees (journal replayed), through the backend's own client."""

    def lock_host(self) -> str | None:
        """The host named by the current lock, None when unlocked."""


def checkout(root: Path, name: str, text: str) -> Path:
    """A fresh checkout: a directory with the spec and the model file, no .modelinfra."""
    directory = root / name
    directory.mkdir(exist_ok=True)
    (directory / "model.bin").write_bytes(b"weights " * 256)
    spec = directory / "stack.yaml"
    spec.write_text(text)
    return spec


@dataclass
class Machines:
    """Runs of the installed CLI as if on machine ``name``: its host name, a short lock TTL (renewed
    every ttl/3; backends with a floor, such as Azure's 15 s lease, clamp it) and the cloud's env."""

    env: dict[str, str]
    ttl: int = 6

    def environment(self, machine: str, ttl: int | None = None) -> dict[str, str]:
        return {**self.env, "MODELINFRA_HOSTNAME": machine, "MODELINFRA_LOCK_TTL": str(ttl or self.ttl)}

    def cli(self, spec: Path, machine: str, *args: str, ttl: int | None = None) -> Result:
        return run_cli(*args, env=self.environment(machine, ttl), cwd=spec.parent)

    def timed(self, spec: Path, machine: str, *args: str) -> tuple[Result, float]:
        started = time.monotonic()
        result = self.cli(spec, machine, *args)
        return result, time.monotonic() - started

    def start(self, spec: Path, machine: str, *args: str, ttl: int | None = None) -> subprocess.Popen[str]:
        return subprocess.Popen([modelinfra_executable(), *args], cwd=spec.parent, text=True,
                                env={**os.environ, "NO_COLOR": "1", **self.environment(machine, ttl)},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def race(self, specs: dict[str, Path], *args: str) -> tuple[str, str]:
        """Start ``args`` on every machine of ``specs`` at once; assert exactly one succeeds and the
        others fail naming the winner as the lock holder. Returns (winner, a loser's output)."""
        runs = {m: self.start(s, m, *args) for m, s in specs.items()}
        results = {m: (p.wait(180), p.stdout.read() + p.stderr.read()) for m, p in runs.items()}  # type: ignore[union-attr]
        winners = [m for m, (code, _) in results.items() if code == 0]
        assert len(winners) == 1, results
        losers = [(code, output) for m, (code, output) in results.items() if m != winners[0]]
        for code, output in losers:
            assert code == 1 and "state is locked by pid" in output and f"@{winners[0]})" in output, output
            assert "for 'apply' since" in output and "expires" in output, output
            assert "Traceback" not in output
        return winners[0], losers[0][1]


def wait_until(reached: Callable[[], bool], victim: subprocess.Popen[str], timeout: float = 90) -> None:
    """Poll ``reached`` until true, failing if ``victim`` ends first or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while not reached():
        assert victim.poll() is None, "the run ended before it reached the point to kill it at"
        assert time.monotonic() < deadline, "the run did not reach the point to kill it at"
        time.sleep(0.02)


def some_ready(store: StateStore, prefix: str) -> bool:
    """Whether the logical state has a ready resource whose address starts with ``prefix``."""
    state = store.logical()
    return state is not None and any(a.startswith(prefix) and e.status == "ready"
                                     for a, e in state.resources.items())


def check_pull_push_refusals(machines: Machines, spec: Path, store: StateStore) -> None:
    """``state pull`` prints the stored state; ``state push`` refuses a serial that is not newer and a
    foreign lineage (writing nothing) and accepts a newer serial of the same lineage."""
    remote = store.document()
    assert remote is not None
    pulled = machines.cli(spec, "a", "state", "pull", "stack.yaml")
    assert pulled.code == 0 and json.loads(pulled.stdout) == remote, pulled.output
    copy = spec.parent / "copy.json"
    copy.write_text(pulled.stdout)
    not_newer = machines.cli(spec, "a", "state", "push", "stack.yaml", "copy.json")
    assert not_newer.code == 1 and "not newer" in not_newer.stderr, not_newer.output
    copy.write_text(json.dumps({**remote, "lineage": FOREIGN_LINEAGE, "serial": remote["serial"] + 5}))
    foreign = machines.cli(spec, "a", "state", "push", "stack.yaml", "copy.json")
    assert foreign.code == 1 and "lineage" in foreign.stderr, foreign.output
    for refused in (not_newer, foreign):
        assert "Traceback" not in refused.output and len(refused.stderr.strip().splitlines()) == 1, refused.output
    assert store.document() == remote  # nothing was pushed
    copy.write_text(json.dumps({**remote, "serial": remote["serial"] + 1}))
    pushed = machines.cli(spec, "a", "state", "push", "stack.yaml", "copy.json")
    assert pushed.code == 0, pushed.output
    assert store.document()["serial"] == remote["serial"] + 1  # type: ignore[index]
