"""The AWS Backup extensions over moto, driven by boto3 over HTTP like any real client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from modelinfra.sandbox.base import RunningService

ROLE = "arn:aws:iam::123456789012:role/backup-role"


@pytest.fixture
def backup(aws_emulator: RunningService) -> Any:
    return boto3.client("backup", endpoint_url=aws_emulator.url, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture
def vault(backup: Any, unique_name: str) -> Iterator[str]:
    name = f"vault-{unique_name}"
    backup.create_backup_vault(BackupVaultName=name)
    yield name
    for point in backup.list_recovery_points_by_backup_vault(BackupVaultName=name)["RecoveryPoints"]:
        backup.delete_recovery_point(BackupVaultName=name, RecoveryPointArn=point["RecoveryPointArn"])
    backup.delete_backup_vault(BackupVaultName=name)


def rule(name: str, vault: str, **extra: Any) -> dict[str, Any]:
    return {"RuleName": name, "TargetBackupVaultName": vault, **extra}


@pytest.fixture
def plan(backup: Any, vault: str, unique_name: str) -> Iterator[dict[str, Any]]:
    created = backup.create_backup_plan(BackupPlan={"BackupPlanName": f"plan-{unique_name}",
                                                    "Rules": [rule("daily", vault)]})
    yield created
    plan_id = created["BackupPlanId"]
    try:
        for sel in backup.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"]:
            backup.delete_backup_selection(BackupPlanId=plan_id, SelectionId=sel["SelectionId"])
        backup.delete_backup_plan(BackupPlanId=plan_id)
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "ResourceNotFoundException"


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = exc.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def selection(name: str, **extra: Any) -> dict[str, Any]:
    return {"SelectionName": name, "IamRoleArn": ROLE, "Resources": ["arn:aws:s3:::models"], **extra}


def test_selection_create_get_list_delete_round_trip(backup: Any, plan: dict[str, Any]) -> None:
    plan_id = plan["BackupPlanId"]
    created = backup.create_backup_selection(BackupPlanId=plan_id, BackupSelection=selection("models"))
    assert created["BackupPlanId"] == plan_id and created["SelectionId"] and created["CreationDate"]

    got = backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=created["SelectionId"])
    assert got["BackupSelection"] == selection("models")
    listed = backup.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"]
    assert [(s["SelectionId"], s["SelectionName"], s["IamRoleArn"]) for s in listed] == [
        (created["SelectionId"], "models", ROLE)]

    backup.delete_backup_selection(BackupPlanId=plan_id, SelectionId=created["SelectionId"])
    assert backup.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"] == []
    with pytest.raises(ClientError) as exc:
        backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=created["SelectionId"])
    assert error_of(exc)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        backup.delete_backup_selection(BackupPlanId=plan_id, SelectionId=created["SelectionId"])
    assert error_of(exc)[0] == "ResourceNotFoundException"


def test_selection_on_unknown_plan_is_not_found(backup: Any) -> None:
    with pytest.raises(ClientError) as exc:
        backup.create_backup_selection(BackupPlanId="no-such-plan", BackupSelection=selection("s"))
    assert error_of(exc)[:2] == ("ResourceNotFoundException", 404)
    for call in (lambda: backup.list_backup_selections(BackupPlanId="no-such-plan"),
                 lambda: backup.get_backup_selection(BackupPlanId="no-such-plan", SelectionId="x")):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc)[0] == "ResourceNotFoundException"


@pytest.mark.parametrize("role", ["arn:aws:iam::123456789012:user/alice", "backup-role",
                                  "arn:aws:iam::12345:role/short-account"])
def test_selection_rejects_a_role_that_is_not_an_iam_role_arn(backup: Any, plan: dict[str, Any], role: str) -> None:
    with pytest.raises(ClientError) as exc:
        backup.create_backup_selection(BackupPlanId=plan["BackupPlanId"],
                                       BackupSelection=selection("s", IamRoleArn=role))
    code, status, message = error_of(exc)
    assert (code, status) == ("InvalidParameterValueException", 400) and role in message


def test_selection_needs_resources_or_tags_and_unique_name(backup: Any, plan: dict[str, Any]) -> None:
    plan_id = plan["BackupPlanId"]
    with pytest.raises(ClientError) as exc:
        backup.create_backup_selection(BackupPlanId=plan_id, BackupSelection=selection("s", Resources=[]))
    assert error_of(exc)[0] == "InvalidParameterValueException"
    backup.create_backup_selection(BackupPlanId=plan_id, BackupSelection=selection("s"))
    with pytest.raises(ClientError) as exc:
        backup.create_backup_selection(BackupPlanId=plan_id, BackupSelection=selection("s"))
    assert error_of(exc)[0] == "AlreadyExistsException"


def test_list_selections_paginates(backup: Any, plan: dict[str, Any]) -> None:
    plan_id = plan["BackupPlanId"]
    for index in range(3):
        backup.create_backup_selection(BackupPlanId=plan_id, BackupSelection=selection(f"s{index}"))
    first = backup.list_backup_selections(BackupPlanId=plan_id, MaxResults=2)
    assert len(first["BackupSelectionsList"]) == 2 and first["NextToken"]
    pages = backup.get_paginator("list_backup_selections").paginate(BackupPlanId=plan_id,
                                                                   PaginationConfig={"PageSize": 1})
    names = [s["SelectionName"] for page in pages for s in page["BackupSelectionsList"]]
    assert names == ["s0", "s1", "s2"]


def test_update_plan_replaces_rules_with_a_new_version(backup: Any, plan: dict[str, Any], vault: str) -> None:
    plan_id, first_version = plan["BackupPlanId"], plan["VersionId"]
    name = backup.get_backup_plan(BackupPlanId=plan_id)["BackupPlan"]["BackupPlanName"]
    updated = backup.update_backup_plan(BackupPlanId=plan_id, BackupPlan={
        "BackupPlanName": name,
        "Rules": [rule("hourly", vault, ScheduleExpression="cron(0 * ? * * *)", Lifecycle={"DeleteAfterDays": 7})]})
    assert updated["BackupPlanId"] == plan_id and updated["VersionId"] != first_version

    current = backup.get_backup_plan(BackupPlanId=plan_id)
    assert current["VersionId"] == updated["VersionId"]
    assert [(r["RuleName"], r["ScheduleExpression"], r["Lifecycle"]) for r in current["BackupPlan"]["Rules"]] == [
        ("hourly", "cron(0 * ? * * *)", {"DeleteAfterDays": 7})]
    old = backup.get_backup_plan(BackupPlanId=plan_id, VersionId=first_version)
    assert [r["RuleName"] for r in old["BackupPlan"]["Rules"]] == ["daily"]
    versions = backup.list_backup_plan_versions(BackupPlanId=plan_id)["BackupPlanVersionsList"]
    assert {v["VersionId"] for v in versions} == {first_version, updated["VersionId"]}
    with pytest.raises(ClientError) as exc:
        backup.get_backup_plan(BackupPlanId=plan_id, VersionId="no-such-version")
    assert error_of(exc)[0] == "ResourceNotFoundException"


def test_update_of_unknown_plan_is_not_found(backup: Any, vault: str) -> None:
    with pytest.raises(ClientError) as exc:
        backup.update_backup_plan(BackupPlanId="no-such-plan",
                                  BackupPlan={"BackupPlanName": "x", "Rules": [rule("r", vault)]})
    assert error_of(exc)[:2] == ("ResourceNotFoundException", 404)


@pytest.mark.parametrize("bad_rule", [
    {"Lifecycle": {"MoveToColdStorageAfterDays": 30, "DeleteAfterDays": 100}},
    {"StartWindowMinutes": 30},
    {"StartWindowMinutes": 120, "CompletionWindowMinutes": 150},
    {"EnableContinuousBackup": True, "Lifecycle": {"DeleteAfterDays": 36}},
])
def test_plan_rules_aws_rejects_are_rejected(backup: Any, vault: str, unique_name: str, bad_rule: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as exc:
        backup.create_backup_plan(BackupPlan={"BackupPlanName": f"bad-{unique_name}",
                                              "Rules": [rule("r", vault, **bad_rule)]})
    assert error_of(exc)[0] == "InvalidParameterValueException"


def test_plan_delete_waits_for_its_selections_and_frees_the_name(backup: Any, plan: dict[str, Any], vault: str) -> None:
    plan_id = plan["BackupPlanId"]
    name = backup.get_backup_plan(BackupPlanId=plan_id)["BackupPlan"]["BackupPlanName"]
    sel = backup.create_backup_selection(BackupPlanId=plan_id, BackupSelection=selection("s"))
    with pytest.raises(ClientError) as exc:
        backup.delete_backup_plan(BackupPlanId=plan_id)
    assert error_of(exc)[0] == "InvalidRequestException"
    assert any(p["BackupPlanId"] == plan_id for p in backup.list_backup_plans()["BackupPlansList"])

    backup.delete_backup_selection(BackupPlanId=plan_id, SelectionId=sel["SelectionId"])
    deleted = backup.delete_backup_plan(BackupPlanId=plan_id)
    assert deleted["BackupPlanId"] == plan_id and deleted["DeletionDate"]
    assert all(p["BackupPlanId"] != plan_id for p in backup.list_backup_plans()["BackupPlansList"])
    assert any(p["BackupPlanId"] == plan_id
               for p in backup.list_backup_plans(IncludeDeleted=True)["BackupPlansList"])
    with pytest.raises(ClientError) as exc:
        backup.delete_backup_plan(BackupPlanId=plan_id)
    assert error_of(exc)[0] == "ResourceNotFoundException"

    again = backup.create_backup_plan(BackupPlan={"BackupPlanName": name, "Rules": [rule("daily", vault)]})
    assert again["BackupPlanId"] != plan_id
    backup.delete_backup_plan(BackupPlanId=again["BackupPlanId"])


def test_vault_with_recovery_points_cannot_be_deleted(backup: Any, vault: str) -> None:
    job = backup.start_backup_job(BackupVaultName=vault, ResourceArn="arn:aws:s3:::models", IamRoleArn=ROLE)
    assert backup.describe_backup_job(BackupJobId=job["BackupJobId"])["State"] == "COMPLETED"
    assert backup.describe_backup_vault(BackupVaultName=vault)["NumberOfRecoveryPoints"] == 1
    points = backup.list_recovery_points_by_backup_vault(BackupVaultName=vault)["RecoveryPoints"]
    assert [(p["RecoveryPointArn"], p["ResourceArn"], p["Status"]) for p in points] == [
        (job["RecoveryPointArn"], "arn:aws:s3:::models", "COMPLETED")]

    with pytest.raises(ClientError) as exc:
        backup.delete_backup_vault(BackupVaultName=vault)
    code, _, message = error_of(exc)
    assert code == "InvalidRequestException" and "1 recovery points" in message
    assert backup.describe_backup_vault(BackupVaultName=vault)["BackupVaultName"] == vault

    backup.delete_recovery_point(BackupVaultName=vault, RecoveryPointArn=job["RecoveryPointArn"])
    assert backup.describe_backup_vault(BackupVaultName=vault)["NumberOfRecoveryPoints"] == 0


def test_deleting_an_unknown_vault_is_not_found(backup: Any, unique_name: str) -> None:
    with pytest.raises(ClientError) as exc:
        backup.delete_backup_vault(BackupVaultName=f"missing-{unique_name}")
    assert error_of(exc)[0] == "ResourceNotFoundException"


def test_backup_job_needs_an_existing_vault_and_a_role(backup: Any, vault: str, unique_name: str) -> None:
    with pytest.raises(ClientError) as exc:
        backup.start_backup_job(BackupVaultName=f"missing-{unique_name}", ResourceArn="arn:aws:s3:::m",
                                IamRoleArn=ROLE)
    assert error_of(exc)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        backup.start_backup_job(BackupVaultName=vault, ResourceArn="arn:aws:s3:::m", IamRoleArn="not-a-role")
    assert error_of(exc)[0] == "InvalidParameterValueException"


def test_other_services_share_the_endpoint(aws_emulator: RunningService, unique_name: str) -> None:
    s3 = boto3.client("s3", endpoint_url=aws_emulator.url, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    s3.create_bucket(Bucket=f"shared-{unique_name}")
    assert f"shared-{unique_name}" in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    s3.delete_bucket(Bucket=f"shared-{unique_name}")


def vault_policy(vault_arn: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "NoDelete", "Effect": "Deny", "Principal": {"AWS": "*"},
        "Action": ["backup:DeleteRecoveryPoint"], "Resource": vault_arn}]})


def test_vault_access_policy_put_get_replace_delete(backup: Any, vault: str) -> None:
    arn = backup.describe_backup_vault(BackupVaultName=vault)["BackupVaultArn"]
    with pytest.raises(ClientError) as exc:
        backup.get_backup_vault_access_policy(BackupVaultName=vault)
    assert error_of(exc)[:2] == ("ResourceNotFoundException", 404)

    backup.put_backup_vault_access_policy(BackupVaultName=vault, Policy=vault_policy(arn))
    got = backup.get_backup_vault_access_policy(BackupVaultName=vault)
    assert (got["BackupVaultName"], got["BackupVaultArn"]) == (vault, arn)
    assert json.loads(got["Policy"]) == json.loads(vault_policy(arn))

    replaced = json.loads(vault_policy(arn)) | {"Id": "second"}
    backup.put_backup_vault_access_policy(BackupVaultName=vault, Policy=json.dumps(replaced))
    assert json.loads(backup.get_backup_vault_access_policy(BackupVaultName=vault)["Policy"])["Id"] == "second"

    backup.delete_backup_vault_access_policy(BackupVaultName=vault)
    with pytest.raises(ClientError) as exc:
        backup.get_backup_vault_access_policy(BackupVaultName=vault)
    assert error_of(exc)[0] == "ResourceNotFoundException"
    backup.delete_backup_vault_access_policy(BackupVaultName=vault)  # no policy left: still succeeds


@pytest.mark.parametrize("operation", ["get_backup_vault_access_policy", "delete_backup_vault_access_policy",
                                       "put_backup_vault_access_policy"])
def test_vault_access_policy_of_a_missing_vault_is_not_found(backup: Any, operation: str) -> None:
    extra = {"Policy": vault_policy("*")} if operation.startswith("put") else {}
    with pytest.raises(ClientError) as exc:
        getattr(backup, operation)(BackupVaultName="no-such-vault", **extra)
    assert error_of(exc)[:2] == ("ResourceNotFoundException", 404)


@pytest.mark.parametrize(("policy", "message"), [
    ("{not json", "not a valid JSON"),
    ('["a"]', "not a valid JSON"),
    ('{"Statement": []}', "no Statement"),
    ('{"Statement": [{"Effect": "Allow", "Principal": "*"}]}', "no Action"),
    ('{"Statement": [{"Effect": "Allow", "Action": "backup:*"}]}', "principal is not valid"),
])
def test_vault_access_policy_of_a_bad_shape_is_refused(backup: Any, vault: str, policy: str, message: str) -> None:
    with pytest.raises(ClientError) as exc:
        backup.put_backup_vault_access_policy(BackupVaultName=vault, Policy=policy)
    code, status, text = error_of(exc)
    assert (code, status) == ("InvalidParameterValueException", 400) and message in text


def test_deleting_a_vault_forgets_its_access_policy(backup: Any, unique_name: str) -> None:
    name = f"vault-pol-{unique_name}"
    arn = backup.create_backup_vault(BackupVaultName=name)["BackupVaultArn"]
    backup.put_backup_vault_access_policy(BackupVaultName=name, Policy=vault_policy(arn))
    backup.delete_backup_vault(BackupVaultName=name)
    backup.create_backup_vault(BackupVaultName=name)
    try:
        with pytest.raises(ClientError) as exc:
            backup.get_backup_vault_access_policy(BackupVaultName=name)
        assert error_of(exc)[0] == "ResourceNotFoundException"
    finally:
        backup.delete_backup_vault(BackupVaultName=name)
