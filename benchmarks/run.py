"""The rows of issue 14's table, through the installed CLI, side by side in one run, each figure beside
its model. moto server (AWS) runs in this process, the ARM emulator in a child process (its CPU is then not
moto's nor this process's: see ``emulators.py``), both with injected latency. Timings live here and never
in tests.

    .venv/bin/python benchmarks/run.py            # the full table (slow: 1,000 and 10,000 resources)
    .venv/bin/python benchmarks/run.py --quick    # a small version (minutes)
    .venv/bin/python benchmarks/run.py --quick --bin ../main/.venv/bin/modelinfra   # another build, same rows
    .venv/bin/python benchmarks/run.py --quick --rows apply plan-aws   # only some rows (names: ROWS)

Rows: ``--help``; ``validate`` at two sizes; ``apply`` of N S3 object creates at a per-call latency
(model ceil(N/parallelism) x 3 calls x RTT); ``apply`` at 0 ms at N and 4N (linear: <= 4.5x), and the same through the engine alone
(``apply_scale.py``: fake provider, no network: per-action cost flat);
``plan`` of N unchanged objects (model ceil(requests/parallelism) x RTT + start-up), the marginal
CPU of a HEAD beside plain boto3's (``sdk_floor.py``); ``plan`` of many
new resources (peak RSS); a 50 % throttled ARM plan (must succeed).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from emulators import child_arm_emulator

BIN = Path(sys.executable).parent / "modelinfra"
ROWS = ("help", "validate", "apply", "plan-aws", "plan-arm", "linear", "engine", "new", "throttle")
SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"


def s3_spec(name: str, objects: int, versioned: bool = False) -> str:
    versioning = ", versioning: true" if versioned else ""
    lines = ["version: 1", f"name: {name}", "providers:", "  aws:", "    region: us-east-1", "resources:",
             "  bucket:", "    type: aws.s3_bucket", f"    properties: {{name: {name}, force_destroy: true{versioning}}}"]
    for i in range(objects):
        lines += [f"  o{i}:", "    type: aws.s3_object",
                  f"    properties: {{bucket: '${{bucket.name}}', key: 'm/{i}.bin', source: ./model.bin}}"]
    return "\n".join(lines) + "\n"


def bucket_spec(name: str, buckets: int) -> str:
    lines = ["version: 1", f"name: {name}", "providers:", "  aws:", "    region: us-east-1", "resources:"]
    for i in range(buckets):
        lines += [f"  b{i}:", "    type: aws.s3_bucket", f"    properties: {{name: {name}-{i}, versioning: true}}"]
    return "\n".join(lines) + "\n"


def disk_spec(name: str, disks: int) -> str:
    lines = ["version: 1", f"name: {name}", "providers:", "  azure:", f"    subscription_id: {SUBSCRIPTION}",
             "resources:", "  rg:", "    type: azure.resource_group", f"    properties: {{name: {name}, location: westus}}"]
    for i in range(disks - 1):
        lines += [f"  d{i}:", "    type: azure.managed_disk",
                  f"    properties: {{name: d{i}, resource_group: '${{rg.name}}', location: westus, sku: Standard_LRS,"
                  " create_option: Empty, size_gb: 4}"]
    return "\n".join(lines) + "\n"


def run(*args: str, env: dict[str, str], cwd: Path, check: bool = True) -> tuple[float, float, int]:
    """(wall seconds, child CPU seconds, peak RSS MiB of the child)."""
    wall, cpu, rss, _ = run_out(*args, env=env, cwd=cwd, check=check)
    return wall, cpu, rss


def run_out(*args: str, env: dict[str, str], cwd: Path, check: bool = True) -> tuple[float, float, int, str]:
    """(wall seconds, child CPU seconds, peak RSS MiB of the child, its stdout). The peak RSS is the
    largest of any child so far (getrusage): run the biggest last or read it as an upper bound."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([str(BIN), *args], env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if check and proc.returncode not in (0, 2):
        raise SystemExit(f"modelinfra {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, int(after.ru_maxrss / 1024), proc.stdout


def peak_rss(*args: str, env: dict[str, str], cwd: Path) -> tuple[float, int]:
    """(wall seconds, peak RSS MiB) of one CLI run, measured by a fresh parent whose only child it is
    (``RUSAGE_CHILDREN`` of this process would report the biggest child so far)."""
    probe = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
             "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True); "
             "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe, str(BIN), *args], env=env, cwd=cwd, capture_output=True,
                         text=True, check=True).stdout.split()
    return float(out[0]), int(int(out[1]) / 1024)


def no_op_plan(label: str, spec: str, env: dict[str, str], cwd: Path, p: int, rtt: float,
               sequential: bool = False) -> tuple[int, float]:
    """A no-op plan's requests (``plan --json`` statistics), its wall time beside the model
    ceil(requests / parallelism) x RTT + start-up (``sequential``: requests x RTT, for a plan whose
    requests are one chain, as the pages of one list are: each page's ``nextLink`` is the next request),
    the latency part beside one GET per resource at
    Terraform's ``--parallelism 10``, and its refresh CPU (beyond a ``--no-refresh`` plan's: SDK
    session set-up included). Returns (requests, refresh CPU seconds)."""
    starts, cpus = [], []
    for _ in range(2):  # start-up: the quicker of two --no-refresh plans (no request at all)
        start, base_cpu, _, _ = run_out("plan", spec, "--json", "--no-refresh", env=env, cwd=cwd)
        starts.append(start)
        cpus.append(base_cpu)
    start, base_cpu = min(starts), min(cpus)
    wall, cpu, _, out = run_out("plan", spec, "--json", env=env, cwd=cwd)
    stats = json.loads(out)["statistics"]
    requests, resources = stats["requests"], stats["resources"]
    model = (requests if sequential else math.ceil(requests / p)) * rtt
    refresh_cpu = cpu - base_cpu
    row(f"plan, {label}", f"{requests} requests ({requests / resources:.2f}/res)",
        f"one read each: >= {resources}")
    row("    wall / latency part", f"{wall:.2f} s / {max(0.0, wall - start):.2f} s",
        f"model {model:.2f} s{' (one chain)' if sequential else ''} + start-up {start:.2f} s; goal <= {1.5 * model:.2f} s + start-up")
    terraform = math.ceil(resources / 10) * rtt
    latency = wall - start
    row("    vs one GET each at parallelism 10",
        f"{terraform / latency:.1f}x faster" if latency > rtt / 2 else "n/a (start-up noise)",
        f"{terraform:.2f} s; goal >= 5x")
    row("    refresh CPU (SDK set-up included)", f"{refresh_cpu:.2f} s = {1000 * refresh_cpu / max(1, requests):.1f} "
        "ms/request", "")
    return requests, refresh_cpu


def apply_row(aws: Any, env: dict[str, str], cwd: Path, creates: int, p: int, rtt: float) -> None:
    """``apply`` of one bucket and ``creates`` objects at ``rtt`` per call, beside the model
    ceil(creates / parallelism) x 3 calls x RTT; the requests it sent (the emulator's count)."""
    aws.handle.faults.configure(latency=rtt)
    (cwd / "c.yaml").write_text(s3_spec("bench-create", creates))
    counts = emulator_counts(aws)
    wall, cpu, _ = run("apply", "c.yaml", "--auto-approve", env=env, cwd=cwd)
    requests, connections = (after - before for after, before in zip(emulator_counts(aws), counts, strict=True))
    model = math.ceil(creates / p) * 3 * rtt
    row(f"apply, {creates} object creates, {rtt * 1000:.0f} ms", f"{wall:.2f} s ({cpu:.1f} s CPU)",
        f"model {model:.2f} s; goal <= {1.5 * model:.2f} s")
    row("    requests / TCP connections (emulator's count)", f"{requests} / {connections}", "")
    aws.handle.faults.configure(latency=0)
    run("destroy", "c.yaml", "--auto-approve", env=env, cwd=cwd)


def emulator_counts(aws: Any) -> tuple[int, int]:
    """(requests served, TCP connections accepted) by the AWS emulator so far."""
    return aws.handle.requests_served, aws.handle.connections_opened


def aws_plan_rows(aws: Any, env: dict[str, str], cwd: Path, unchanged: int, p: int, rtt: float) -> None:
    """The two no-op S3 plans (a HEAD each; index, then read) and the marginal CPU of a HEAD."""
    measured = []
    for versioned, what in ((False, "unversioned bucket: a HEAD each"), (True, "versioned: index, then read")):
        name = f"bench-{'ver' if versioned else 'unv'}"
        (cwd / f"{name}.yaml").write_text(s3_spec(name, unchanged, versioned=versioned))
        run("apply", f"{name}.yaml", "--auto-approve", env=env, cwd=cwd)
        aws.handle.faults.configure(latency=rtt)
        measured.append(no_op_plan(f"{unchanged + 1} unchanged ({what})", f"{name}.yaml", env, cwd, p, rtt))
        aws.handle.faults.configure(latency=0)
        run("destroy", f"{name}.yaml", "--auto-approve", env=env, cwd=cwd)
    (heads, heads_cpu), (listed, listed_cpu) = measured
    if heads > listed:  # same stack size and set-up: the difference is the HEADs alone
        row("modelinfra CPU per request (marginal)", f"{1000 * (heads_cpu - listed_cpu) / (heads - listed):.2f} ms",
            "goal <= 1 ms")
    aws.handle.faults.configure(latency=rtt)
    floor = subprocess.run([str(BIN.parent / "python"), str(Path(__file__).with_name("sdk_floor.py")),
                            "--bucket", "bench-sdk-floor", "--requests", str(unchanged), "--threads", str(p)],
                           env=env, cwd=cwd, capture_output=True, text=True, check=True)
    aws.handle.faults.configure(latency=0)
    row("    plain boto3 head_object, same setting", f"{json.loads(floor.stdout)['cpu_per_request_ms']:.2f} ms",
        f"{p} threads, same emulator and latency (sdk_floor.py)")


def row(what: str, figure: str, model: str) -> None:
    print(f"{what:<52} {figure:>22}   {model}")


def main() -> int:
    global BIN
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes: a few minutes")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every emulated call")
    parser.add_argument("--parallelism", type=int, default=16)
    parser.add_argument("--unchanged", type=int, default=0, help="resources of the no-op plan rows (default 200 "
                        "with --quick, else 1000)")
    parser.add_argument("--bin", type=Path, default=BIN, help="the modelinfra executable to measure (e.g. another "
                        "checkout's, for before/after figures side by side)")
    parser.add_argument("--rows", nargs="+", choices=ROWS, default=ROWS, help="run only these rows (default: all)")
    args = parser.parse_args()
    BIN = args.bin
    rows = set(args.rows)
    small, large = (200, 1000) if args.quick else (1000, 10000)
    creates = 50 if args.quick else 200
    unchanged = args.unchanged or (200 if args.quick else 1000)
    linear = 50 if args.quick else 250
    p, rtt = args.parallelism, args.latency

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from modelinfra.sandbox.aws import start_aws_emulator

    with start_aws_emulator() as aws, child_arm_emulator() as arm, tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        (cwd / "model.bin").write_bytes(b"x" * 1024)
        env = {**os.environ, "AWS_ENDPOINT_URL": aws.url, "AWS_ACCESS_KEY_ID": "testing",
               "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
               "MODELINFRA_AZURE_ENDPOINT": arm.url, "MODELINFRA_PARALLELISM": str(p), "NO_COLOR": "1"}
        print(f"latency {rtt * 1000:.0f} ms per call, parallelism {p}{' (quick)' if args.quick else ''}\n")
        row("what", "measured", "model / goal")
        if "help" in rows:
            wall, _, _ = run("--help", env=env, cwd=cwd)
            row("modelinfra --help", f"{wall:.2f} s", "<= 0.15 s")
        if "validate" in rows:
            for n in (small, large):
                (cwd / f"v{n}.yaml").write_text(bucket_spec(f"v{n}", n))
                wall, _, _ = run("validate", f"v{n}.yaml", env=env, cwd=cwd)
                row(f"validate, {n} resources", f"{wall:.2f} s", "goal: 1,000 <= 1 s; 10,000 <= 6 s")
        if "apply" in rows:
            apply_row(aws, env, cwd, creates, p, rtt)
        if "plan-aws" in rows:
            aws_plan_rows(aws, env, cwd, unchanged, p, rtt)
        if "plan-arm" in rows:
            (cwd / "d.yaml").write_text(disk_spec("bench-disks", unchanged))
            run("apply", "d.yaml", "--auto-approve", env=env, cwd=cwd)
            arm.faults(latency=rtt)
            no_op_plan(f"{unchanged} unchanged ARM disks in one group", "d.yaml", env, cwd, p, rtt, sequential=True)
            arm.faults()
            run("destroy", "d.yaml", "--auto-approve", env=env, cwd=cwd)
        if "linear" in rows:
            aws.handle.faults.configure(latency=0)
            times = []
            for n in (linear, 4 * linear):
                (cwd / f"l{n}.yaml").write_text(s3_spec(f"bench-lin{n}", n))
                wall, _, _ = run("apply", f"l{n}.yaml", "--auto-approve", env=env, cwd=cwd)
                times.append(wall)
                row(f"apply, {n} creates at 0 ms", f"{wall:.2f} s", "")
                run("destroy", f"l{n}.yaml", "--auto-approve", env=env, cwd=cwd)
            row("  ratio 4x resources", f"{times[1] / times[0]:.2f}x", "linear: <= 4.5x")
        if "engine" in rows:
            from apply_scale import apply_seconds  # the engine alone: fake provider, in this process

            apply_seconds(20)  # warm-up
            engine = [apply_seconds(n) for n in (linear, 4 * linear)]
            for n, wall in zip((linear, 4 * linear), engine, strict=True):
                row(f"apply (engine, fake provider), {n} creates", f"{wall:.2f} s",
                    f"{wall / n * 1000:.2f} ms per action")
            row("  ratio 4x resources", f"{engine[1] / engine[0]:.2f}x", "linear: <= 4.5x")
        if "new" in rows:
            (cwd / "new.yaml").write_text(bucket_spec("bench-new", 10000))
            wall, rss = peak_rss("plan", "new.yaml", env=env, cwd=cwd)
            row("plan of 10000 new resources", f"{wall:.2f} s, {rss} MiB", "<= 15 s, <= 250 MB")
        if "throttle" in rows:
            (cwd / "t.yaml").write_text(disk_spec("bench-thr", 16))
            run("apply", "t.yaml", "--auto-approve", env=env, cwd=cwd)
            arm.faults(throttle_ratio=0.5, retry_after=0.05)
            wall, _, _ = run("plan", "t.yaml", "--parallelism", "16", env=env, cwd=cwd, check=False)
            ok = subprocess.run([str(BIN), "plan", "t.yaml"], env=env, cwd=cwd, capture_output=True).returncode == 0
            row("plan, 16 ARM resources, 50 % answered 429", f"{'ok' if ok else 'FAILED'} {wall:.2f} s", "succeeds")
            arm.faults()
            run("destroy", "t.yaml", "--auto-approve", env=env, cwd=cwd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
