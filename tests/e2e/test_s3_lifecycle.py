"""Issue 2's end-to-end lifecycle on S3, through the installed CLI against moto over HTTP."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import boto3
import pytest

from tests.e2e.cli import run_cli

pytestmark = pytest.mark.e2e

SPEC = """\
version: 1
name: s3-e2e
variables:
  suffix:
    default: {suffix}
providers:
  aws:
    region: us-east-1
resources:
  bucket:
    type: aws.s3_bucket
    properties:
      name: models-${{var.suffix}}
      versioning: {versioning}
      tags:
        team: ml
      force_destroy: true
  model:
    type: aws.s3_object
    properties:
      bucket: ${{bucket.name}}
      key: models/model.bin
      source: ./model.bin
outputs:
  bucket_arn:
    value: ${{bucket.arn}}
"""


def write_spec(directory: Path, suffix: str, versioning: bool = True) -> Path:
    spec = directory / "stack.yaml"
    spec.write_text(SPEC.format(suffix=suffix, versioning=str(versioning).lower()))
    return spec


def state_file(directory: Path) -> Path:
    return directory / ".modelinfra" / "s3-e2e.state.json"


def test_full_lifecycle(tmp_path: Path, aws_env: dict[str, str], unique_name: str):
    (tmp_path / "model.bin").write_bytes(b"weights-v1" * 1000)
    spec = write_spec(tmp_path, unique_name)
    bucket = f"models-{unique_name}"

    assert run_cli("validate", spec, env=aws_env).code == 0

    plan = run_cli("plan", spec, "--detailed-exitcode", env=aws_env)
    assert plan.code == 2, plan.output
    assert "+ resource \"aws.s3_bucket\" \"bucket\"" in plan.stdout
    assert "Plan: 2 to add, 0 to change, 0 to destroy." in plan.stdout

    applied = run_cli("apply", spec, "--auto-approve", env=aws_env)
    assert applied.code == 0, applied.output
    assert "Apply complete! Resources: 2 added, 0 changed, 0 destroyed." in applied.stdout
    mode = stat.S_IMODE(os.stat(state_file(tmp_path)).st_mode)
    assert mode == 0o600

    s3 = boto3.client("s3")
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert s3.get_object(Bucket=bucket, Key="models/model.bin")["Body"].read() == b"weights-v1" * 1000

    again = run_cli("plan", spec, "--detailed-exitcode", env=aws_env)
    assert again.code == 0, again.output
    assert "No changes." in again.stdout

    # edit the spec: the plan shows an in-place update of exactly that attribute
    write_spec(tmp_path, unique_name, versioning=False)
    edited = run_cli("plan", spec, "--detailed-exitcode", env=aws_env)
    assert edited.code == 2, edited.output
    assert "~ resource \"aws.s3_bucket\" \"bucket\"" in edited.stdout
    assert "~ versioning = true -> false" in edited.stdout
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in edited.stdout
    write_spec(tmp_path, unique_name, versioning=True)

    # out-of-band change: shows under drift and as a change back
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "team", "Value": "rogue"}]})
    drifted = run_cli("plan", spec, env=aws_env)
    assert "changed outside of modelinfra" in drifted.stdout
    assert "tags.team = \"ml\" -> \"rogue\"" in drifted.stdout
    assert "~ tags.team = \"rogue\" -> \"ml\"" in drifted.stdout

    fixed = run_cli("apply", spec, "--auto-approve", env=aws_env)
    assert fixed.code == 0, fixed.output
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    assert tags["team"] == "ml" and tags["modelinfra-stack"] == "s3-e2e"

    # a changed model file is an update of the object
    (tmp_path / "model.bin").write_bytes(b"weights-v2" * 1000)
    changed = run_cli("plan", spec, "--detailed-exitcode", env=aws_env)
    assert changed.code == 2 and "~ resource \"aws.s3_object\" \"model\"" in changed.stdout, changed.output
    assert run_cli("apply", spec, "--auto-approve", env=aws_env).code == 0
    assert s3.get_object(Bucket=bucket, Key="models/model.bin")["Body"].read() == b"weights-v2" * 1000

    destroyed = run_cli("destroy", spec, "--auto-approve", env=aws_env)
    assert destroyed.code == 0, destroyed.output
    state = json.loads(state_file(tmp_path).read_text())
    assert state["resources"] == {} and state["outputs"] == {}
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert state_file(tmp_path).with_name("s3-e2e.state.json.backup").exists()


def test_saved_plan_goes_stale_when_state_moves(tmp_path: Path, aws_env: dict[str, str], unique_name: str):
    (tmp_path / "model.bin").write_bytes(b"x")
    spec = write_spec(tmp_path, unique_name)
    first = tmp_path / "first.plan"
    assert run_cli("plan", spec, "--out", first, env=aws_env).code == 0
    assert stat.S_IMODE(os.stat(first).st_mode) == 0o600
    second = tmp_path / "second.plan"
    assert run_cli("plan", spec, "--out", second, env=aws_env).code == 0
    shown = run_cli("show", first, "--json", env=aws_env)
    assert json.loads(shown.stdout)["format_version"] == "1.0"

    assert run_cli("apply", first, env=aws_env).code == 0
    stale = run_cli("apply", second, env=aws_env)
    assert stale.code == 1 and "stale plan" in stale.stderr
    assert "Traceback" not in stale.output
    run_cli("destroy", spec, "--auto-approve", env=aws_env)


def test_apply_refuses_without_a_terminal_and_changes_nothing(tmp_path: Path, aws_env: dict[str, str],
                                                             unique_name: str):
    (tmp_path / "model.bin").write_bytes(b"x")
    spec = write_spec(tmp_path, unique_name)
    refused = run_cli("apply", spec, env=aws_env, stdin="yes\n")
    assert refused.code == 1 and "--auto-approve" in refused.stderr
    assert not state_file(tmp_path).exists() or json.loads(state_file(tmp_path).read_text())["resources"] == {}
    assert f"models-{unique_name}" not in [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]


def test_plan_json_has_the_documented_shape(tmp_path: Path, aws_env: dict[str, str], unique_name: str):
    (tmp_path / "model.bin").write_bytes(b"x")
    spec = write_spec(tmp_path, unique_name)
    doc = json.loads(run_cli("plan", spec, "--json", env=aws_env).stdout)
    assert doc["format_version"] == "1.0" and doc["stack"] == "s3-e2e"
    by_address = {c["address"]: c for c in doc["resource_changes"]}
    bucket = by_address["bucket"]["change"]
    assert bucket["actions"] == ["create"]
    assert bucket["after"]["name"] == f"models-{unique_name}"
    assert bucket["after_unknown"]["arn"] is True
    assert by_address["model"]["change"]["after"]["bucket"] == f"models-{unique_name}"
    assert doc["output_changes"]["bucket_arn"]["after_unknown"] is True
