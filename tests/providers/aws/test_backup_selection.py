"""``aws.backup_selection`` against moto server (with the Backup extensions) over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from modelinfra.errors import TerminalError
from modelinfra.plans.diff import diff_attributes
from modelinfra.providers.aws.backup_selection import BackupSelectionHandler, BackupSelectionSpec
from modelinfra.providers.aws.session import AwsSession
from modelinfra.providers.base import ResourceContext
from modelinfra.settings import Settings
from modelinfra.spec.providers import AwsProviderConfig
from tests.providers.conformance import check_lifecycle

HANDLER = BackupSelectionHandler()
ROLE = "arn:aws:iam::123456789012:role/backup"


@pytest.fixture
def ctx(aws_env: dict[str, str], tmp_path: Path) -> ResourceContext:
    session = AwsSession(AwsProviderConfig(region="us-east-1"), Settings(max_attempts=3))
    return ResourceContext(stack="backuptest", address="selection", spec_dir=tmp_path, session=session)


@pytest.fixture
def plan_id(ctx: ResourceContext, unique_name: str) -> Iterator[str]:
    client = ctx.session.client("backup")
    client.create_backup_vault(BackupVaultName=f"vault-{unique_name}")
    plan = client.create_backup_plan(BackupPlan={"BackupPlanName": f"plan-{unique_name}", "Rules": [
        {"RuleName": "daily", "TargetBackupVaultName": f"vault-{unique_name}"}]})
    yield plan["BackupPlanId"]
    for sel in client.list_backup_selections(BackupPlanId=plan["BackupPlanId"])["BackupSelectionsList"]:
        client.delete_backup_selection(BackupPlanId=plan["BackupPlanId"], SelectionId=sel["SelectionId"])
    client.delete_backup_plan(BackupPlanId=plan["BackupPlanId"])
    client.delete_backup_vault(BackupVaultName=f"vault-{unique_name}")


def spec(**props: Any) -> BackupSelectionSpec:
    return BackupSelectionSpec.model_validate({"name": "models", "iam_role_arn": ROLE,
                                               "resources": ["arn:aws:s3:::models-b", "arn:aws:s3:::models-a"],
                                               **props})


def test_selection_conformance(ctx: ResourceContext, plan_id: str) -> None:
    final = check_lifecycle(HANDLER, ctx, spec(plan=plan_id))
    assert final["resources"] == ["arn:aws:s3:::models-a", "arn:aws:s3:::models-b"]
    assert final["plan"] == plan_id and final["iam_role_arn"] == ROLE and final["id"]


def test_selection_by_tags_and_conditions_conformance(ctx: ResourceContext, plan_id: str) -> None:
    want = BackupSelectionSpec.model_validate({
        "name": "tagged", "plan": plan_id, "iam_role_arn": ROLE,
        "selection_tags": [{"key": "backup", "value": "daily"}, {"type": "STRINGEQUALS", "key": "tier", "value": "gold"}],
        "conditions": {"string_equals": [{"key": "aws:ResourceTag/team", "value": "ml"}],
                       "string_not_like": [{"key": "aws:ResourceTag/env", "value": "dev*"}]},
        "not_resources": ["arn:aws:s3:::scratch-*"]})
    final = check_lifecycle(HANDLER, ctx, want)
    assert final["resources"] == []
    assert final["selection_tags"] == [{"type": "STRINGEQUALS", "key": "backup", "value": "daily"},
                                       {"type": "STRINGEQUALS", "key": "tier", "value": "gold"}]
    assert final["conditions"]["string_not_like"] == [{"key": "aws:ResourceTag/env", "value": "dev*"}]
    assert final["conditions"]["string_like"] == []
    assert final["not_resources"] == ["arn:aws:s3:::scratch-*"]


def test_selection_by_tags_sends_aws_list_of_tags(ctx: ResourceContext, plan_id: str) -> None:
    want = BackupSelectionSpec.model_validate({"name": "bytag", "plan": plan_id, "iam_role_arn": ROLE,
                                               "selection_tags": [{"key": "backup", "value": "daily"}]})
    created = HANDLER.create(ctx, want)
    body = ctx.session.client("backup").get_backup_selection(BackupPlanId=plan_id,
                                                             SelectionId=created["id"])["BackupSelection"]
    assert body["ListOfTags"] == [{"ConditionType": "STRINGEQUALS", "ConditionKey": "backup", "ConditionValue": "daily"}]
    changes = diff_attributes(HANDLER.desired(ctx, want.model_copy(update={"not_resources": ["arn:aws:s3:::x"]})),
                              created, force_new=HANDLER.force_new)
    assert [(c.path, c.forces_replacement) for c in changes] == [("not_resources[0]", True)]


def test_identity_is_plan_id_and_name_and_read_resolves_it(ctx: ResourceContext, plan_id: str) -> None:
    want = spec(plan=plan_id)
    assert HANDLER.identify(ctx, want) == f"{plan_id}/models"
    created = HANDLER.create(ctx, want)
    listed = ctx.session.client("backup").list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"]
    assert [s["SelectionId"] for s in listed] == [created["id"]]
    assert HANDLER.read(ctx, f"{plan_id}/models") == created
    assert HANDLER.read(ctx, f"{plan_id}/other") is None
    HANDLER.delete(ctx, f"{plan_id}/models", created)


def test_missing_plan_reads_as_gone_and_deletes_as_success(ctx: ResourceContext) -> None:
    assert HANDLER.read(ctx, "no-such-plan/models") is None
    HANDLER.delete(ctx, "no-such-plan/models", {})


def test_create_in_a_missing_plan_is_a_terminal_error(ctx: ResourceContext) -> None:
    with pytest.raises(TerminalError, match="ResourceNotFoundException") as exc:
        HANDLER.create(ctx, spec(plan="no-such-plan"))
    assert exc.value.code == "ResourceNotFoundException"


def test_every_property_forces_replacement_and_update_refuses(ctx: ResourceContext, plan_id: str) -> None:
    observed = {"name": "models", "plan": plan_id, "iam_role_arn": ROLE, "resources": ["arn:aws:s3:::models-a"],
                "id": "sel"}
    wanted = HANDLER.desired(ctx, spec(plan="other-plan", name="renamed",
                                       iam_role_arn="arn:aws:iam::123456789012:role/other",
                                       selection_tags=[{"key": "backup", "value": "daily"}],
                                       conditions={"string_like": [{"key": "aws:ResourceTag/team", "value": "ml*"}]},
                                       not_resources=["arn:aws:s3:::scratch"]))
    changes = diff_attributes(wanted, observed, force_new=HANDLER.force_new)
    assert {c.path.split("[")[0].split(".")[0] for c in changes} == {
        "name", "plan", "iam_role_arn", "resources", "selection_tags", "conditions", "not_resources"}
    assert all(c.forces_replacement for c in changes)
    with pytest.raises(TerminalError, match="cannot change in place"):
        HANDLER.update(ctx, spec(plan=plan_id), observed, changes)


@pytest.mark.parametrize(("props", "message"), [
    ({"iam_role_arn": "arn:aws:iam::123456789012:user/alice"}, "not an IAM role ARN"),
    ({"iam_role_arn": "backup-role"}, "not an IAM role ARN"),
    ({"iam_role_arn": "arn:aws:iam::1234:role/x"}, "not an IAM role ARN"),
    ({"resources": []}, "needs resources or selection_tags"),
    ({"resources": [], "selection_tags": [{"type": "STRINGLIKE", "key": "a", "value": "b"}]}, "STRINGEQUALS"),
    ({"conditions": {"string_matches": []}}, "Extra inputs"),
    ({"not_resources": ["bucket"]}, "not_resources entry 'bucket' is not an ARN"),
    ({"resources": ["models-bucket"]}, "resource 'models-bucket' is not an ARN"),
    ({"resources": ["arn:aws:s3:::a", "arn:aws:s3:::a"]}, "the same ARN twice"),
    ({"name": "no/slash"}, "invalid selection name"),
    ({"plan": ""}, "at least 1 character"),
])
def test_selection_validation(props: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        spec(**{"plan": "plan-id", **props})


def test_role_arn_in_other_partitions_is_accepted() -> None:
    role = "arn:aws-us-gov:iam::123456789012:role/service-role/Backup"
    assert spec(plan="p", iam_role_arn=role).iam_role_arn == role
