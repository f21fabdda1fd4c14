"""``aws.backup_vault`` against moto server (with the Backup extensions) over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from pydantic import ValidationError

from modelinfra.errors import TerminalError
from modelinfra.plans.diff import diff_attributes
from modelinfra.providers.aws.backup_vault import BackupVaultHandler, BackupVaultSpec
from modelinfra.providers.aws.policy_document import canonical_policy
from modelinfra.providers.aws.session import AwsSession
from modelinfra.providers.base import ResourceContext
from modelinfra.settings import Settings
from modelinfra.spec.providers import AwsProviderConfig
from tests.e2e.cli import run_cli
from tests.providers.conformance import check_lifecycle

HANDLER = BackupVaultHandler()
ROLE = "arn:aws:iam::123456789012:role/backup"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture
def ctx(aws_env: dict[str, str], tmp_path: Path) -> ResourceContext:
    session = AwsSession(AwsProviderConfig(region="us-east-1"), Settings(max_attempts=3))
    return ResourceContext(stack="backuptest", address="vault", spec_dir=tmp_path, session=session)


def spec(**props: object) -> BackupVaultSpec:
    return BackupVaultSpec.model_validate(props)


def test_vault_conformance_with_key_and_tag_update(ctx: ResourceContext, unique_name: str) -> None:
    name = f"vault-{unique_name}"
    final = check_lifecycle(HANDLER, ctx, spec(name=name, kms_key_arn=KEY, tags={"team": "ml"}),
                            spec(name=name, kms_key_arn=KEY, tags={"team": "ml", "env": "dev"}))
    assert final["tags"] == {"team": "ml", "env": "dev"}
    assert final["kms_key_arn"] == KEY
    assert final["arn"] == f"arn:aws:backup:us-east-1:123456789012:backup-vault:{name}"


def test_vault_carries_managed_tags_but_read_hides_them(ctx: ResourceContext, unique_name: str) -> None:
    name = f"vault-{unique_name}"
    created = HANDLER.create(ctx, spec(name=name, tags={"team": "ml"}))
    try:
        client = ctx.session.client("backup")
        assert client.list_tags(ResourceArn=created["arn"])["Tags"] == {
            "team": "ml", "modelinfra-stack": "backuptest", "modelinfra-address": "vault"}
        assert created["tags"] == {"team": "ml"}
    finally:
        HANDLER.delete(ctx, name, created)


def test_create_adopts_an_existing_vault_and_converges_its_tags(ctx: ResourceContext, unique_name: str) -> None:
    name = f"vault-{unique_name}"
    ctx.session.client("backup").create_backup_vault(BackupVaultName=name, BackupVaultTags={"stale": "x"})
    try:
        adopted = HANDLER.create(ctx, spec(name=name, tags={"team": "ml"}))
        assert adopted["tags"] == {"team": "ml"}
        assert {**(HANDLER.read(ctx, name) or {}), "force_destroy": False} == adopted
    finally:
        HANDLER.delete(ctx, name, {})


def test_delete_of_a_vault_with_recovery_points_fails_and_keeps_it(ctx: ResourceContext, unique_name: str) -> None:
    name = f"vault-{unique_name}"
    created = HANDLER.create(ctx, spec(name=name))
    client = ctx.session.client("backup")
    jobs = [client.start_backup_job(BackupVaultName=name, ResourceArn=f"arn:aws:s3:::models-{i}", IamRoleArn=ROLE)
            for i in range(2)]
    with pytest.raises(TerminalError, match=f"vault {name} still holds 2 recovery points; delete them first or set force_destroy"):
        HANDLER.delete(ctx, name, created)
    assert HANDLER.read(ctx, name) is not None

    for job in jobs:
        client.delete_recovery_point(BackupVaultName=name, RecoveryPointArn=job["RecoveryPointArn"])
    HANDLER.delete(ctx, name, created)
    assert HANDLER.read(ctx, name) is None


def test_force_destroy_deletes_the_recovery_points_then_the_vault(ctx: ResourceContext, unique_name: str) -> None:
    name = f"vault-{unique_name}"
    created = HANDLER.create(ctx, spec(name=name, force_destroy=True))
    assert created["force_destroy"] is True and "force_destroy" not in (HANDLER.read(ctx, name) or {})
    client = ctx.session.client("backup")
    for i in range(3):
        client.start_backup_job(BackupVaultName=name, ResourceArn=f"arn:aws:s3:::models-{i}", IamRoleArn=ROLE)
    HANDLER.delete(ctx, name, created)
    assert HANDLER.read(ctx, name) is None
    HANDLER.delete(ctx, name, created)  # missing vault: still success


def test_name_and_key_changes_force_replacement(ctx: ResourceContext) -> None:
    aws_default_key = {"name": "a-vault", "kms_key_arn": KEY, "policy": {}, "tags": {}, "arn": "arn:..."}
    assert diff_attributes(HANDLER.desired(ctx, spec(name="a-vault")), aws_default_key,
                           none_is_unmanaged=False) == [], "an unset key is AWS's choice, never drift"
    observed = {"name": "a-vault", "kms_key_arn": KEY, "policy": {}, "tags": {}, "arn": "arn:..."}
    changes = diff_attributes(HANDLER.desired(ctx, spec(name="b-vault", kms_key_arn=KEY.replace("1234abcd", "9999abcd"))),
                              observed, force_new=HANDLER.force_new)
    assert {c.path: c.forces_replacement for c in changes} == {"name": True, "kms_key_arn": True}


@pytest.mark.parametrize(("props", "message"), [
    ({"name": "x"}, "invalid vault name: 2 to 50"),
    ({"name": "has space"}, "invalid vault name: 2 to 50"),
    ({"name": "ok-vault", "kms_key_arn": "alias/aws/backup"}, "not a KMS key ARN"),
    ({"name": "ok-vault", "tags": {"modelinfra-stack": "x"}}, "is set by modelinfra itself"),
    ({"name": "ok-vault", "tags": {"aws:created": "x"}}, "reserved by AWS"),
    ({"name": "ok-vault", "colour": "red"}, "Extra inputs are not permitted"),
])
def test_vault_spec_rejects(props: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        BackupVaultSpec.model_validate(props)


def no_delete_policy(vault: str, action: object = "backup:DeleteRecoveryPoint") -> dict[str, object]:
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "NoDelete", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": action,
        "Resource": f"arn:aws:backup:us-east-1:123456789012:backup-vault:{vault}"}]}


def live_policy(ctx: ResourceContext, name: str) -> dict[str, object] | None:
    try:
        answer = ctx.session.client("backup").get_backup_vault_access_policy(BackupVaultName=name)
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "ResourceNotFoundException"
        return None
    return json.loads(answer["Policy"])


def test_vault_conformance_adding_an_access_policy_in_place(ctx: ResourceContext, unique_name: str) -> None:
    name = f"vault-{unique_name}"
    final = check_lifecycle(HANDLER, ctx, spec(name=name),
                            spec(name=name, policy=json.dumps(no_delete_policy(name))))
    assert final["policy"]["Statement"][0]["Sid"] == "NoDelete"


def test_policy_is_created_read_back_updated_and_removed_with_the_spec(ctx: ResourceContext, unique_name: str) -> None:
    name = f"vault-{unique_name}"
    first = spec(name=name, policy=no_delete_policy(name))
    created = HANDLER.create(ctx, first)
    try:
        assert live_policy(ctx, name) == no_delete_policy(name)
        assert created["policy"] == canonical_policy(no_delete_policy(name))
        assert not diff_attributes(HANDLER.desired(ctx, first), HANDLER.read(ctx, name))

        wider = spec(name=name, policy=no_delete_policy(name, ["backup:DeleteRecoveryPoint",
                                                              "backup:UpdateRecoveryPointLifecycle"]))
        changes = diff_attributes(HANDLER.desired(ctx, wider), created, force_new=HANDLER.force_new)
        assert changes and all(c.path.startswith("policy.") and not c.forces_replacement for c in changes)
        updated = HANDLER.update(ctx, wider, created, changes)
        assert (live_policy(ctx, name) or {})["Statement"][0]["Action"] == [  # type: ignore[index]
            "backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"]

        bare = spec(name=name)
        changes = diff_attributes(HANDLER.desired(ctx, bare), updated)
        assert [c.path for c in changes] == ["policy"] and changes[0].after == {}
        after = HANDLER.update(ctx, bare, updated, changes)
        assert live_policy(ctx, name) is None and after["policy"] == {}
        assert not diff_attributes(HANDLER.desired(ctx, bare), HANDLER.read(ctx, name))
    finally:
        HANDLER.delete(ctx, name, {})
    assert live_policy_gone_with_vault(ctx, name)


def live_policy_gone_with_vault(ctx: ResourceContext, name: str) -> bool:
    try:
        ctx.session.client("backup").get_backup_vault_access_policy(BackupVaultName=name)
    except ClientError as exc:
        return exc.response["Error"]["Code"] == "ResourceNotFoundException"
    return False


def test_policy_rewritten_in_another_form_is_no_drift_but_a_real_change_is(ctx: ResourceContext,
                                                                          unique_name: str) -> None:
    name = f"vault-{unique_name}"
    want = spec(name=name, policy=json.dumps(no_delete_policy(name)))
    HANDLER.create(ctx, want)
    try:
        statement = no_delete_policy(name)["Statement"][0]  # type: ignore[index]
        reordered = {"Statement": {  # one object instead of a list, keys reordered, one-element lists
            "Resource": [statement["Resource"]], "Action": ["backup:DeleteRecoveryPoint"],
            "Principal": {"AWS": ["*"]}, "Effect": "Deny", "Sid": "NoDelete"}, "Version": "2012-10-17"}
        client = ctx.session.client("backup")
        client.put_backup_vault_access_policy(BackupVaultName=name, Policy=json.dumps(reordered))
        assert not diff_attributes(HANDLER.desired(ctx, want), HANDLER.read(ctx, name))
        assert not diff_attributes(HANDLER.desired(ctx, want), HANDLER.read(ctx, name), none_is_unmanaged=False)

        other = {**reordered, "Statement": {**reordered["Statement"], "Effect": "Allow"}}
        client.put_backup_vault_access_policy(BackupVaultName=name, Policy=json.dumps(other))
        changed = diff_attributes(HANDLER.desired(ctx, want), HANDLER.read(ctx, name))
        assert [c.path for c in changed] == ["policy.Statement[0].Effect"]
    finally:
        HANDLER.delete(ctx, name, {})


def test_a_policy_added_outside_modelinfra_is_a_change_back_to_none(ctx: ResourceContext, unique_name: str) -> None:
    name = f"vault-{unique_name}"
    bare = spec(name=name)
    created = HANDLER.create(ctx, bare)
    try:
        assert created["policy"] == {}
        ctx.session.client("backup").put_backup_vault_access_policy(
            BackupVaultName=name, Policy=json.dumps(no_delete_policy(name)))
        observed = HANDLER.read(ctx, name)
        assert [c.path for c in diff_attributes(HANDLER.desired(ctx, bare), observed)] == ["policy"]
    finally:
        HANDLER.delete(ctx, name, {})


def test_adopting_a_vault_converges_its_policy(ctx: ResourceContext, unique_name: str) -> None:
    name = f"vault-{unique_name}"
    client = ctx.session.client("backup")
    client.create_backup_vault(BackupVaultName=name)
    client.put_backup_vault_access_policy(BackupVaultName=name, Policy=json.dumps(no_delete_policy(name, "backup:*")))
    try:
        adopted = HANDLER.create(ctx, spec(name=name, policy=no_delete_policy(name)))
        assert live_policy(ctx, name) == no_delete_policy(name)
        assert adopted["policy"] == canonical_policy(no_delete_policy(name))
    finally:
        HANDLER.delete(ctx, name, {})


@pytest.mark.parametrize(("policy", "message"), [
    ("{not json", "not valid JSON"),
    ({"Statement": []}, "non-empty Statement"),
    ({"Statement": [{"Effect": "Allow", "Action": "backup:*"}]}, "needs a Principal"),
    ({"Statement": [{"Effect": "Permit", "Principal": "*", "Action": "backup:*"}]}, "Effect must be Allow or Deny"),
])
def test_vault_policy_of_a_bad_shape_is_rejected_offline(policy: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        spec(name="ok-vault", policy=policy)


def test_validate_points_at_the_bad_policy_line(tmp_path: Path) -> None:
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(
        "version: 1\nname: demo\nproviders:\n  aws:\n    region: us-east-1\nresources:\n  vault:\n"
        "    type: aws.backup_vault\n    properties:\n      name: models-vault\n      policy:\n"
        "        Statement:\n          - {Effect: Allow, Action: 'backup:*'}\n")
    result = run_cli("validate", spec_file, env={"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}, cwd=tmp_path)
    assert result.code == 1, result.output
    assert f"{spec_file}:11:7: resources.vault.properties.policy: " in result.stderr
    assert "needs a Principal" in result.stderr
