"""Issue 12's "done when" for ``backend: s3``, through the installed CLI against moto server: two
checkouts ("machines" A and B: separate directories and host names) share one stack through remote
state; concurrent applies exclude each other; a holder killed with -9 blocks only until its lock
expires; pull/push refuse what would lose history; migrate from local keeps the lineage; drift with
no state is an error."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from modelinfra.sandbox.base import RunningService
from tests.e2e.cli import Result, modelinfra_executable, run_cli

pytestmark = pytest.mark.e2e

KEY = "stacks/shared.state.json"

SPEC = """\
version: 1
name: shared-{suffix}
providers:
  aws:
    region: us-east-1
{state}
resources:
  bucket:
    type: aws.s3_bucket
    properties: {{name: models-{suffix}, force_destroy: true}}
{objects}"""


def spec_text(suffix: str, state_bucket: str | None, objects: int = 1, key: str = KEY) -> str:
    state = (f"state: {{backend: s3, bucket: {state_bucket}, key: {key}}}" if state_bucket else "")
    lines = [f"  obj{i}:\n    type: aws.s3_object\n"
             f"    properties: {{bucket: '${{bucket.name}}', key: 'm/{i}.bin', source: ./model.bin}}\n"
             for i in range(objects)]
    return SPEC.format(suffix=suffix, state=state, objects="".join(lines))


def checkout(root: Path, name: str, text: str) -> Path:
    """A fresh checkout: a directory with the spec and the model file, no .modelinfra."""
    directory = root / name
    directory.mkdir(exist_ok=True)
    (directory / "model.bin").write_bytes(b"weights " * 256)
    spec = directory / "stack.yaml"
    spec.write_text(text)
    return spec


@pytest.fixture
def s3(aws_env: dict[str, str]) -> Any:
    return boto3.client("s3", endpoint_url=aws_env["AWS_ENDPOINT_URL"], region_name="us-east-1")


@pytest.fixture
def state_bucket(s3: Any, unique_name: str) -> str:
    name = f"state-{unique_name}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


@pytest.fixture
def aws_faults(aws_emulator: RunningService) -> Iterator[Any]:
    yield aws_emulator.handle.faults
    aws_emulator.handle.faults.reset()


def on(machine: str, aws_env: dict[str, str], ttl: int = 6) -> dict[str, str]:
    """The environment of a run on ``machine``, with a short lock TTL (renewed every ttl/3)."""
    return {**aws_env, "MODELINFRA_HOSTNAME": machine, "MODELINFRA_LOCK_TTL": str(ttl)}


def cli(spec: Path, machine: str, aws_env: dict[str, str], *args: str, ttl: int = 6) -> Result:
    return run_cli(*args, env=on(machine, aws_env, ttl), cwd=spec.parent)


def start(spec: Path, machine: str, aws_env: dict[str, str], *args: str, ttl: int = 6) -> subprocess.Popen[str]:
    return subprocess.Popen([modelinfra_executable(), *args], cwd=spec.parent, text=True,
                            env={**os.environ, "NO_COLOR": "1", **on(machine, aws_env, ttl)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def stored_state(s3: Any, bucket: str, key: str = KEY) -> dict[str, Any]:
    try:
        return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except s3.exceptions.NoSuchKey:
        return {"resources": {}}


def test_two_machines_share_one_stack_and_exclude_each_other(tmp_path: Path, aws_env: dict[str, str], s3: Any,
                                                             state_bucket: str, unique_name: str,
                                                             aws_faults: Any) -> None:
    text = spec_text(unique_name, state_bucket)
    spec_a, spec_b = checkout(tmp_path, "a", text), checkout(tmp_path, "b", text)

    applied = cli(spec_a, "a", aws_env, "apply", "stack.yaml", "--auto-approve")
    assert applied.code == 0, applied.output
    assert not list((tmp_path / "a").rglob("*.state.json"))  # no local state on A
    assert json.loads((tmp_path / "a/.modelinfra/backend.json").read_text())["bucket"] == state_bucket
    assert set(stored_state(s3, state_bucket)["resources"]) == {"bucket", "obj0"}

    planned = cli(spec_b, "b", aws_env, "plan", "stack.yaml", "--detailed-exitcode")
    assert planned.code == 0, planned.output
    assert "No changes" in planned.stdout
    drifted = cli(spec_b, "b", aws_env, "drift", "stack.yaml")
    assert drifted.code == 0, drifted.output

    # both machines apply a change at once: one proceeds, the other fails naming the holder
    for spec in (spec_a, spec_b):
        spec.write_text(spec_text(unique_name, state_bucket, objects=3))
    aws_faults.configure(latency=0.05)  # every request slower, so the winner holds the lock a while
    runs = {m: start(s, m, aws_env, "apply", "stack.yaml", "--auto-approve") for m, s in
            (("a", spec_a), ("b", spec_b))}
    results = {m: (p.wait(120), p.stdout.read() + p.stderr.read()) for m, p in runs.items()}  # type: ignore[union-attr]
    aws_faults.reset()
    winners = [m for m, (code, _) in results.items() if code == 0]
    assert len(winners) == 1, results
    loser = "b" if winners == ["a"] else "a"
    code, output = results[loser]
    assert code == 1 and "state is locked by pid" in output and f"@{winners[0]})" in output, output
    assert "for 'apply' since" in output and "expires" in output
    assert set(stored_state(s3, state_bucket)["resources"]) == {"bucket", "obj0", "obj1", "obj2"}

    again = cli(spec_a if loser == "a" else spec_b, loser, aws_env, "plan", "stack.yaml", "--detailed-exitcode")
    assert again.code == 0, again.output


def test_a_holder_killed_mid_apply_blocks_the_other_machine_only_until_its_lock_expires(
        tmp_path: Path, aws_env: dict[str, str], s3: Any, state_bucket: str, unique_name: str,
        aws_faults: Any) -> None:
    text = spec_text(unique_name, state_bucket, objects=6)
    spec_a, spec_b = checkout(tmp_path, "a", text), checkout(tmp_path, "b", text)
    aws_faults.configure(latency=0.1)
    victim = start(spec_a, "a", aws_env, "apply", "stack.yaml", "--auto-approve", "--parallelism", "1", ttl=3)
    try:
        deadline = time.monotonic() + 60
        while not any(name.startswith("obj") and entry["status"] == "ready"
                      for name, entry in stored_state(s3, state_bucket)["resources"].items()):
            assert victim.poll() is None and time.monotonic() < deadline, "apply ended before it could be killed"
            time.sleep(0.05)
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
    finally:
        aws_faults.reset()
    held = json.loads(s3.get_object(Bucket=state_bucket, Key=KEY + ".lock")["Body"].read())
    assert held["host"] == "a"  # the dead holder's lock is still there: B must wait for it to expire

    resumed = cli(spec_b, "b", aws_env, "apply", "stack.yaml", "--auto-approve", "--lock-timeout", "180")
    assert resumed.code == 0, resumed.output
    assert "took over the expired state lock" in resumed.stderr
    keys = [v["Key"] for v in s3.list_object_versions(Bucket=f"models-{unique_name}").get("Versions", [])]
    assert sorted(keys) == [f"m/{i}.bin" for i in range(6)]  # every object exactly once
    clean = cli(spec_a, "a", aws_env, "plan", "stack.yaml", "--detailed-exitcode")
    assert clean.code == 0, clean.output


def test_pull_push_refusals_and_migrate_from_local_keep_the_lineage(tmp_path: Path, aws_env: dict[str, str],
                                                                      s3: Any, state_bucket: str,
                                                                      unique_name: str) -> None:
    spec = checkout(tmp_path, "a", spec_text(unique_name, None))
    assert cli(spec, "a", aws_env, "apply", "stack.yaml", "--auto-approve").code == 0
    local = json.loads((spec.parent / f".modelinfra/shared-{unique_name}.state.json").read_text())

    spec.write_text(spec_text(unique_name, state_bucket))  # the team moves the state to S3
    refused = cli(spec, "a", aws_env, "plan", "stack.yaml")
    assert refused.code == 1 and "state migrate" in refused.stderr, refused.output
    assert "Traceback" not in refused.output and stored_state(s3, state_bucket) == {"resources": {}}
    migrated = cli(spec, "a", aws_env, "state", "migrate", "stack.yaml")
    assert migrated.code == 0, migrated.output
    remote = stored_state(s3, state_bucket)
    assert (remote["lineage"], remote["serial"]) == (local["lineage"], local["serial"])

    pulled = cli(spec, "a", aws_env, "state", "pull", "stack.yaml")
    assert pulled.code == 0 and json.loads(pulled.stdout) == remote
    copy = spec.parent / "copy.json"
    copy.write_text(pulled.stdout)
    not_newer = cli(spec, "a", aws_env, "state", "push", "stack.yaml", "copy.json")
    assert not_newer.code == 1 and "not newer" in not_newer.stderr, not_newer.output
    copy.write_text(json.dumps({**remote, "lineage": "00000000-0000-4000-8000-000000000000",
                                "serial": remote["serial"] + 5}))
    foreign = cli(spec, "a", aws_env, "state", "push", "stack.yaml", "copy.json")
    assert foreign.code == 1 and "lineage" in foreign.stderr, foreign.output
    assert stored_state(s3, state_bucket) == remote  # nothing was pushed
    copy.write_text(json.dumps({**remote, "serial": remote["serial"] + 1}))
    pushed = cli(spec, "a", aws_env, "state", "push", "stack.yaml", "copy.json")
    assert pushed.code == 0, pushed.output
    assert stored_state(s3, state_bucket)["serial"] == remote["serial"] + 1

    # a checkout pointing at a key that holds nothing: drift is an error, plan says what already exists
    lost = checkout(tmp_path, "c", spec_text(unique_name, state_bucket, key="stacks/wrong.state.json"))
    drifted = cli(lost, "c", aws_env, "drift", "stack.yaml", "--format", "markdown")
    assert drifted.code == 1, drifted.output
    assert f"s3://{state_bucket}/stacks/wrong.state.json" in drifted.stderr and "No drift" not in drifted.output
    warned = cli(lost, "c", aws_env, "plan", "stack.yaml")
    assert warned.code == 0, warned.output
    assert "already carry this stack's modelinfra-address tags" in warned.stderr and "bucket (" in warned.stderr
