"""``aws.backup_plan`` against moto server (with the Backup extensions) over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from modelinfra.errors import TerminalError
from modelinfra.plans.diff import diff_attributes
from modelinfra.providers.aws.backup_plan import BackupPlanHandler, BackupPlanSpec
from modelinfra.providers.aws.session import AwsSession
from modelinfra.providers.base import ResourceContext
from modelinfra.settings import Settings
from modelinfra.spec.providers import AwsProviderConfig
from tests.providers.conformance import check_lifecycle, check_retag

HANDLER = BackupPlanHandler()
ROLE = "arn:aws:iam::123456789012:role/backup"


@pytest.fixture
def ctx(aws_env: dict[str, str], tmp_path: Path) -> ResourceContext:
    session = AwsSession(AwsProviderConfig(region="us-east-1"), Settings(max_attempts=3))
    return ResourceContext(stack="backuptest", address="plan", spec_dir=tmp_path, session=session)


@pytest.fixture
def vault(ctx: ResourceContext, unique_name: str) -> Iterator[str]:
    name = f"vault-{unique_name}"
    ctx.session.client("backup").create_backup_vault(BackupVaultName=name)
    yield name
    ctx.session.client("backup").delete_backup_vault(BackupVaultName=name)


def spec(**props: Any) -> BackupPlanSpec:
    return BackupPlanSpec.model_validate(props)


def rule(vault: str = "models-vault", **props: Any) -> dict[str, Any]:
    return {"name": "daily", "target_vault": vault, **props}


DR_VAULT = "arn:aws:backup:eu-west-1:123456789012:backup-vault:models-dr"


def test_plan_conformance_update_rewrites_rules_and_tags(ctx: ResourceContext, vault: str, unique_name: str) -> None:
    name = f"plan-{unique_name}"
    created = spec(name=name, rules=[rule(vault)], tags={"team": "ml"})
    updated = spec(name=name, tags={"team": "ml", "env": "dev"}, rules=[
        rule(vault, schedule="cron(30 2 ? * MON-FRI *)", lifecycle={"cold_storage_after_days": 30,
                                                                    "delete_after_days": 120},
             copy_actions=[{"destination_vault_arn": DR_VAULT, "lifecycle": {"delete_after_days": 30}}]),
        rule(vault, name="pitr", continuous_backup=True, lifecycle={"delete_after_days": 35},
             recovery_point_tags={"kind": "pitr"}),
    ])
    final = check_lifecycle(HANDLER, ctx, created, updated)
    assert final["tags"] == {"team": "ml", "env": "dev"}
    assert [r["name"] for r in final["rules"]] == ["daily", "pitr"]
    assert final["rules"][0]["lifecycle"] == {"cold_storage_after_days": 30, "delete_after_days": 120}
    assert final["rules"][0]["copy_actions"] == [{"destination_vault_arn": DR_VAULT, "lifecycle": {
        "cold_storage_after_days": None, "delete_after_days": 30}}]
    assert final["rules"][1]["continuous_backup"] is True and final["rules"][1]["copy_actions"] == []
    assert final["id"] and final["arn"].endswith(final["id"]) and final["version_id"]


def test_rule_update_yields_a_new_version_and_keeps_the_old_one(ctx: ResourceContext, vault: str,
                                                                  unique_name: str) -> None:
    name = f"plan-{unique_name}"
    first = HANDLER.create(ctx, spec(name=name, rules=[rule(vault)]))
    try:
        wanted = spec(name=name, rules=[rule(vault, start_window_minutes=60, completion_window_minutes=180)])
        changes = diff_attributes(HANDLER.desired(ctx, wanted), first, force_new=HANDLER.force_new)
        assert [c.path for c in changes] == ["rules[0].completion_window_minutes", "rules[0].start_window_minutes"]
        second = HANDLER.update(ctx, wanted, first, changes)
        assert second["id"] == first["id"] and second["version_id"] != first["version_id"]
        assert (second["rules"][0]["start_window_minutes"], second["rules"][0]["completion_window_minutes"]) == (60, 180)

        client = ctx.session.client("backup")
        assert client.get_backup_plan(BackupPlanId=first["id"])["VersionId"] == second["version_id"]
        old = client.get_backup_plan(BackupPlanId=first["id"], VersionId=first["version_id"])
        assert old["BackupPlan"]["Rules"][0]["StartWindowMinutes"] == 480

        retagged = HANDLER.update(ctx, spec(name=name, rules=[rule(vault, start_window_minutes=60,
                                                                   completion_window_minutes=180)], tags={"a": "b"}),
                                  second, diff_attributes({"tags": {"a": "b"}}, second))
        assert retagged["tags"] == {"a": "b"} and retagged["version_id"] == second["version_id"]
    finally:
        HANDLER.delete(ctx, name, {})


def test_create_finds_a_plan_left_by_an_interrupted_create_and_converges_it(
        ctx: ResourceContext, vault: str, unique_name: str) -> None:
    name = f"plan-{unique_name}"
    client = ctx.session.client("backup")
    made = client.create_backup_plan(BackupPlan={"BackupPlanName": name, "Rules": [
        {"RuleName": "stale", "TargetBackupVaultName": vault}]})
    try:
        assert HANDLER.read(ctx, name)["id"] == made["BackupPlanId"]  # type: ignore[index]
        adopted = HANDLER.create(ctx, spec(name=name, rules=[rule(vault)], tags={"team": "ml"}))
        assert adopted["id"] == made["BackupPlanId"]
        assert [r["name"] for r in adopted["rules"]] == ["daily"] and adopted["tags"] == {"team": "ml"}
        assert len([p for p in client.list_backup_plans()["BackupPlansList"] if p["BackupPlanName"] == name]) == 1
    finally:
        HANDLER.delete(ctx, name, {})


def test_delete_refuses_while_selections_reference_the_plan(ctx: ResourceContext, vault: str,
                                                            unique_name: str) -> None:
    name = f"plan-{unique_name}"
    created = HANDLER.create(ctx, spec(name=name, rules=[rule(vault)]))
    client = ctx.session.client("backup")
    sel = client.create_backup_selection(BackupPlanId=created["id"], BackupSelection={
        "SelectionName": "models", "IamRoleArn": ROLE, "Resources": ["arn:aws:s3:::models"]})
    with pytest.raises(TerminalError, match=f"backup plan {name} is still referenced by backup selections"):
        HANDLER.delete(ctx, name, created)
    assert HANDLER.read(ctx, name) is not None
    client.delete_backup_selection(BackupPlanId=created["id"], SelectionId=sel["SelectionId"])
    HANDLER.delete(ctx, name, created)
    assert HANDLER.read(ctx, name) is None


def test_renaming_forces_replacement_and_defaults_match_aws(ctx: ResourceContext) -> None:
    desired = HANDLER.desired(ctx, spec(name="new-name", rules=[rule()]))
    assert desired["rules"][0] == {
        "name": "daily", "target_vault": "models-vault", "schedule": "cron(0 5 ? * * *)",
        "start_window_minutes": 480, "completion_window_minutes": 10080,
        "lifecycle": {"cold_storage_after_days": None, "delete_after_days": None},
        "continuous_backup": False, "recovery_point_tags": {}, "copy_actions": []}
    changes = diff_attributes(desired, {**desired, "name": "old-name"}, force_new=HANDLER.force_new)
    assert [(c.path, c.forces_replacement) for c in changes] == [("name", True)]


@pytest.mark.parametrize(("rule_props", "message"), [
    ({"lifecycle": {"cold_storage_after_days": 30, "delete_after_days": 119}},
     r"delete_after_days \(119\) must be at least cold_storage_after_days \+ 90 \(120\)"),
    ({"schedule": "rate(1 hour)"}, "must be a cron expression"),
    ({"copy_actions": [{"destination_vault_arn": "models-dr"}]}, "not a backup vault ARN"),
    ({"copy_actions": [{"destination_vault_arn": DR_VAULT, "lifecycle": {"cold_storage_after_days": 1,
                                                                         "delete_after_days": 2}}]},
     "must be at least cold_storage_after_days"),
    ({"schedule": "cron(0 5 * * *)"}, "needs 6 fields"),
    ({"schedule": "cron(0/15 * ? * * *)"}, "minutes must be a single value"),
    ({"schedule": "cron(0 25 ? * * *)"}, "hours must be 0-23"),
    ({"schedule": "cron(0 5 * * * *)"}, "exactly one of day-of-month and day-of-week must be '\\?'"),
    ({"schedule": "cron(0 5 ? * ? *)"}, "exactly one of day-of-month and day-of-week must be '\\?'"),
    ({"start_window_minutes": 59}, "greater than or equal to 60"),
    ({"start_window_minutes": 52_560_001}, "less than or equal to 52560000"),
    ({"start_window_minutes": 120, "completion_window_minutes": 179},
     r"completion_window_minutes \(179\) must be at least start_window_minutes \+ 60 \(180\)"),
    ({"continuous_backup": True}, "continuous_backup keeps recovery points 1-35 days"),
    ({"continuous_backup": True, "lifecycle": {"delete_after_days": 36}}, "between 1 and 35"),
    ({"continuous_backup": True, "lifecycle": {"cold_storage_after_days": 1, "delete_after_days": 91}},
     "cannot move to cold storage"),
    ({"continuous_backup": True, "lifecycle": {"cold_storage_after_days": 1, "delete_after_days": 30}},
     "delete_after_days \\(30\\) must be at least"),
    ({"target_vault": "x"}, "invalid vault name"),
    ({"name": "bad name"}, "invalid rule name"),
])
def test_rule_validation(rule_props: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        spec(name="plan", rules=[rule(**rule_props)])


def test_continuous_backup_within_35_days_is_valid() -> None:
    for days in (1, 35):
        parsed = spec(name="plan", rules=[rule(continuous_backup=True, lifecycle={"delete_after_days": days})])
        assert parsed.rules[0].lifecycle.delete_after_days == days


@pytest.mark.parametrize(("props", "message"), [
    ({"name": "plan", "rules": []}, "at least 1 item"),
    ({"name": "plan", "rules": [rule(), rule()]}, "rule name 'daily' is used twice"),
    ({"name": "p" * 51, "rules": [rule()]}, "invalid plan name"),
    ({"name": "plan", "rules": [rule()], "tags": {"modelinfra-address": "x"}}, "set by modelinfra itself"),
])
def test_plan_validation(props: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        BackupPlanSpec.model_validate(props)


def test_validation_errors_point_at_the_rule() -> None:
    with pytest.raises(ValidationError) as exc:
        spec(name="plan", rules=[rule(), rule(name="cold", lifecycle={"cold_storage_after_days": 10,
                                                                      "delete_after_days": 20})])
    assert [e["loc"] for e in exc.value.errors()] == [("rules", 1, "lifecycle")]


def test_a_moved_plan_gets_its_address_tag_rewritten_without_a_new_version(ctx: ResourceContext, vault: str,
                                                                           unique_name: str) -> None:
    client = ctx.session.client("backup")

    def tags(cloud_id: str) -> dict[str, str]:
        return client.list_tags(ResourceArn=HANDLER.read(ctx, cloud_id)["arn"])["Tags"]

    want = spec(name=f"moved-{unique_name}", rules=[rule(vault)], tags={"team": "ml"})
    version = HANDLER.create(ctx, want)["version_id"]
    observed = check_retag(HANDLER, ctx, want, tags)
    assert observed["version_id"] == version  # only the tags were written: the rules keep their version
    HANDLER.delete(ctx, HANDLER.identify(ctx, want), observed)
