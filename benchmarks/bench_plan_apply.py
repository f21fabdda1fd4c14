"""Plan/apply/drift at scale against the ARM emulator with injected latency.

Measures wall time for N resource groups + N storage accounts at several parallelism settings,
through the installed CLI (what users run). Not part of the test suite: timings belong here, never
in tests. Usage:

    .venv/bin/python benchmarks/bench_plan_apply.py --count 40 --latency 0.05 --parallelism 1 4 16
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent / "modelinfra"
SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"


def spec_text(count: int, tag: str) -> str:
    lines = ["version: 1", "name: bench", "providers:", "  azure:", f"    subscription_id: {SUBSCRIPTION}",
             "resources:"]
    for i in range(count):
        lines += [f"  rg{i}:", "    type: azure.resource_group",
                  f"    properties: {{name: bench-{tag}-{i}, location: westus}}",
                  f"  sa{i}:", "    type: azure.storage_account",
                  f"    properties: {{name: b{tag}{i}, resource_group: \"${{rg{i}.name}}\", location: westus}}"]
    return "\n".join(lines) + "\n"


def timed(*args: str, env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run([str(BIN), *args], env=env, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"modelinfra {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=40, help="resource groups (each with one storage account)")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every ARM request")
    parser.add_argument("--parallelism", type=int, nargs="+", default=[1, 4, 16])
    args = parser.parse_args()

    from modelinfra.sandbox.arm import start_arm_emulator

    with start_arm_emulator() as arm:
        arm.handle.faults.configure(latency=args.latency)
        print(f"{args.count * 2} resources, {args.latency * 1000:.0f} ms per ARM call")
        print(f"{'parallelism':>11} {'apply':>8} {'plan':>8} {'drift':>8} {'destroy':>8}")
        for parallelism in args.parallelism:
            env = {**os.environ, "MODELINFRA_AZURE_ENDPOINT": arm.url, "MODELINFRA_PARALLELISM": str(parallelism)}
            with tempfile.TemporaryDirectory() as tmp:
                cwd = Path(tmp)
                (cwd / "bench.yaml").write_text(spec_text(args.count, f"p{parallelism}"))
                apply = timed("apply", "bench.yaml", "--auto-approve", env=env, cwd=cwd)
                plan = timed("plan", "bench.yaml", env=env, cwd=cwd)
                drift = timed("drift", "bench.yaml", env=env, cwd=cwd)
                destroy = timed("destroy", "bench.yaml", "--auto-approve", env=env, cwd=cwd)
            print(f"{parallelism:>11} {apply:>7.1f}s {plan:>7.1f}s {drift:>7.1f}s {destroy:>7.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
