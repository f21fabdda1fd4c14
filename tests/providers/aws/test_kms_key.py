"""``aws.kms_key`` against moto server over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from modelinfra.errors import TerminalError
from modelinfra.providers.aws.kms_key import KmsKeyHandler, KmsKeySpec
from modelinfra.providers.aws.session import AwsSession
from modelinfra.providers.base import ResourceContext
from modelinfra.settings import Settings
from modelinfra.spec.providers import AwsProviderConfig
from tests.providers.conformance import check_lifecycle, check_retag

HANDLER = KmsKeyHandler()
ACCOUNT_ROOT = {"Version": "2012-10-17", "Statement": [{
    "Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
    "Action": "kms:*", "Resource": "*"}]}


def make_ctx(address: str, tmp_path: Path) -> ResourceContext:
    session = AwsSession(AwsProviderConfig(region="us-east-1"), Settings(max_attempts=3))
    return ResourceContext(stack="kmstest", address=address, spec_dir=tmp_path, session=session)


@pytest.fixture
def ctx(aws_env: dict[str, str], tmp_path: Path, unique_name: str) -> ResourceContext:
    return make_ctx(f"key-{unique_name}", tmp_path)


def spec(**props: Any) -> KmsKeySpec:
    return KmsKeySpec.model_validate(props)


def test_key_conformance_update_changes_rotation_policy_alias_and_tags(ctx: ResourceContext, unique_name: str) -> None:
    created = spec(description="model backups", alias=f"alias/models-{unique_name}", tags={"team": "ml"})
    updated = spec(description="model backups (rotated)", enable_key_rotation=True, policy=ACCOUNT_ROOT,
                   alias=f"alias/backups-{unique_name}", tags={"team": "ml", "env": "dev"}, deletion_window_in_days=7)
    final = check_lifecycle(HANDLER, ctx, created, updated)
    assert final["arn"].endswith(f":key/{final['key_id']}")
    assert final["alias"] == f"alias/backups-{unique_name}" and final["enable_key_rotation"] is True
    assert final["policy"]["Statement"][0]["Action"] == ["kms:*"]
    kms = ctx.session.client("kms")
    assert kms.describe_key(KeyId=final["key_id"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
    assert not kms.list_aliases(KeyId=final["key_id"])["Aliases"], "delete frees the alias for a re-create"


def test_interrupted_create_is_found_by_its_tags_and_adopted(ctx: ResourceContext) -> None:
    want = spec(description="orphan")
    kms = ctx.session.client("kms")
    orphan = kms.create_key(Description="half made", Tags=[  # CreateKey ran, then the process died
        {"TagKey": "modelinfra-stack", "TagValue": ctx.stack}, {"TagKey": "modelinfra-address", "TagValue": ctx.address}])
    cloud_id = HANDLER.identify(ctx, want)
    assert cloud_id == f"modelinfra:kmstest/{ctx.address}"
    found = HANDLER.read(ctx, cloud_id)
    assert found is not None and found["key_id"] == orphan["KeyMetadata"]["KeyId"]
    adopted = HANDLER.create(ctx, want)
    assert adopted["key_id"] == orphan["KeyMetadata"]["KeyId"] and adopted["description"] == "orphan"
    HANDLER.delete(ctx, cloud_id, adopted)
    assert HANDLER.read(ctx, cloud_id) is None


def test_a_for_each_instance_key_is_found_by_its_tag_safe_address(aws_env: dict[str, str], tmp_path: Path,
                                                                    unique_name: str) -> None:
    ctx = make_ctx(f'key{unique_name.replace("-", "")}["ranker"]', tmp_path)
    created = HANDLER.create(ctx, spec(description="per model"))
    cloud_id = HANDLER.identify(ctx, spec(description="per model"))
    found = HANDLER.read(ctx, cloud_id)  # the tag holds key...:ranker, the id the raw address
    assert found is not None and found["key_id"] == created["key_id"]
    HANDLER.delete(ctx, cloud_id, created)
    assert HANDLER.read(ctx, cloud_id) is None


def test_keys_of_other_addresses_are_never_adopted_and_import_reads_by_key_id(tmp_path: Path, aws_env: dict[str, str],
                                                                             unique_name: str) -> None:
    one, two = make_ctx(f"one-{unique_name}", tmp_path), make_ctx(f"two-{unique_name}", tmp_path)
    first = HANDLER.create(one, spec(description="one"))
    try:
        assert HANDLER.read(two, HANDLER.identify(two, spec())) is None
        imported = HANDLER.import_(two, first["arn"])
        assert imported is not None and imported["key_id"] == first["key_id"]
    finally:
        HANDLER.delete(one, HANDLER.identify(one, spec()), first)


def test_recreate_after_an_outside_deletion_takes_the_alias_back(ctx: ResourceContext, unique_name: str) -> None:
    want = spec(alias=f"alias/again-{unique_name}")
    first = HANDLER.create(ctx, want)
    ctx.session.client("kms").schedule_key_deletion(KeyId=first["key_id"], PendingWindowInDays=7)  # alias stays
    cloud_id = HANDLER.identify(ctx, want)
    assert HANDLER.read(ctx, cloud_id) is None
    second = HANDLER.create(ctx, want)
    assert second["key_id"] != first["key_id"] and second["alias"] == want.alias
    HANDLER.delete(ctx, cloud_id, second)


def test_asymmetric_signing_key_conformance(ctx: ResourceContext) -> None:
    final = check_lifecycle(HANDLER, ctx, spec(customer_master_key_spec="RSA_2048", key_usage="SIGN_VERIFY",
                                               description="model signing"))
    assert (final["customer_master_key_spec"], final["key_usage"], final["enable_key_rotation"]) == (
        "RSA_2048", "SIGN_VERIFY", False)


def test_alias_held_by_another_key_is_a_clear_error(ctx: ResourceContext, unique_name: str) -> None:
    kms = ctx.session.client("kms")
    other = kms.create_key(Description="someone else's")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=f"alias/taken-{unique_name}", TargetKeyId=other)
    with pytest.raises(TerminalError, match="already names another key"):
        HANDLER.create(ctx, spec(alias=f"alias/taken-{unique_name}"))
    HANDLER.delete(ctx, HANDLER.identify(ctx, spec()), {})


@pytest.mark.parametrize(("props", "message"), [
    ({"alias": "models"}, "alias must be alias/<name>"),
    ({"alias": "alias/aws/backup"}, "reserved for AWS managed keys"),
    ({"deletion_window_in_days": 3}, "greater than or equal to 7"),
    ({"key_usage": "SIGN_VERIFY"}, "not available for customer_master_key_spec SYMMETRIC_DEFAULT"),
    ({"customer_master_key_spec": "HMAC_256", "key_usage": "GENERATE_VERIFY_MAC", "enable_key_rotation": True},
     "only symmetric"),
    ({"policy": {"Statement": [{"Effect": "Allow"}]}}, "exactly one of Action and NotAction"),
])
def test_key_spec_rejects(props: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        spec(**props)


def test_import_takes_a_key_id_or_arn_and_refuses_an_alias() -> None:
    arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert HANDLER.parse_cloud_id(arn) == arn
    assert HANDLER.parse_cloud_id(" 1234abcd-12ab-34cd-56ef-1234567890ab ") == "1234abcd-12ab-34cd-56ef-1234567890ab"
    for bad in ("alias/models", "arn:aws:kms:us-east-1:123456789012:alias/models"):
        with pytest.raises(ValueError, match="expected the key id"):
            HANDLER.parse_cloud_id(bad)


def test_a_moved_key_is_retagged_and_found_at_the_id_of_its_new_address(ctx: ResourceContext,
                                                                        unique_name: str) -> None:
    kms = ctx.session.client("kms")
    created: dict[str, str] = {}

    def tags(cloud_id: str) -> dict[str, str]:  # the key the old id named, by its KMS key id
        if "key_id" not in created:  # asked first before the move, while the old id still names it
            created["key_id"] = HANDLER.read(ctx, cloud_id)["key_id"]
        return {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=created["key_id"])["Tags"]}

    observed = check_retag(HANDLER, ctx, spec(description="moved", tags={"team": "ml"}), tags,
                           moved_to=f"moved-{unique_name}")
    assert observed["key_id"] == created["key_id"]  # the same key, not a new one
    assert HANDLER.read(ctx, HANDLER.identify(ctx, spec())) is None  # the old address no longer names it
    HANDLER.delete(ctx, created["key_id"], observed)
