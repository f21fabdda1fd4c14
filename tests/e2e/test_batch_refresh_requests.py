"""Index, then read, as ``plan --json`` statistics show it: a no-op plan of a 20-resource stack sends
fewer requests than one read per resource (counts, never time), stays a no-op, and still sees an
out-of-band change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import SUBSCRIPTION_ID
from tests.e2e.cli import run_cli

pytestmark = pytest.mark.e2e


def _plan(spec: Path, env: dict[str, str], cwd: Path) -> dict:
    result = run_cli("plan", spec, "--json", env=env, cwd=cwd)
    assert result.code == 0, result.output
    return json.loads(result.stdout)


def _actions(document: dict) -> dict[str, list[str]]:
    return {c["address"]: c["change"]["actions"] for c in document["resource_changes"]}


def test_s3_objects_of_a_versioned_bucket_cost_one_listing(tmp_path: Path, aws_env: dict[str, str],
                                                          unique_name: str) -> None:
    (tmp_path / "model.bin").write_bytes(b"weights")
    def head(name: str) -> str:
        return ("version: 1\nname: batch-s3\nproviders:\n  aws:\n    region: us-east-1\nresources:\n"
                f"  bucket:\n    type: aws.s3_bucket\n    properties: {{name: {name}, versioning: true, "
                "force_destroy: true}\n")
    objects = "".join(f"  o{i}:\n    type: aws.s3_object\n    properties: {{bucket: '${{bucket.name}}', "
                      f"key: 'm/{i}.bin', source: ./model.bin}}\n" for i in range(19))
    (tmp_path / "alone").mkdir()
    bucket_only, spec = tmp_path / "alone" / "bucket.yaml", tmp_path / "spec.yaml"
    bucket_only.write_text(head(f"bra-{unique_name}"))  # what reading the bucket alone costs
    spec.write_text(head(f"br-{unique_name}") + objects)
    assert run_cli("apply", bucket_only, "--auto-approve", env=aws_env, cwd=tmp_path / "alone").code == 0
    bucket_requests = _plan(bucket_only, aws_env, tmp_path / "alone")["statistics"]["requests"]
    assert run_cli("destroy", bucket_only, "--auto-approve", env=aws_env, cwd=tmp_path / "alone").code == 0
    assert run_cli("apply", spec, "--auto-approve", env=aws_env, cwd=tmp_path).code == 0
    try:
        document = _plan(spec, aws_env, tmp_path)
        assert set(map(tuple, _actions(document).values())) == {("no-op",)}
        assert document["statistics"] == {"requests": bucket_requests + 1, "resources": 20}
        client = __import__("boto3").client("s3", endpoint_url=aws_env["AWS_ENDPOINT_URL"])
        client.put_object(Bucket=f"br-{unique_name}", Key="m/3.bin", Body=b"edited outside")
        document = _plan(spec, aws_env, tmp_path)
        assert _actions(document)["o3"] == ["update"]
        assert document["statistics"]["requests"] == bucket_requests + 2  # the listing and one HEAD
    finally:
        assert run_cli("destroy", spec, "--auto-approve", env=aws_env, cwd=tmp_path).code == 0


def test_disks_of_a_resource_group_cost_one_listing(tmp_path: Path, azure_env: dict[str, str],
                                                   unique_name: str) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        f"version: 1\nname: batch-az\nproviders:\n  azure:\n    subscription_id: {SUBSCRIPTION_ID}\nresources:\n"
        f"  rg:\n    type: azure.resource_group\n    properties: {{name: br-{unique_name}, location: westus}}\n"
        + "".join(f"  d{i}:\n    type: azure.managed_disk\n    properties: {{name: d{i}, resource_group: "
                  "'${rg.name}', location: westus, size_gb: 4}\n" for i in range(19)))
    assert run_cli("apply", spec, "--auto-approve", env=azure_env, cwd=tmp_path).code == 0
    try:
        document = _plan(spec, azure_env, tmp_path)
        assert set(map(tuple, _actions(document).values())) == {("no-op",)}
        assert document["statistics"] == {"requests": 2, "resources": 20}  # the group, then one listing
    finally:
        assert run_cli("destroy", spec, "--auto-approve", env=azure_env, cwd=tmp_path).code == 0
