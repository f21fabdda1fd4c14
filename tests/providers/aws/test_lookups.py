"""Data-source lookups (``lookup_keys`` / ``lookup``) of the aws handlers against moto server: a
lookup finds a resource made through its handler with the attributes ``read`` gives (computed ones
included), answers None for a missing one, writes nothing (no resource, no tag), and surfaces
service errors as the provider's usual errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from modelinfra.errors import RetryableError
from modelinfra.providers.aws.session import AwsSession
from modelinfra.providers.base import ResourceContext
from modelinfra.providers.registry import handler_for
from modelinfra.sandbox.base import RunningService
from modelinfra.settings import Settings
from modelinfra.spec.providers import AwsProviderConfig

TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                 "Principal": {"Service": "backup.amazonaws.com"}}]}


@pytest.fixture
def ctx(aws_env: dict[str, str], tmp_path: Path) -> ResourceContext:
    session = AwsSession(AwsProviderConfig(region="us-east-1"), Settings(max_attempts=2))
    return ResourceContext(stack="lookups", address="data.shared", spec_dir=tmp_path, session=session)


def _bucket_state(session: Any, attributes: dict[str, Any]) -> Any:
    s3 = session.client("s3")
    return ([b["Name"] for b in s3.list_buckets()["Buckets"]],
            s3.get_bucket_tagging(Bucket=attributes["name"])["TagSet"],
            s3.get_bucket_versioning(Bucket=attributes["name"]).get("Status"))


def _vault_state(session: Any, attributes: dict[str, Any]) -> Any:
    backup = session.client("backup")
    return ([v["BackupVaultName"] for v in backup.list_backup_vaults()["BackupVaultList"]],
            backup.list_tags(ResourceArn=attributes["arn"])["Tags"])


def _role_state(session: Any, attributes: dict[str, Any]) -> Any:
    iam = session.client("iam")
    return ([r["RoleName"] for r in iam.list_roles()["Roles"]],
            iam.list_role_tags(RoleName=attributes["name"])["Tags"])


def _key_state(session: Any, attributes: dict[str, Any]) -> Any:
    kms = session.client("kms")
    return ([k["KeyId"] for k in kms.list_keys()["Keys"]], kms.list_aliases()["Aliases"],
            kms.list_resource_tags(KeyId=attributes["key_id"])["Tags"])


# type -> (properties given the unique suffix, the raw cloud state a lookup must leave alone)
CASES: dict[str, tuple[Callable[[str], dict[str, Any]], Callable[[Any, dict[str, Any]], Any]]] = {
    "aws.s3_bucket": (lambda u: {"name": f"mi-shared-{u}", "versioning": True, "tags": {"team": "ml"}},
                      _bucket_state),
    "aws.backup_vault": (lambda u: {"name": f"vault-{u}", "tags": {"team": "ml"}}, _vault_state),
    "aws.iam_role": (lambda u: {"name": f"backup-{u}", "assume_role_policy": TRUST, "path": "/service-role/"},
                     _role_state),
    "aws.kms_key": (lambda u: {"alias": f"alias/models-{u}", "description": "shared", "tags": {"team": "ml"}},
                    _key_state),
}


@pytest.mark.parametrize("type_name", list(CASES))
def test_lookup_finds_the_resource_with_read_attributes_and_writes_nothing(
        type_name: str, ctx: ResourceContext, unique_name: str) -> None:
    handler = handler_for(type_name)
    make_props, cloud_state = CASES[type_name]
    props = make_props(unique_name)
    created = handler.create(ctx, handler.spec_model.model_validate(props))
    keys = {key: props[key] for key in handler.lookup_keys}
    before = cloud_state(ctx.session, created)

    found = handler.lookup(ctx, keys)

    assert found is not None
    cloud_id, attributes = found
    assert attributes == handler.read(ctx, cloud_id)
    assert attributes == {k: v for k, v in created.items() if k not in handler.write_only}
    assert all(attributes.get(name) for name in handler.computed)  # arn & co. are there to reference
    assert cloud_state(ctx.session, created) == before  # nothing created, changed or tagged

    missing = {key: f"{value}-gone" for key, value in keys.items()}
    assert handler.lookup(ctx, missing) is None
    assert cloud_state(ctx.session, created) == before


def test_bucket_lookup_id_is_the_name_and_exposes_arn(ctx: ResourceContext, unique_name: str) -> None:
    handler = handler_for("aws.s3_bucket")
    handler.create(ctx, handler.spec_model(name=f"mi-arn-{unique_name}"))
    cloud_id, attributes = handler.lookup(ctx, {"name": f"mi-arn-{unique_name}"}) or ("", {})
    assert cloud_id == attributes["name"] == f"mi-arn-{unique_name}"
    assert attributes["arn"] == f"arn:aws:s3:::mi-arn-{unique_name}"


def test_kms_lookup_takes_an_alias_without_its_prefix(ctx: ResourceContext, unique_name: str) -> None:
    handler = handler_for("aws.kms_key")
    created = handler.create(ctx, handler.spec_model(alias=f"alias/bare-{unique_name}"))
    cloud_id, attributes = handler.lookup(ctx, {"alias": f"bare-{unique_name}"}) or ("", {})
    assert cloud_id == created["key_id"] and attributes["arn"] == created["arn"]


def test_kms_key_pending_deletion_is_not_found(ctx: ResourceContext, unique_name: str) -> None:
    handler = handler_for("aws.kms_key")
    created = handler.create(ctx, handler.spec_model(alias=f"alias/doomed-{unique_name}"))
    ctx.session.client("kms").schedule_key_deletion(KeyId=created["key_id"], PendingWindowInDays=7)
    assert handler.lookup(ctx, {"alias": f"alias/doomed-{unique_name}"}) is None


def test_throttling_surfaces_as_the_providers_retryable_error(aws_env: dict[str, str], tmp_path: Path,
                                                              aws_emulator: RunningService) -> None:
    session = AwsSession(AwsProviderConfig(region="us-east-1"), Settings(max_attempts=1))
    ctx = ResourceContext(stack="lookups", address="data.vault", spec_dir=tmp_path, session=session)
    requests.post(f"{aws_emulator.url}/_emulator/faults", json={"throttle_ratio": 1.0}, timeout=10)
    try:
        with pytest.raises(RetryableError) as info:
            handler_for("aws.backup_vault").lookup(ctx, {"name": "vault-anything"})
    finally:
        requests.delete(f"{aws_emulator.url}/_emulator/faults", timeout=10)
    assert "vault-anything" in str(info.value)
