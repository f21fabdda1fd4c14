"""Issue 11, engine side, through the installed CLI against moto: a replaced object's new
version id reaches its dependents in the same apply; create_before_destroy deletes the old
bucket only after everything that referenced it moved; a kill -9 between a bucket's create and
its record is adopted with its write-only ``force_destroy``, so destroy of the non-empty bucket
still works."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import boto3
import pytest

from tests.e2e.cli import modelinfra_executable, run_cli
from tests.e2e.holding_proxy import HoldingProxy

pytestmark = pytest.mark.e2e

REPLACED_OBJECT = """\
version: 1
name: promise
providers:
  aws: {{region: us-east-1}}
resources:
  store:
    type: aws.s3_bucket
    properties: {{name: store-{suffix}, versioning: true, force_destroy: true}}
  model:
    type: aws.s3_object
    properties: {{bucket: '${{store.name}}', key: '{key}', source: ./model.bin}}
  index:
    type: aws.s3_bucket
    properties:
      name: index-{suffix}
      tags: {{model_version: '${{model.version_id}}'}}
"""


def test_replacing_or_updating_an_object_updates_a_tag_that_uses_its_version_id_in_the_same_apply(
        tmp_path: Path, aws_env: dict[str, str], unique_name: str):
    (tmp_path / "model.bin").write_bytes(b"weights" * 100)
    spec = tmp_path / "spec.yaml"
    spec.write_text(REPLACED_OBJECT.format(suffix=unique_name, key="models/v1.bin"))
    try:
        assert run_cli("apply", spec, "--auto-approve", env=aws_env).code == 0
        spec.write_text(REPLACED_OBJECT.format(suffix=unique_name, key="models/v2.bin"))

        plan = run_cli("plan", spec, env=aws_env)
        assert plan.code == 0, plan.output
        assert 'resource "aws.s3_bucket" "index"' in plan.stdout and "will be updated in-place" in plan.stdout
        assert "(known after apply)" in plan.stdout
        assert "Plan: 1 to add, 1 to change, 1 to destroy." in plan.stdout
        as_json = json.loads(run_cli("plan", spec, "--json", env=aws_env).stdout)
        index = next(c for c in as_json["resource_changes"] if c["address"] == "index")
        assert index["change"]["actions"] == ["update"]
        assert index["change"]["after_unknown"]["tags"] == {"model_version": True}

        applied = run_cli("apply", spec, "--auto-approve", env=aws_env)
        assert applied.code == 0, applied.output
        again = run_cli("plan", spec, "--detailed-exitcode", env=aws_env)
        assert again.code == 0 and "No changes." in again.stdout, again.output
        s3 = boto3.client("s3")
        current = s3.head_object(Bucket=f"store-{unique_name}", Key="models/v2.bin")["VersionId"]
        tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=f"index-{unique_name}")["TagSet"]}
        assert tags["model_version"] == current

        (tmp_path / "model.bin").write_bytes(b"retrained" * 100)  # an in-place update: a new version too
        plan = run_cli("plan", spec, env=aws_env)
        assert "Plan: 0 to add, 2 to change, 0 to destroy." in plan.stdout and "(known after apply)" in plan.stdout
        assert run_cli("apply", spec, "--auto-approve", env=aws_env).code == 0
        assert run_cli("plan", spec, "--detailed-exitcode", env=aws_env).code == 0
        current = s3.head_object(Bucket=f"store-{unique_name}", Key="models/v2.bin")["VersionId"]
        tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=f"index-{unique_name}")["TagSet"]}
        assert tags["model_version"] == current
    finally:
        assert run_cli("destroy", spec, "--auto-approve", env=aws_env).code == 0


CBD = """\
version: 1
name: promise-cbd
providers:
  aws: {{region: us-east-1}}
resources:
  bucket:
    type: aws.s3_bucket
    properties: {{name: '{name}', force_destroy: true}}
    lifecycle: {{create_before_destroy: true}}
  model:
    type: aws.s3_object
    properties: {{bucket: '${{bucket.name}}', key: model.bin, source: ./model.bin}}
  tagger:
    type: aws.s3_bucket
    properties:
      name: tagger-{suffix}
      tags: {{source_bucket: '${{bucket.arn}}'}}
"""


def test_create_before_destroy_deletes_the_old_bucket_after_its_dependents_moved(
        tmp_path: Path, aws_env: dict[str, str], unique_name: str):
    (tmp_path / "model.bin").write_bytes(b"weights")
    spec = tmp_path / "spec.yaml"
    spec.write_text(CBD.format(name=f"old-{unique_name}", suffix=unique_name))
    try:
        assert run_cli("apply", spec, "--auto-approve", env=aws_env).code == 0
        spec.write_text(CBD.format(name=f"new-{unique_name}", suffix=unique_name))
        applied = run_cli("apply", spec, "--auto-approve", env=aws_env)
        assert applied.code == 0, applied.output
        lines = applied.stderr.splitlines()

        def at(text: str) -> int:
            return next(i for i, line in enumerate(lines) if line.startswith(text))

        old_gone = at("bucket: Destruction complete")
        assert at("bucket: Creation complete") < at("tagger: Modifying") < at("tagger: Modifications complete") \
            < at("bucket: Destroying") < old_gone
        assert at("model: Creation complete") < at("bucket: Destroying")
        assert run_cli("plan", spec, "--detailed-exitcode", env=aws_env).code == 0
        names = {b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]}
        assert f"new-{unique_name}" in names and f"old-{unique_name}" not in names
    finally:
        assert run_cli("destroy", spec, "--auto-approve", env=aws_env).code == 0


CRASH = """\
version: 1
name: promise-crash
providers:
  aws: {{region: us-east-1}}
resources:
  bucket:
    type: aws.s3_bucket
    properties: {{name: crash-{suffix}, versioning: true, force_destroy: true}}
"""


def test_kill_9_between_a_bucket_create_and_its_record_keeps_force_destroy(
        tmp_path: Path, aws_env: dict[str, str], unique_name: str):
    spec = tmp_path / "spec.yaml"
    spec.write_text(CRASH.format(suffix=unique_name))
    bucket = f"crash-{unique_name}"
    state_path = tmp_path / ".modelinfra" / "promise-crash.state.json"
    created: list[str] = []

    def after_create_bucket(method: str, path: str) -> bool:
        """Hold the first request that configures the bucket, i.e. right after CreateBucket."""
        if method == "PUT" and path == f"/{bucket}":
            created.append(path)
            return False
        return bool(created) and path.startswith(f"/{bucket}?")

    with HoldingProxy(aws_env["AWS_ENDPOINT_URL"], after_create_bucket) as proxy:
        proc = subprocess.Popen([modelinfra_executable(), "apply", str(spec), "--auto-approve"],
                                env={**os.environ, **aws_env, "AWS_ENDPOINT_URL": proxy.url},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert proxy.held.wait(120), "the apply never got past CreateBucket"
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
        finally:
            if proc.poll() is None:
                proc.kill()
    crashed = json.loads(state_path.read_text())["resources"]["bucket"]
    assert crashed["status"] == "create_pending"
    s3 = boto3.client("s3")
    s3.head_bucket(Bucket=bucket)  # created in the cloud, not recorded as ready

    applied = run_cli("apply", spec, "--auto-approve", env=aws_env)
    assert applied.code == 0, applied.output
    recorded = json.loads(state_path.read_text())["resources"]["bucket"]
    assert recorded["status"] == "ready" and recorded["attributes"]["force_destroy"] is True
    assert run_cli("plan", spec, "--detailed-exitcode", env=aws_env).code == 0

    for body in (b"one", b"two"):  # a versioned bucket with noncurrent versions: not empty
        s3.put_object(Bucket=bucket, Key="leftover.bin", Body=body)
    destroyed = run_cli("destroy", spec, "--auto-approve", env=aws_env)
    assert destroyed.code == 0, destroyed.output
    assert bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}
