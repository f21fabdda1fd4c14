"""Where a no-op plan of N resources spends its time, so the per-resource cost can be watched:
requests, wall, latency part and modelinfra CPU per resource, for

- the engine alone (``fake``): N ``fake.node`` resources in the in-memory fake provider, each
  referencing one root (no network, no SDK: what is left is the engine's own cost);
- the ARM emulator (``arm``): N - 1 managed disks and their resource group, through the real Azure
  SDK, with ``--latency`` added to every call. The emulator runs in a child process, so this
  process's CPU time is modelinfra's (and the SDK's) alone.

Both plans run in this process through ``workflow.plan`` after a warm-up plan (imports, SDK
clients). "Latency part" = wall of the plan minus wall of the same plan with ``--no-refresh``;
its model is ceil(requests / parallelism) x latency. Timings live here and never in tests.

    .venv/bin/python benchmarks/plan_profile.py                       # 1,000 resources, 50 ms, both
    .venv/bin/python benchmarks/plan_profile.py --only arm --profile  # + where the CPU goes (cProfile)
    .venv/bin/python benchmarks/plan_profile.py --root /work/main     # another checkout's source tree
"""

from __future__ import annotations

import argparse
import cProfile
import math
import os
import pstats
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from emulators import child_arm_emulator
from run import disk_spec  # benchmarks/run.py: the same disk stack as its ARM row

ROOT = Path(__file__).resolve().parents[1]
def fake_resources(count: int) -> dict[str, dict[str, Any]]:
    spec: dict[str, dict[str, Any]] = {"root": {"properties": {"name": "root"}}}
    for i in range(count - 1):
        spec[f"r{i}"] = {"properties": {"name": f"r{i}", "label": "${root.uid}", "tags": {"i": str(i)}}}
    return spec


class Profiler:
    """cProfile of the calling thread and of every thread started while it is on (refresh workers)."""

    def __init__(self) -> None:
        self.profiles: list[cProfile.Profile] = []

    def __enter__(self) -> Profiler:
        def hook(*_: Any) -> None:  # a new thread's first profile event: hand it its own cProfile
            profile = cProfile.Profile()
            self.profiles.append(profile)
            profile.enable()

        threading.setprofile(hook)
        self.profiles.append(cProfile.Profile())
        self.profiles[-1].enable()
        return self

    def __exit__(self, *_: Any) -> None:
        threading.setprofile(None)  # type: ignore[arg-type]
        for profile in self.profiles:
            profile.disable()  # only stops this thread's; the pool's threads are gone by now

    def print(self, lines: int = 40) -> None:
        pstats.Stats(*self.profiles).sort_stats("cumulative").print_stats(lines)


class Measured:
    """Wall and CPU seconds (all threads of this process) of one call, optionally profiled."""

    def __init__(self, fn: Any, profiler: Profiler | None = None):
        cpu, start = time.process_time(), time.perf_counter()
        if profiler is not None:
            with profiler:
                self.value = fn()
        else:
            self.value = fn()
        self.wall = time.perf_counter() - start
        self.cpu = time.process_time() - cpu


def report(label: str, count: int, requests: int, plan: Measured, bare: Measured, parallelism: int,
           latency: float) -> None:
    part = max(0.0, plan.wall - bare.wall)
    model = math.ceil(requests / parallelism) * latency
    print(f"{label}: {count} unchanged resources, {requests} requests ({requests / count:.3f}/resource)")
    print(f"  wall {plan.wall:.2f} s; --no-refresh {bare.wall:.2f} s; latency part {part:.2f} s "
          f"(model ceil({requests}/{parallelism}) x {latency * 1000:.0f} ms = {model:.2f} s)")
    print(f"  CPU {plan.cpu:.2f} s = {1000 * plan.cpu / count:.3f} ms/resource "
          f"(--no-refresh {bare.cpu:.2f} s = {1000 * bare.cpu / count:.3f} ms/resource)")
    if latency and count > 1:
        one_get = math.ceil(count / 10) * latency
        print(f"  vs one GET each at parallelism 10 ({one_get:.2f} s): "
              + (f"{one_get / part:.1f}x faster" if part > latency / 2 else "n/a (below the noise)"))


def run_fake(count: int, parallelism: int, profile: Profiler | None) -> None:
    from tests.fakes.provider import FakeCloud
    from tests.fakes.stack import fake_stack

    from modelinfra.engine import workflow
    from modelinfra.engine.executor import Executor
    from modelinfra.engine.planner import make_plan
    from modelinfra.settings import Settings

    settings = Settings(parallelism=parallelism, engine_retries=0)
    with tempfile.TemporaryDirectory() as tmp:
        cloud = FakeCloud()
        stack = fake_stack(Path(tmp), cloud, fake_resources(count), settings=settings)
        with stack.manager.lock("apply"):
            state = stack.manager.refresh(stack.spec.name)
            first, _ = make_plan(stack.run, state)
            Executor(stack.run, first, stack.manager, state).apply()
        workflow.plan(stack)  # warm-up
        bare = Measured(lambda: workflow.plan(stack, refresh=False))
        cloud.clear_log()
        plan = Measured(lambda: workflow.plan(stack), profile)
        assert not plan.value.has_changes, "the fake no-op plan has changes"
        report("fake provider (engine alone)", count, len(cloud.ops("read")), plan, bare, parallelism, 0.0)


def run_arm(count: int, parallelism: int, latency: float, profile: Profiler | None) -> None:
    from modelinfra.engine import workflow
    from modelinfra.settings import Settings

    with child_arm_emulator(Path(sys.path[0])) as arm:
        os.environ["MODELINFRA_AZURE_ENDPOINT"] = arm.url
        settings = Settings(parallelism=parallelism)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "disks.yaml"
            path.write_text(disk_spec("bench-disks", count))
            stack = workflow.open_stack(path, settings=settings)
            workflow.apply(stack, confirm=lambda _: True)
            arm.faults(latency=latency)
            stack = workflow.open_stack(path, settings=settings)
            workflow.plan(stack)  # warm-up: imports, SDK clients, connections
            bare = Measured(lambda: workflow.plan(stack, refresh=False))
            plan = Measured(lambda: workflow.plan(stack), profile)
            assert not plan.value.has_changes, "the ARM no-op plan has changes"
            requests = (plan.value.statistics or {}).get("requests", 0)
            report(f"ARM emulator, {latency * 1000:.0f} ms per call", count, requests, plan, bare, parallelism,
                   latency)
            arm.faults()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000, help="resources of each no-op plan")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the ARM emulator adds to every call")
    parser.add_argument("--parallelism", type=int, default=16)
    parser.add_argument("--only", choices=("fake", "arm"), help="only one of the two plans")
    parser.add_argument("--profile", action="store_true", help="print where the plan's CPU goes (cProfile of "
                        "every thread)")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout whose src/ and tests/fakes to measure")
    args = parser.parse_args()
    sys.path[:0] = [str(args.root / "src"), str(args.root)]
    import modelinfra

    print(f"modelinfra from {Path(modelinfra.__file__).parent}")
    for kind in ("fake", "arm"):
        if args.only not in (None, kind):
            continue
        profile = Profiler() if args.profile else None
        if kind == "fake":
            run_fake(args.count, args.parallelism, profile)
        else:
            run_arm(args.count, args.parallelism, args.latency, profile)
        if profile is not None:
            profile.print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
