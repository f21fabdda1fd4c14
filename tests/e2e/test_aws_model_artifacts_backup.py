"""``examples/aws-model-artifacts-backup.yaml`` end to end through the installed CLI against moto
(plus the project's AWS Backup extensions): validate, plan, apply, no-op plan, a new rule schedule
(an in-place update giving the backup plan a new version), new selection resources (a
replacement), a point-in-time restore of the artifact planned and applied, and destroy, which
refuses to empty a vault that holds a recovery point.
"""

from __future__ import annotations

import json
import shutil
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.e2e.cli import Result, run_cli

pytestmark = pytest.mark.e2e

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "aws-model-artifacts-backup.yaml"
SCHEDULE = "schedule: cron(0 5 ? * * *)"
SELECTED = "        - ${bucket.arn}\n"
KEY = "models/model.bin"
ROLE = "arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole"
V1, V2 = b"weights-v1" * 2048, b"weights-v2" * 3072


def edit(spec: Path, old: str, new: str) -> None:
    text = spec.read_text()
    assert text.count(old) == 1, f"{old!r} is not in the example exactly once"
    spec.write_text(text.replace(old, new))


def plan(spec: Path, env: dict[str, str]) -> Result:
    result = run_cli("plan", spec, "--detailed-exitcode", env=env)
    assert result.code in (0, 2), result.output
    return result


def assert_no_changes(spec: Path, env: dict[str, str]) -> None:
    result = plan(spec, env)
    assert result.code == 0 and "No changes." in result.stdout, result.output


def apply(spec: Path, env: dict[str, str]) -> Result:
    result = run_cli("apply", spec, "--auto-approve", env=env)
    assert result.code == 0, result.output
    return result


def outputs(spec: Path, env: dict[str, str]) -> dict[str, Any]:
    result = run_cli("output", spec, "--json", env=env)
    assert result.code == 0, result.output
    return {name: (value["value"] if isinstance(value, dict) else value)
            for name, value in json.loads(result.stdout).items()}


def test_backup_and_point_in_time_restore_lifecycle(tmp_path: Path, aws_env: dict[str, str],
                                                    unique_name: str) -> None:
    spec = tmp_path / "aws-model-artifacts-backup.yaml"
    shutil.copy(EXAMPLE, spec)
    model = tmp_path / "model.bin"
    model.write_bytes(V1)
    env = {**aws_env, "MODELINFRA_VAR_suffix": unique_name, "MODELINFRA_VAR_force_destroy": "true"}
    bucket = vault = f"model-artifacts-{unique_name}"
    s3, backup = boto3.client("s3"), boto3.client("backup")

    assert run_cli("validate", spec, env=env).code == 0

    first = plan(spec, env)
    assert first.code == 2
    assert "Plan: 5 to add, 0 to change, 0 to destroy." in first.stdout
    apply(spec, env)
    assert s3.get_object(Bucket=bucket, Key=KEY)["Body"].read() == V1
    plan_id = backup.list_backup_plans()["BackupPlansList"]
    plan_id = next(p["BackupPlanId"] for p in plan_id if p["BackupPlanName"] == f"model-artifacts-daily-{unique_name}")
    [selection] = backup.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"]
    got = backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=selection["SelectionId"])
    assert got["BackupSelection"]["Resources"] == [f"arn:aws:s3:::{bucket}"]
    assert got["BackupSelection"]["IamRoleArn"] == ROLE
    assert_no_changes(spec, env)

    # the rule's schedule changes in place; AWS gives the plan a new version
    version_before = outputs(spec, env)["backup_plan_version"]
    edit(spec, SCHEDULE, "schedule: cron(30 2 ? * * *)")
    rescheduled = plan(spec, env)
    assert rescheduled.code == 2
    assert '~ resource "aws.backup_plan" "plan"' in rescheduled.stdout
    assert 'rules[0].schedule = "cron(0 5 ? * * *)" -> "cron(30 2 ? * * *)"' in rescheduled.stdout
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in rescheduled.stdout
    apply(spec, env)
    rules = backup.get_backup_plan(BackupPlanId=plan_id)["BackupPlan"]["Rules"]
    assert rules[0]["ScheduleExpression"] == "cron(30 2 ? * * *)"
    assert outputs(spec, env)["backup_plan_version"] != version_before

    # selections are immutable: new resources replace the selection
    datasets = f"arn:aws:s3:::datasets-{unique_name}"
    edit(spec, SELECTED, SELECTED + f"        - {datasets}\n")
    reselected = plan(spec, env)
    assert reselected.code == 2
    assert '-/+ resource "aws.backup_selection" "selection"' in reselected.stdout
    assert "# forces replacement" in reselected.stdout
    assert "Plan: 1 to add, 0 to change, 1 to destroy." in reselected.stdout
    apply(spec, env)
    [selection] = backup.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"]
    got = backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=selection["SelectionId"])
    assert sorted(got["BackupSelection"]["Resources"]) == sorted([f"arn:aws:s3:::{bucket}", datasets])

    # a second artifact version, then a restore to a time between the two
    time.sleep(1.1)  # S3 LastModified has millisecond-to-second resolution: keep the versions apart
    model.write_bytes(V2)
    apply(spec, env)
    assert s3.get_object(Bucket=bucket, Key=KEY)["Body"].read() == V2
    listed = run_cli("artifacts", "versions", spec, "model", "--json", env=env)
    assert listed.code == 0, listed.output
    newer, older = json.loads(listed.stdout)
    assert (older["size"], newer["size"], newer["is_latest"]) == (len(V1), len(V2), True)
    human = run_cli("artifacts", "versions", spec, "model", env=env)
    assert human.code == 0, human.output
    for version in (newer, older):
        line = next(line for line in human.stdout.splitlines() if line.startswith(version["version_id"]))
        assert version["last_modified"] in line and str(version["size"]) in line

    t1, t2 = (datetime.fromisoformat(v["last_modified"]) for v in (older, newer))
    between = t1 + (t2 - t1) / 2
    assert t1 <= between < t2
    env["MODELINFRA_VAR_restore_at"] = between.isoformat()
    restore = plan(spec, env)
    assert restore.code == 2
    assert '~ resource "aws.s3_object" "model"' in restore.stdout
    assert "restored_from" in restore.stdout
    assert f"{older['version_id']} (as of {between.isoformat()})" in restore.stdout
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in restore.stdout
    print(restore.stdout)
    apply(spec, env)
    assert s3.get_object(Bucket=bucket, Key=KEY)["Body"].read() == V1
    assert_no_changes(spec, env)

    # destroy never empties a vault: with a recovery point in it, it fails naming the vault
    job = backup.start_backup_job(BackupVaultName=vault, ResourceArn=f"arn:aws:s3:::{bucket}", IamRoleArn=ROLE)
    refused = run_cli("destroy", spec, "--auto-approve", env=env)
    assert refused.code == 1, refused.output
    assert f"vault {vault} still holds 1 recovery points" in refused.stderr
    assert "Traceback" not in refused.output
    print(refused.output)
    listed_state = run_cli("state", "list", spec, env=env)
    assert [line.split()[0] for line in listed_state.stdout.splitlines()] == ["vault"], listed_state.output
    assert backup.describe_backup_vault(BackupVaultName=vault)["BackupVaultName"] == vault

    backup.delete_recovery_point(BackupVaultName=vault, RecoveryPointArn=job["RecoveryPointArn"])
    destroyed = run_cli("destroy", spec, "--auto-approve", env=env)
    assert destroyed.code == 0, destroyed.output
    assert vault not in [v["BackupVaultName"] for v in backup.list_backup_vaults()["BackupVaultList"]]
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert run_cli("state", "list", spec, env=env).stdout.strip() == ""
