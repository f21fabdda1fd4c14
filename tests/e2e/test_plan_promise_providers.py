"""Issue 11, provider side, through the installed CLI against the emulators: destroy removes what the
stack uploaded to a versioned bucket (every version), ``retain_versions`` keeps it and the plan says
so; an ML model version cannot be re-registered under the same number with a new path, which the
plan refuses before touching anything, and which ``hard_delete`` makes possible end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.conftest import SUBSCRIPTION_ID
from tests.e2e.cli import run_cli

pytestmark = pytest.mark.e2e

BUCKET_SPEC = """\
version: 1
name: versioned
providers:
  aws: {{region: us-east-1}}
resources:
  bucket:
    type: aws.s3_bucket
    properties: {{name: {bucket}, versioning: true}}
  model:
    type: aws.s3_object
    properties: {{bucket: '${{bucket.name}}', key: models/model.bin, source: ./model.bin}}
    lifecycle: {{retain_versions: {retain}}}
"""


def s3_history(bucket: str) -> list[tuple[str, bool]]:
    """(key, is delete marker) of everything ``bucket`` holds, sorted."""
    client = boto3.client("s3")
    page = client.list_object_versions(Bucket=bucket)
    return sorted([(v["Key"], False) for v in page.get("Versions", [])]
                  + [(m["Key"], True) for m in page.get("DeleteMarkers", [])])


def bucket_exists(bucket: str) -> bool:
    return any(b["Name"] == bucket for b in boto3.client("s3").list_buckets()["Buckets"])


def upload_twice(tmp_path: Path, bucket: str, retain: bool) -> Path:
    """Apply the stack, then apply again with new bytes: the key holds two versions."""
    spec = tmp_path / "versioned.yaml"
    spec.write_text(BUCKET_SPEC.format(bucket=bucket, retain=str(retain).lower()))
    (tmp_path / "model.bin").write_bytes(b"weights v1")
    assert (first := run_cli("apply", spec, "--auto-approve")).code == 0, first.output
    (tmp_path / "model.bin").write_bytes(b"weights v2")
    assert (second := run_cli("apply", spec, "--auto-approve")).code == 0, second.output
    assert s3_history(bucket) == [("models/model.bin", False), ("models/model.bin", False)]
    return spec


def test_destroy_of_a_versioned_bucket_with_updated_objects_needs_no_force_destroy(
        tmp_path: Path, aws_env: dict[str, str], unique_name: str) -> None:
    bucket = f"promise-{unique_name}"
    spec = upload_twice(tmp_path, bucket, retain=False)

    plan = run_cli("plan", spec, "--destroy")
    assert plan.code == 0 and "retain_versions" not in plan.stdout, plan.output
    destroyed = run_cli("destroy", spec, "--auto-approve")
    assert destroyed.code == 0, destroyed.output
    assert not bucket_exists(bucket)
    state = json.loads((tmp_path / ".modelinfra" / "versioned.state.json").read_text())
    assert state["resources"] == {}


def test_retain_versions_keeps_them_and_the_plan_says_so(tmp_path: Path, aws_env: dict[str, str],
                                                         unique_name: str) -> None:
    bucket = f"retain-{unique_name}"
    spec = upload_twice(tmp_path, bucket, retain=True)

    plan = run_cli("plan", spec, "--destroy")
    assert plan.code == 0, plan.output
    assert (f"# model will be destroyed (lifecycle.retain_versions: the noncurrent versions of "
            f"s3://{bucket}/models/model.bin are kept)") in plan.stdout
    as_json = json.loads(run_cli("plan", spec, "--destroy", "--json").stdout)
    reasons = {c["address"]: c.get("reason") for c in as_json["resource_changes"]}
    assert "retain_versions" in (reasons["model"] or "") and reasons["bucket"] is None

    destroyed = run_cli("destroy", spec, "--auto-approve")
    # the retained versions are the bucket's contents now: deleting it needs force_destroy
    assert destroyed.code == 1 and f"bucket {bucket} is not empty; set force_destroy" in destroyed.output
    assert s3_history(bucket) == [("models/model.bin", False), ("models/model.bin", False),
                                  ("models/model.bin", True)]
    state = json.loads((tmp_path / ".modelinfra" / "versioned.state.json").read_text())
    assert list(state["resources"]) == ["bucket"]
    from modelinfra.providers.aws.s3_bucket import empty_bucket

    empty_bucket(boto3.client("s3"), bucket)
    boto3.client("s3").delete_bucket(Bucket=bucket)


ML_SPEC = """\
version: 1
name: ml-promise
providers:
  azure: {{subscription_id: '${{env.AZURE_SUBSCRIPTION_ID}}'}}
resources:
  rg:
    type: azure.resource_group
    properties: {{name: mlp-{suffix}, location: westus}}
  account:
    type: azure.storage_account
    properties: {{name: mlp{suffix}, resource_group: '${{rg.name}}', location: westus}}
  workspace:
    type: azure.ml_workspace
    properties:
      name: mlp-{suffix}
      resource_group: ${{rg.name}}
      location: westus
      storage_account: ${{account.id}}
      key_vault: /subscriptions/{sub}/resourceGroups/mlp-{suffix}/providers/Microsoft.KeyVault/vaults/kv
  churn:
    type: azure.ml_model_version
    properties:
      workspace: ${{workspace.name}}
      resource_group: ${{rg.name}}
      model_name: churn
      version: 1
      path: {path}
    lifecycle: {{hard_delete: {hard_delete}}}
"""
URI = "https://mlp.blob.core.windows.net/models/churn"


def model_version_body(suffix: str) -> dict[str, Any] | None:
    from modelinfra.providers.azure.ml_client import MlClient
    from modelinfra.providers.azure.session import AzureSession
    from modelinfra.settings import Settings
    from modelinfra.spec.providers import AzureProviderConfig

    session = AzureSession(AzureProviderConfig(subscription_id=SUBSCRIPTION_ID), Settings())
    return MlClient(session).get(f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/mlp-{suffix}/providers/"
                                 f"Microsoft.MachineLearningServices/workspaces/mlp-{suffix}/models/churn/versions/1")


def test_a_new_path_under_the_same_model_version_is_refused_then_works_with_hard_delete(
        tmp_path: Path, azure_env: dict[str, str], unique_name: str) -> None:
    spec = tmp_path / "ml.yaml"
    state_path = tmp_path / ".modelinfra" / "ml-promise.state.json"

    def write(path: str, hard_delete: bool = False) -> None:
        spec.write_text(ML_SPEC.format(suffix=unique_name, sub=SUBSCRIPTION_ID, path=path,
                                       hard_delete=str(hard_delete).lower()))

    write(f"{URI}/v1.bin")
    assert (applied := run_cli("apply", spec, "--auto-approve")).code == 0, applied.output
    state_before = state_path.read_bytes()

    write(f"{URI}/v2.bin")
    for command in (("plan", spec), ("apply", spec, "--auto-approve")):
        refused = run_cli(*command)
        assert refused.code == 1, refused.output
        assert "churn" in refused.stderr and "bump version" in refused.stderr, refused.output
        assert "lifecycle.hard_delete: true" in refused.stderr and "Traceback" not in refused.stderr
    assert state_path.read_bytes() == state_before, "nothing written"
    body = model_version_body(unique_name)
    assert body is not None and body["properties"]["isArchived"] is False, "nothing archived"
    assert body["properties"]["modelUri"] == f"{URI}/v1.bin"

    write(f"{URI}/v2.bin", hard_delete=True)
    plan = run_cli("plan", spec)
    assert plan.code == 0 and "Plan: 1 to add, 0 to change, 1 to destroy." in plan.stdout, plan.output
    assert (replaced := run_cli("apply", spec, "--auto-approve")).code == 0, replaced.output
    body = model_version_body(unique_name)
    assert body is not None and body["properties"]["modelUri"] == f"{URI}/v2.bin"
    assert body["properties"]["isArchived"] is False
    assert (again := run_cli("plan", spec, "--detailed-exitcode")).code == 0, again.output
    assert "No changes." in again.stdout
    assert run_cli("destroy", spec, "--auto-approve").code == 0
