"""``examples/multi-cloud.yaml``: one spec with Azure and AWS resources plans, applies, stays in sync
and is destroyed as one stack, through the installed CLI against the ARM emulator, Azurite and moto.
Both copies of the model are compared by the same SHA-256 of the one local file.
"""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from modelinfra.sandbox.base import RunningService
from tests.e2e.examples import azure_mgmt, azurite_blob, copy_example, model_bytes, write_model

pytestmark = pytest.mark.e2e

EXAMPLE = "multi-cloud.yaml"
KEY = "classifier/model.bin"


def test_one_spec_plans_and_applies_on_both_clouds(tmp_path: Path, azure_env: dict[str, str],
                                                   aws_env: dict[str, str], azurite: RunningService,
                                                   unique_name: str) -> None:
    run = copy_example(EXAMPLE, tmp_path, {**azure_env, **aws_env}, suffix=unique_name)
    first_sha = write_model(tmp_path / "model.bin", 256 * 1024, seed="v1")
    bucket, container = f"multi-cloud-{unique_name}", f"models-{unique_name}"
    s3 = boto3.client("s3")

    assert run.cli("validate", run.spec).code == 0

    plan = run.cli("plan", run.spec, "--detailed-exitcode")
    assert plan.code == 2, plan.output
    assert '+ resource "azure.blob" "azure_model"' in plan.stdout
    assert '+ resource "aws.s3_object" "aws_model"' in plan.stdout
    assert "Plan: 6 to add, 0 to change, 0 to destroy." in plan.stdout

    applied = run.cli("apply", run.spec, "--auto-approve")
    assert applied.code == 0, applied.output
    assert "Apply complete! Resources: 6 added, 0 changed, 0 destroyed." in applied.stdout

    blob = azurite_blob(azurite.extra, container, KEY)
    assert blob.get_blob_properties().metadata["modelinfra_sha256"] == first_sha
    head = s3.head_object(Bucket=bucket, Key=KEY)
    assert head["Metadata"]["modelinfra-sha256"] == first_sha
    outputs = run.outputs()
    assert outputs["sha256"] == first_sha
    assert outputs["s3_url"] == f"s3://{bucket}/{KEY}"
    assert head["Metadata"]["azure-copy"] == outputs["azure_url"]  # a cross-cloud reference, resolved
    assert outputs["azure_url"].endswith(f"/{container}/{KEY}")

    again = run.cli("plan", run.spec, "--detailed-exitcode")
    assert again.code == 0, again.output
    assert "No changes." in again.stdout
    assert run.cli("drift", run.spec).code == 0

    # a new model file: both copies are updated in place, in one apply
    write_model(tmp_path / "model.bin", 256 * 1024, seed="v2")
    changed = run.cli("plan", run.spec, "--detailed-exitcode")
    assert changed.code == 2, changed.output
    assert '~ resource "azure.blob" "azure_model"' in changed.stdout
    assert '~ resource "aws.s3_object" "aws_model"' in changed.stdout
    assert "Plan: 0 to add, 2 to change, 0 to destroy." in changed.stdout
    updated = run.cli("apply", run.spec, "--auto-approve")
    assert updated.code == 0, updated.output
    expected = model_bytes(256 * 1024, seed="v2")
    assert blob.download_blob().readall() == expected
    assert s3.get_object(Bucket=bucket, Key=KEY)["Body"].read() == expected

    destroyed = run.cli("destroy", run.spec, "--auto-approve")
    assert destroyed.code == 0, destroyed.output
    assert "Destroy complete! Resources: 6 destroyed." in destroyed.stdout
    assert run.state()["resources"] == {}
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert not azure_mgmt("resource").resource_groups.check_existence(f"multicloud-{unique_name}")
