"""``plan/apply --refresh-only`` through the installed CLI against moto: drift a team decides to
keep is accepted into state, and the cloud is left exactly as it was. Also (issue 13) a failed
destroy says "destroy failed", not "apply failed"."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from tests.e2e.test_plan_features import stack  # noqa: F401  (the fixture)

pytestmark = pytest.mark.e2e


def test_refresh_only_accepts_outside_changes_into_state_without_touching_the_cloud(stack, tmp_path: Path):  # noqa: F811
    write, cli, name = stack
    write()
    assert cli("apply", "spec.yaml", "--auto-approve").code == 0
    s3 = boto3.client("s3")
    first, second = f"first-{name}", f"second-{name}"
    tags = s3.get_bucket_tagging(Bucket=first)["TagSet"] + [{"Key": "owner", "Value": "finance"}]
    s3.put_bucket_tagging(Bucket=first, Tagging={"TagSet": tags})
    s3.delete_object(Bucket=second, Key="model.bin")

    planned = cli("plan", "spec.yaml", "--refresh-only", "--detailed-exitcode")
    assert planned.code == 2, planned.output
    assert "first has changed outside modelinfra" in planned.stdout
    assert "model has been deleted outside modelinfra" in planned.stdout
    assert "refresh-only plan" in planned.stdout and "state forgets model" in planned.stdout
    assert "to add" not in planned.stdout

    applied = cli("apply", "spec.yaml", "--refresh-only", "--auto-approve")
    assert applied.code == 0, applied.output
    assert "nothing in the cloud was changed" in applied.stdout
    assert {"Key": "owner", "Value": "finance"} in s3.get_bucket_tagging(Bucket=first)["TagSet"], "kept"
    assert "Contents" not in s3.list_objects_v2(Bucket=second), "the deleted object was not uploaded again"
    listed = cli("state", "list", "spec.yaml")
    assert listed.code == 0 and "model" not in listed.stdout.split() and "first" in listed.stdout, listed.output
    state = json.loads((tmp_path / ".modelinfra" / "features.state.json").read_text())
    assert state["resources"]["first"]["attributes"]["tags"]["owner"] == "finance"

    again = cli("plan", "spec.yaml", "--refresh-only", "--detailed-exitcode")
    assert again.code == 0 and "No changes." in again.stdout, again.output
    normal = cli("plan", "spec.yaml", "--json")
    actions = {c["address"]: c["change"]["actions"] for c in json.loads(normal.stdout)["resource_changes"]}
    assert actions["model"] == ["create"] and actions["first"] == ["update"], actions
    refused = cli("plan", "spec.yaml", "--refresh-only", "--destroy")
    assert refused.code == 1 and "--refresh-only" in refused.stderr and "Traceback" not in refused.stderr
    assert cli("destroy", "spec.yaml", "--auto-approve").code == 0


def test_a_failed_destroy_says_destroy_failed(stack):  # noqa: F811
    write, cli, name = stack
    (stack_dir := write()).write_text(stack_dir.read_text().replace("force_destroy: true", "force_destroy: false"))
    assert cli("apply", "spec.yaml", "--auto-approve").code == 0
    boto3.client("s3").put_object(Bucket=f"first-{name}", Key="outside.bin", Body=b"x")
    failed = cli("destroy", "spec.yaml", "--auto-approve")
    assert failed.code == 1, failed.output
    assert "destroy failed:" in failed.stderr and "apply failed" not in failed.output, failed.stderr
    boto3.client("s3").delete_object(Bucket=f"first-{name}", Key="outside.bin")
