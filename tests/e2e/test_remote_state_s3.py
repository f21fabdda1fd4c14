"""Issue 12's "done when" for ``backend: s3``, through the installed CLI against moto server: two
checkouts ("machines" A and B: separate directories and host names) share one stack through remote
state; concurrent applies exclude each other; a holder killed with -9 blocks only until its lock
expires; pull/push refuse what would lose history; migrate from local keeps the lineage; drift with
no state is an error. (The same story on ``backend: azure_blob``: test_remote_state_azure.py.)"""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import boto3
import pytest

from modelinfra.sandbox.base import RunningService
from modelinfra.state import State, StateManager
from modelinfra.state.backends.s3 import S3Backend
from tests.e2e.remote_state import Machines, check_pull_push_refusals, checkout, some_ready, wait_until

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


@dataclass
class S3Store:
    s3: Any
    bucket: str
    endpoint: str
    key: str = KEY

    def document(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.s3.get_object(Bucket=self.bucket, Key=self.key)["Body"].read())
        except self.s3.exceptions.NoSuchKey:
            return None

    @cached_property
    def backend(self) -> S3Backend:
        return S3Backend(self.bucket, self.key, region="us-east-1", endpoint_url=self.endpoint)

    def logical(self) -> State | None:
        return StateManager(self.backend).snapshot()

    def lock_host(self) -> str | None:
        try:
            return json.loads(self.s3.get_object(Bucket=self.bucket, Key=self.key + ".lock")["Body"].read())["host"]
        except self.s3.exceptions.NoSuchKey:
            return None

    def addresses(self) -> set[str]:
        return set((self.document() or {"resources": {}})["resources"])


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
def store(s3: Any, state_bucket: str, aws_env: dict[str, str]) -> S3Store:
    return S3Store(s3, state_bucket, aws_env["AWS_ENDPOINT_URL"])


@pytest.fixture
def machines(aws_env: dict[str, str]) -> Machines:
    return Machines(aws_env)


@pytest.fixture
def aws_faults(aws_emulator: RunningService) -> Iterator[Any]:
    yield aws_emulator.handle.faults
    aws_emulator.handle.faults.reset()


def test_two_machines_share_one_stack_and_exclude_each_other(tmp_path: Path, machines: Machines, store: S3Store,
                                                             state_bucket: str, unique_name: str,
                                                             aws_faults: Any) -> None:
    text = spec_text(unique_name, state_bucket)
    spec_a, spec_b = checkout(tmp_path, "a", text), checkout(tmp_path, "b", text)

    applied = machines.cli(spec_a, "a", "apply", "stack.yaml", "--auto-approve")
    assert applied.code == 0, applied.output
    assert not list((tmp_path / "a").rglob("*.state.json"))  # no local state on A
    assert json.loads((tmp_path / "a/.modelinfra/backend.json").read_text())["bucket"] == state_bucket
    assert store.addresses() == {"bucket", "obj0"}

    planned = machines.cli(spec_b, "b", "plan", "stack.yaml", "--detailed-exitcode")
    assert planned.code == 0, planned.output
    assert "No changes" in planned.stdout
    drifted = machines.cli(spec_b, "b", "drift", "stack.yaml")
    assert drifted.code == 0, drifted.output

    # both machines apply a change at once: one proceeds, the other fails naming the holder
    for spec in (spec_a, spec_b):
        spec.write_text(spec_text(unique_name, state_bucket, objects=3))
    aws_faults.configure(latency=0.05)  # every request slower, so the winner holds the lock a while
    try:
        winner, _ = machines.race({"a": spec_a, "b": spec_b}, "apply", "stack.yaml", "--auto-approve")
    finally:
        aws_faults.reset()
    assert store.addresses() == {"bucket", "obj0", "obj1", "obj2"}

    loser = spec_b if winner == "a" else spec_a
    again = machines.cli(loser, loser.parent.name, "plan", "stack.yaml", "--detailed-exitcode")
    assert again.code == 0, again.output


def test_a_holder_killed_mid_apply_blocks_the_other_machine_only_until_its_lock_expires(
        tmp_path: Path, machines: Machines, s3: Any, store: S3Store, state_bucket: str, unique_name: str,
        aws_faults: Any) -> None:
    text = spec_text(unique_name, state_bucket, objects=6)
    spec_a, spec_b = checkout(tmp_path, "a", text), checkout(tmp_path, "b", text)
    aws_faults.configure(latency=0.1)
    victim = machines.start(spec_a, "a", "apply", "stack.yaml", "--auto-approve", "--parallelism", "1", ttl=3)
    try:
        wait_until(lambda: some_ready(store, "obj"), victim)
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
    finally:
        aws_faults.reset()
    assert store.lock_host() == "a"  # the dead holder's lock is still there: B must wait for it to expire

    resumed = machines.cli(spec_b, "b", "apply", "stack.yaml", "--auto-approve", "--lock-timeout", "180")
    assert resumed.code == 0, resumed.output
    assert "took over the expired state lock" in resumed.stderr
    keys = [v["Key"] for v in s3.list_object_versions(Bucket=f"models-{unique_name}").get("Versions", [])]
    assert sorted(keys) == [f"m/{i}.bin" for i in range(6)]  # every object exactly once
    clean = machines.cli(spec_a, "a", "plan", "stack.yaml", "--detailed-exitcode")
    assert clean.code == 0, clean.output


def test_pull_push_refusals_and_migrate_from_local_keep_the_lineage(tmp_path: Path, machines: Machines,
                                                                      store: S3Store, state_bucket: str,
                                                                      unique_name: str) -> None:
    spec = checkout(tmp_path, "a", spec_text(unique_name, None))
    assert machines.cli(spec, "a", "apply", "stack.yaml", "--auto-approve").code == 0
    local = json.loads((spec.parent / f".modelinfra/shared-{unique_name}.state.json").read_text())

    spec.write_text(spec_text(unique_name, state_bucket))  # the team moves the state to S3
    refused = machines.cli(spec, "a", "plan", "stack.yaml")
    assert refused.code == 1 and "state migrate" in refused.stderr, refused.output
    assert "Traceback" not in refused.output and store.document() is None
    migrated = machines.cli(spec, "a", "state", "migrate", "stack.yaml")
    assert migrated.code == 0, migrated.output
    remote = store.document()
    assert remote is not None and (remote["lineage"], remote["serial"]) == (local["lineage"], local["serial"])

    check_pull_push_refusals(machines, spec, store)

    # a checkout pointing at a key that holds nothing: drift is an error, plan says what already exists
    lost = checkout(tmp_path, "c", spec_text(unique_name, state_bucket, key="stacks/wrong.state.json"))
    drifted = machines.cli(lost, "c", "drift", "stack.yaml", "--format", "markdown")
    assert drifted.code == 1, drifted.output
    assert f"s3://{state_bucket}/stacks/wrong.state.json" in drifted.stderr and "No drift" not in drifted.output
    warned = machines.cli(lost, "c", "plan", "stack.yaml")
    assert warned.code == 0, warned.output
    assert "already carry this stack's modelinfra-address tags" in warned.stderr and "bucket (" in warned.stderr
