"""``examples/aws-model-artifacts-backup.yaml`` end to end through the installed CLI against moto
(plus the project's AWS Backup extensions), with nothing made by hand: the stack creates its KMS
key, its AWS Backup service role and a tag-based selection. validate, plan, apply, no-op plan, a
new rule schedule (an in-place update giving the backup plan a new version), a new selection tag
(a replacement), a point-in-time restore of the artifact planned and applied, and destroy, which
refuses to delete a vault that still holds a recovery point.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import boto3
import pytest

from tests.e2e.cli import Result, run_cli
from tests.e2e.examples import ExampleRun, copy_example, model_bytes

pytestmark = pytest.mark.e2e

EXAMPLE = "aws-model-artifacts-backup.yaml"
SCHEDULE = "schedule: cron(0 5 ? * * *)"
SELECTED = "        - {type: STRINGEQUALS, key: backup, value: daily}\n"
KEY = "models/model.bin"
BACKUP_POLICY = "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"
V1, V2 = model_bytes(20_000, seed="v1"), model_bytes(30_000, seed="v2")


def plan_changes(run: ExampleRun) -> Result:
    result = run.cli("plan", run.spec, "--detailed-exitcode")
    assert result.code == 2, result.output
    return result


def assert_no_changes(run: ExampleRun) -> None:
    result = run.cli("plan", run.spec, "--detailed-exitcode")
    assert result.code == 0 and "No changes." in result.stdout, result.output


def apply(run: ExampleRun) -> None:
    result = run.cli("apply", run.spec, "--auto-approve")
    assert result.code == 0, result.output


def versions(run: ExampleRun, *args: str) -> Result:
    """``artifacts versions SPEC model``; ExampleRun.cli passes no --var to ``artifacts``, so here."""
    result = run.cli("artifacts", "versions", run.spec, "model", *args,
                     *(f"--var={k}={v}" for k, v in run.variables.items()))
    assert result.code == 0, result.output
    return result


def test_example_backs_up_restores_a_point_in_time_and_guards_the_vault(
        tmp_path: Path, aws_env: dict[str, str], unique_name: str) -> None:
    run = copy_example(EXAMPLE, tmp_path, aws_env, suffix=unique_name)
    model = tmp_path / "model.bin"
    model.write_bytes(V1)
    bucket = vault = f"model-artifacts-{unique_name}"
    role_name = f"model-artifacts-backup-{unique_name}"
    role = f"arn:aws:iam::123456789012:role/service-role/{role_name}"
    s3, backup, iam, kms = boto3.client("s3"), boto3.client("backup"), boto3.client("iam"), boto3.client("kms")

    validated = run.cli("validate", run.spec)
    assert validated.code == 0, validated.output

    first = plan_changes(run)
    assert "Plan: 7 to add, 0 to change, 0 to destroy." in first.stdout
    apply(run)
    assert s3.get_object(Bucket=bucket, Key=KEY)["Body"].read() == V1
    outputs = run.outputs()
    assert outputs["backup_role_arn"] == role
    trust = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "backup.amazonaws.com"}
    attached = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]]
    assert BACKUP_POLICY in attached
    key = kms.describe_key(KeyId=f"alias/model-artifacts-{unique_name}")["KeyMetadata"]
    assert key["Arn"] == outputs["key_arn"] and kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"]
    assert backup.describe_backup_vault(BackupVaultName=vault)["EncryptionKeyArn"] == key["Arn"]
    [sse] = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert sse == {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]},
                   "BucketKeyEnabled": True}
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    assert tags["backup"] == "daily"
    plan_id = next(p["BackupPlanId"] for p in backup.list_backup_plans()["BackupPlansList"]
                   if p["BackupPlanName"] == f"model-artifacts-daily-{unique_name}")
    [selection] = backup.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"]
    chosen = backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=selection["SelectionId"])["BackupSelection"]
    assert chosen["IamRoleArn"] == role and not chosen.get("Resources")
    assert chosen["ListOfTags"] == [{"ConditionType": "STRINGEQUALS", "ConditionKey": "backup",
                                     "ConditionValue": "daily"}]
    assert chosen["Conditions"]["StringEquals"] == [{"ConditionKey": "aws:ResourceTag/team", "ConditionValue": "ml"}]
    assert_no_changes(run)

    # a new schedule updates the rule in place, and AWS gives the plan a new version
    version_before = backup.get_backup_plan(BackupPlanId=plan_id)["VersionId"]
    run.edit(SCHEDULE, "schedule: cron(30 2 ? * * *)")
    rescheduled = plan_changes(run)
    assert '~ resource "aws.backup_plan" "plan"' in rescheduled.stdout
    assert 'rules[0].schedule = "cron(0 5 ? * * *)" -> "cron(30 2 ? * * *)"' in rescheduled.stdout
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in rescheduled.stdout
    apply(run)
    described = backup.get_backup_plan(BackupPlanId=plan_id)
    assert described["BackupPlan"]["Rules"][0]["ScheduleExpression"] == "cron(30 2 ? * * *)"
    assert run.outputs()["backup_plan_version"] == described["VersionId"] != version_before

    # selections are immutable: a new selection tag replaces the selection
    run.edit(SELECTED, SELECTED + "        - {type: STRINGEQUALS, key: backup, value: hourly}\n")
    reselected = plan_changes(run)
    assert '-/+ resource "aws.backup_selection" "selection"' in reselected.stdout
    assert "# forces replacement" in reselected.stdout
    assert "Plan: 1 to add, 0 to change, 1 to destroy." in reselected.stdout
    apply(run)
    [replaced] = backup.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"]
    chosen = backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=replaced["SelectionId"])["BackupSelection"]
    assert replaced["SelectionId"] != selection["SelectionId"]
    assert sorted(t["ConditionValue"] for t in chosen["ListOfTags"]) == ["daily", "hourly"]

    # a second artifact version, seconds after the first (S3 lists LastModified in whole seconds)
    model.write_bytes(V2)
    apply(run)
    assert s3.get_object(Bucket=bucket, Key=KEY)["Body"].read() == V2
    newer, older = json.loads(versions(run, "--json").stdout)["versions"]
    assert (older["size"], newer["size"], older["is_latest"], newer["is_latest"]) == (len(V1), len(V2), False, True)
    human = versions(run).stdout
    for version in (newer, older):
        [line] = [line for line in human.splitlines() if line.startswith(version["version_id"])]
        assert version["last_modified"] in line and f" {version['size']} " in line

    # restore to a time between the two versions: planned, applied, then stable
    t1, t2 = (datetime.fromisoformat(v["last_modified"]) for v in (older, newer))
    between = t1 + (t2 - t1) / 2
    assert t1 <= between < t2
    run.variables["restore_at"] = between.isoformat()
    restore = plan_changes(run)
    assert '~ resource "aws.s3_object" "model"' in restore.stdout
    assert f'+ restored_from = "{older["version_id"]} (as of {between.isoformat()})"' in restore.stdout
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in restore.stdout
    apply(run)
    restored = s3.get_object(Bucket=bucket, Key=KEY)
    assert restored["Body"].read() == V1
    assert run.outputs()["model_version_id"] == restored["VersionId"] not in (older["version_id"], newer["version_id"])
    assert_no_changes(run)

    # destroy never deletes a vault holding recovery points: a clear error, and the vault stays managed
    job = backup.start_backup_job(BackupVaultName=vault, ResourceArn=f"arn:aws:s3:::{bucket}", IamRoleArn=role)
    refused = run.cli("destroy", run.spec, "--auto-approve")
    assert refused.code == 1, refused.output
    assert f"vault {vault} still holds 1 recovery points" in refused.stderr
    assert "Traceback" not in refused.output
    assert sorted(run.state()["resources"]) == ["key", "vault"]  # the vault's key stays while the vault does
    assert backup.describe_backup_vault(BackupVaultName=vault)["BackupVaultName"] == vault

    backup.delete_recovery_point(BackupVaultName=vault, RecoveryPointArn=job["RecoveryPointArn"])
    destroyed = run.cli("destroy", run.spec, "--auto-approve")
    assert destroyed.code == 0, destroyed.output
    assert run.state()["resources"] == {}
    assert vault not in [v["BackupVaultName"] for v in backup.list_backup_vaults()["BackupVaultList"]]
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
    assert role_name not in [r["RoleName"] for r in iam.list_roles()["Roles"]]


INLINE_SPEC = """\
version: 1
name: s3-version-output
variables:
  suffix:
    default: dev
providers:
  aws:
    region: us-east-1
resources:
  bucket:
    type: aws.s3_bucket
    properties:
      name: version-output-${var.suffix}
      versioning: true
  model:
    type: aws.s3_object
    properties:
      bucket: ${bucket.name}
      key: models/model.bin
      source: ./model.bin
outputs:
  model_version_id:
    value: ${model.version_id}
"""


def test_object_version_id_output_is_the_current_version_and_stable(tmp_path: Path, aws_env: dict[str, str],
                                                                     unique_name: str) -> None:
    spec = tmp_path / "stack.yaml"
    spec.write_text(INLINE_SPEC)
    (tmp_path / "model.bin").write_bytes(V1)
    run = ExampleRun(spec, dict(aws_env), {"suffix": unique_name})
    try:
        apply(run)
        head = boto3.client("s3").head_object(Bucket=f"version-output-{unique_name}", Key=KEY)
        assert run.outputs()["model_version_id"] == head["VersionId"]
        assert_no_changes(run)
    finally:
        run_cli("destroy", spec, "--auto-approve", f"--var=suffix={unique_name}", env=aws_env)


def test_emulator_keeps_noncurrent_versions_to_retain(aws_env: dict[str, str], unique_name: str) -> None:
    s3 = boto3.client("s3")
    bucket = f"lifecycle-{unique_name}"
    s3.create_bucket(Bucket=bucket)
    try:
        rule = {"ID": "keep-10", "Filter": {"Prefix": ""}, "Status": "Enabled",
                "NoncurrentVersionExpiration": {"NoncurrentDays": 90, "NewerNoncurrentVersions": 10}}
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [rule]})
        [got] = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
        assert got["NoncurrentVersionExpiration"] == {"NoncurrentDays": 90, "NewerNoncurrentVersions": 10}
    finally:
        s3.delete_bucket(Bucket=bucket)
