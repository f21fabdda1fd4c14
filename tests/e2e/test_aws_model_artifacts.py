"""``examples/aws-model-artifacts.yaml`` end to end through the installed CLI against moto over HTTP:
validate -> plan -> apply -> no-op plan -> edit -> update -> out-of-band change shows as drift ->
destroy; a changed model file (multipart, ~10 MB) becomes a new object version, an unchanged one is
a no-op.
"""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from tests.e2e.examples import copy_example, model_bytes, write_model

pytestmark = pytest.mark.e2e

EXAMPLE = "aws-model-artifacts.yaml"
KEY = "models/classifier/model.bin"
MODEL_SIZE = 10 * 1024 * 1024 + 7  # above the 8 MiB multipart threshold


def test_model_artifacts_lifecycle(tmp_path: Path, aws_env: dict[str, str], unique_name: str) -> None:
    run = copy_example(EXAMPLE, tmp_path, aws_env, suffix=unique_name)
    first_sha = write_model(tmp_path / "model.bin", MODEL_SIZE, seed="v1")
    bucket = f"model-artifacts-{unique_name}"
    s3 = boto3.client("s3")

    assert run.cli("validate", run.spec).code == 0

    plan = run.cli("plan", run.spec, "--detailed-exitcode")
    assert plan.code == 2, plan.output
    assert '+ resource "aws.s3_bucket" "bucket"' in plan.stdout
    assert '+ resource "aws.s3_object" "model"' in plan.stdout
    assert "Plan: 2 to add, 0 to change, 0 to destroy." in plan.stdout

    applied = run.cli("apply", run.spec, "--auto-approve")
    assert applied.code == 0, applied.output
    assert "Apply complete! Resources: 2 added, 0 changed, 0 destroyed." in applied.stdout
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rule = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"][0]
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30
    head = s3.head_object(Bucket=bucket, Key=KEY)
    assert head["ContentLength"] == MODEL_SIZE
    assert head["Metadata"] == {"framework": "pytorch", "modelinfra-sha256": first_sha}
    outputs = run.outputs()
    assert outputs["model_url"] == f"s3://{bucket}/{KEY}"
    assert (outputs["model_version_id"], outputs["model_sha256"]) == (head["VersionId"], first_sha)

    again = run.cli("plan", run.spec, "--detailed-exitcode")
    assert again.code == 0, again.output
    assert "No changes." in again.stdout

    # edit the spec: keep noncurrent versions longer -- an in-place update of the bucket
    run.edit("noncurrent_version_expiration_days: 30", "noncurrent_version_expiration_days: 90")
    edited = run.cli("plan", run.spec, "--detailed-exitcode")
    assert edited.code == 2, edited.output
    assert '~ resource "aws.s3_bucket" "bucket"' in edited.stdout
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in edited.stdout
    updated = run.cli("apply", run.spec, "--auto-approve")
    assert updated.code == 0, updated.output
    assert "Apply complete! Resources: 0 added, 1 changed, 0 destroyed." in updated.stdout
    rule = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"][0]
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 90

    # an untouched stack never reports drift
    for _ in range(5):
        quiet = run.cli("drift", run.spec)
        assert quiet.code == 0, quiet.output
        assert "No drift in stack aws-model-artifacts: 0 modified, 0 deleted outside modelinfra, 2 in sync" \
            in quiet.stdout

    # out of band: someone turns off one Block Public Access flag
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": True})
    drift = run.drift()
    assert drift.code == 2
    assert drift.changed == {"bucket": ["public_access_block.block_public_policy"]}, drift.report
    assert drift.change("bucket", "public_access_block.block_public_policy") == (True, False)
    assert run.cli("apply", run.spec, "--auto-approve").code == 0
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True

    # a changed model file is an update: a new current version, the old one kept as noncurrent
    second_sha = write_model(tmp_path / "model.bin", MODEL_SIZE, seed="v2")
    changed_plan = run.cli("plan", run.spec, "--detailed-exitcode")
    assert changed_plan.code == 2, changed_plan.output
    assert '~ resource "aws.s3_object" "model"' in changed_plan.stdout
    assert f'~ sha256 = "{first_sha}" -> "{second_sha}"' in changed_plan.stdout
    uploaded = run.cli("apply", run.spec, "--auto-approve")
    assert uploaded.code == 0, uploaded.output
    assert "Apply complete! Resources: 0 added, 1 changed, 0 destroyed." in uploaded.stdout
    assert s3.get_object(Bucket=bucket, Key=KEY)["Body"].read() == model_bytes(MODEL_SIZE, seed="v2")
    versions = s3.list_object_versions(Bucket=bucket, Prefix=KEY)["Versions"]
    assert len(versions) == 2
    current = s3.head_object(Bucket=bucket, Key=KEY)["VersionId"]
    assert current != head["VersionId"]
    outputs = run.outputs()
    assert (outputs["model_version_id"], outputs["model_sha256"]) == (current, second_sha)
    assert run.cli("plan", run.spec, "--detailed-exitcode").code == 0

    destroyed = run.cli("destroy", run.spec, "--auto-approve")
    assert destroyed.code == 0, destroyed.output
    assert run.state()["resources"] == {}
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_noncurrent_versions_to_retain_reads_back(tmp_path: Path, aws_env: dict[str, str], unique_name: str) -> None:
    run = copy_example(EXAMPLE, tmp_path, aws_env, suffix=unique_name)
    run.edit("          noncurrent_version_expiration_days: 30\n",
             "          noncurrent_version_expiration_days: 30\n          noncurrent_versions_to_retain: 5\n")
    write_model(tmp_path / "model.bin", 1024)
    try:
        applied = run.cli("apply", run.spec, "--auto-approve")
        assert applied.code == 0, applied.output
        again = run.cli("plan", run.spec, "--detailed-exitcode")
        assert again.code == 0, again.output
    finally:
        assert run.cli("destroy", run.spec, "--auto-approve").code == 0

