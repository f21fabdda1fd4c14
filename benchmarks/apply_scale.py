"""Engine-only apply cost at scale: N and 4N creates through the in-memory fake provider (no
network, no SDK), with a real local state file and its journal. Shows that the cost per action is
flat (durability is one journal append, not a rewrite of the whole state). Timings live here and
never in tests.

    .venv/bin/python benchmarks/apply_scale.py                  # 200 and 800 creates
    .venv/bin/python benchmarks/apply_scale.py --count 1000     # 1,000 and 4,000
    .venv/bin/python benchmarks/apply_scale.py --profile        # + cProfile of every action (all threads)
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.fakes.provider import FakeCloud  # noqa: E402
from tests.fakes.stack import fake_stack  # noqa: E402

from modelinfra.engine.executor import Executor  # noqa: E402
from modelinfra.engine.planner import make_plan  # noqa: E402


def resources(count: int) -> dict[str, dict]:
    """``count`` creates that each reference one root (so each is evaluated against state)."""
    spec = {"root": {"properties": {"name": "root"}}}
    for i in range(count):
        spec[f"r{i}"] = {"properties": {"name": f"r{i}", "label": "${root.uid}", "tags": {"i": str(i)}}}
    return spec


class _Profiled(Executor):
    """An executor whose actions run under one cProfile per worker thread."""

    profiles: dict[int, cProfile.Profile] = {}

    def _execute(self, step, changes):  # type: ignore[no-untyped-def]
        profile = self.profiles.setdefault(threading.get_ident(), cProfile.Profile())
        profile.enable()
        try:
            super()._execute(step, changes)
        finally:
            profile.disable()


def apply_seconds(count: int, profile: bool = False) -> float:
    """Wall seconds of plan + apply of ``count`` + 1 creates into an empty state."""
    with tempfile.TemporaryDirectory() as tmp:
        stack = fake_stack(Path(tmp), FakeCloud(), resources(count))
        start = time.perf_counter()
        with stack.manager.lock("apply"):
            state = stack.manager.refresh(stack.spec.name)
            plan, _ = make_plan(stack.run, state)
            (_Profiled if profile else Executor)(stack.run, plan, stack.manager, state).apply()
        return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="print where the time of the 4N actions goes")
    args = parser.parse_args()
    n = args.count
    apply_seconds(20)  # warm up imports and caches
    small = apply_seconds(n)
    _Profiled.profiles.clear()
    large = apply_seconds(4 * n, profile=args.profile)
    print(f"apply, {n} fake creates: {small:.2f} s ({small / n * 1000:.2f} ms per action)")
    print(f"apply, {4 * n} fake creates: {large:.2f} s ({large / (4 * n) * 1000:.2f} ms per action)")
    print(f"ratio 4x resources: {large / small:.2f}x (linear: <= 4.5x)")
    if args.profile:
        pstats.Stats(*_Profiled.profiles.values()).sort_stats("cumulative").print_stats(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
