"""``aws.backup_vault`` against moto server (with the Backup extensions) over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from modelinfra.errors import TerminalError
from modelinfra.providers.aws.backup_vault import BackupVaultHandler, BackupVaultSpec
from modelinfra.providers.aws.session import AwsSession
from modelinfra.providers.base import ResourceContext
from modelinfra.settings import Settings
from modelinfra.spec.providers import AwsProviderConfig
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
    from modelinfra.plans.diff import diff_attributes

    aws_default_key = {"name": "a-vault", "kms_key_arn": KEY, "tags": {}, "arn": "arn:..."}
    assert diff_attributes(HANDLER.desired(ctx, spec(name="a-vault")), aws_default_key,
                           none_is_unmanaged=False) == [], "an unset key is AWS's choice, never drift"
    observed = {"name": "a-vault", "kms_key_arn": KEY, "tags": {}, "arn": "arn:..."}
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
