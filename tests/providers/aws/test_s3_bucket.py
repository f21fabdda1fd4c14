"""``aws.s3_bucket`` against moto server over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from pydantic import ValidationError

from modelinfra.errors import TerminalError
from modelinfra.plans.diff import diff_attributes
from modelinfra.providers.aws.s3_bucket import S3BucketHandler
from modelinfra.providers.aws.s3_bucket_spec import S3BucketSpec
from modelinfra.providers.aws.s3_names import bucket_name_problems
from modelinfra.providers.aws.session import AwsSession
from modelinfra.providers.base import ResourceContext
from modelinfra.settings import Settings
from modelinfra.spec.providers import AwsProviderConfig
from tests.providers.conformance import check_lifecycle, check_retag

HANDLER = S3BucketHandler()


@pytest.fixture
def ctx(aws_env: dict[str, str], tmp_path: Path) -> ResourceContext:
    session = AwsSession(AwsProviderConfig(region="us-east-1"), Settings(max_attempts=3))
    return ResourceContext(stack="s3test", address="bucket", spec_dir=tmp_path, session=session)


def spec(**props: object) -> S3BucketSpec:
    return S3BucketSpec.model_validate(props)


def test_bucket_conformance_update_toggles_versioning_tags_and_lifecycle(ctx: ResourceContext, unique_name: str) -> None:
    name = f"mi-bucket-{unique_name}"
    created = spec(name=name, tags={"team": "ml"})
    updated = spec(name=name, versioning=True, tags={"team": "ml", "env": "dev"},
                   lifecycle_rules=[{"id": "old-versions", "prefix": "models/", "noncurrent_version_expiration_days": 30}])
    final = check_lifecycle(HANDLER, ctx, created, updated)
    assert final["versioning"] is True
    assert final["tags"] == {"team": "ml", "env": "dev"}
    assert final["lifecycle_rules"] == [{"id": "old-versions", "prefix": "models/", "enabled": True,
                                         "transitions": [], "expiration_days": None, "noncurrent_transitions": [],
                                         "noncurrent_version_expiration_days": 30,
                                         "noncurrent_versions_to_retain": None,
                                         "abort_incomplete_multipart_upload_days": None}]
    assert final["arn"] == f"arn:aws:s3:::{name}" and final["region"] == "us-east-1"


def test_read_reports_settings_and_hides_managed_tags(ctx: ResourceContext, unique_name: str) -> None:
    name = f"mi-read-{unique_name}"
    want = spec(name=name, versioning=True, encryption={"algorithm": "aws:kms", "kms_key_id": "alias/models"},
                public_access_block={"block_public_policy": False}, tags={"team": "ml"})
    try:
        HANDLER.create(ctx, want)
        observed = HANDLER.read(ctx, name)
        assert observed is not None
        assert observed["encryption"] == {"algorithm": "aws:kms", "kms_key_id": "alias/models",
                                          "bucket_key_enabled": True}
        assert observed["public_access_block"]["block_public_policy"] is False
        assert observed["public_access_block"]["block_public_acls"] is True
        assert observed["tags"] == {"team": "ml"}
        raw = ctx.session.client("s3").get_bucket_tagging(Bucket=name)["TagSet"]
        assert {"Key": "modelinfra-address", "Value": "bucket"} in raw
        assert not diff_attributes(HANDLER.desired(ctx, want), observed)
    finally:
        HANDLER.delete(ctx, name, {"force_destroy": True})


def test_update_writes_only_changed_settings(ctx: ResourceContext, unique_name: str) -> None:
    name = f"mi-partial-{unique_name}"
    HANDLER.create(ctx, spec(name=name, versioning=True))
    client = ctx.session.client("s3")
    try:
        # out of band: tags removed. An update that only changes versioning must not restore them.
        client.delete_bucket_tagging(Bucket=name)
        observed = HANDLER.read(ctx, name)
        assert observed is not None
        target = spec(name=name, versioning=False)
        changes = [c for c in diff_attributes(HANDLER.desired(ctx, target), observed) if c.path == "versioning"]
        after = HANDLER.update(ctx, target, observed, changes)
        assert after["versioning"] is False
        assert client.get_bucket_versioning(Bucket=name)["Status"] == "Suspended"
        with pytest.raises(ClientError, match="NoSuchTagSet"):  # tags were not rewritten
            client.get_bucket_tagging(Bucket=name)
    finally:
        HANDLER.delete(ctx, name, {"force_destroy": True})


def test_force_destroy_deletes_versions_and_delete_markers(ctx: ResourceContext, unique_name: str) -> None:
    name = f"mi-force-{unique_name}"
    attrs = HANDLER.create(ctx, spec(name=name, versioning=True, force_destroy=True))
    assert attrs["force_destroy"] is True
    client = ctx.session.client("s3")
    for i in range(3):
        client.put_object(Bucket=name, Key="model.bin", Body=f"v{i}".encode())
    client.put_object(Bucket=name, Key="other.bin", Body=b"x")
    client.delete_object(Bucket=name, Key="other.bin")  # leaves a delete marker
    HANDLER.delete(ctx, name, attrs)
    assert HANDLER.read(ctx, name) is None


def test_non_empty_bucket_without_force_destroy_is_a_clear_error(ctx: ResourceContext, unique_name: str) -> None:
    name = f"mi-full-{unique_name}"
    attrs = HANDLER.create(ctx, spec(name=name))
    client = ctx.session.client("s3")
    client.put_object(Bucket=name, Key="model.bin", Body=b"weights")
    try:
        with pytest.raises(TerminalError, match=f"bucket {name} is not empty; set force_destroy: true"):
            HANDLER.delete(ctx, name, attrs)
        assert HANDLER.read(ctx, name) is not None
    finally:
        HANDLER.delete(ctx, name, {"force_destroy": True})


def test_create_adopts_an_existing_bucket_and_applies_settings(ctx: ResourceContext, unique_name: str) -> None:
    name = f"mi-adopt-{unique_name}"
    ctx.session.client("s3").create_bucket(Bucket=name)
    try:
        attrs = HANDLER.create(ctx, spec(name=name, versioning=True, tags={"a": "b"}))
        assert attrs["versioning"] is True and attrs["tags"] == {"a": "b"}
    finally:
        HANDLER.delete(ctx, name, {"force_destroy": True})


def test_object_lock_bucket_is_created_with_lock(ctx: ResourceContext, unique_name: str) -> None:
    name = f"mi-lock-{unique_name}"
    try:
        attrs = HANDLER.create(ctx, spec(name=name, versioning=True, object_lock=True))
        assert attrs["object_lock"] is True and attrs["versioning"] is True
    finally:
        HANDLER.delete(ctx, name, {"force_destroy": True, "object_lock": True})


def test_object_lock_change_forces_replacement(ctx: ResourceContext) -> None:
    observed = {**HANDLER.desired(ctx, spec(name="abc")), "object_lock": False}
    changes = diff_attributes(HANDLER.desired(ctx, spec(name="abc", versioning=True, object_lock=True)), observed,
                              force_new=HANDLER.force_new)
    assert {c.path: c.forces_replacement for c in changes} == {"object_lock": True, "versioning": False}


def test_delete_of_missing_bucket_succeeds(ctx: ResourceContext, unique_name: str) -> None:
    HANDLER.delete(ctx, f"mi-missing-{unique_name}", {"force_destroy": True})
    assert HANDLER.read(ctx, f"mi-missing-{unique_name}") is None


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("ab", "must be 3 to 63 characters long (got 2)"),
        ("a" * 64, "must be 3 to 63 characters long (got 64)"),
        ("My-Bucket", "may contain only lowercase letters, digits, dots and hyphens (found 'B' 'M')"),
        ("under_score", "may contain only lowercase letters, digits, dots and hyphens (found '_')"),
        ("-bucket", "must start and end with a lowercase letter or a digit"),
        ("bucket.", "must start and end with a lowercase letter or a digit"),
        ("my..bucket", "must not contain two adjacent dots"),
        ("192.168.5.4", "must not be formatted as an IP address"),
        ("xn--bucket", "must not start with the reserved prefix 'xn--'"),
        ("sthree-bucket", "must not start with the reserved prefix 'sthree-'"),
        ("bucket-s3alias", "must not end with the reserved suffix '-s3alias'"),
        ("bucket--ol-s3", "must not end with the reserved suffix '--ol-s3'"),
    ],
)
def test_invalid_bucket_names_are_rejected_with_the_rule_broken(name: str, message: str) -> None:
    assert message in bucket_name_problems(name)
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        spec(name=name)


@pytest.mark.parametrize("name", ["abc", "my.bucket-01", "a" * 63, "1bucket", "ml-models.example.com"])
def test_valid_bucket_names_pass(name: str) -> None:
    assert bucket_name_problems(name) == []
    assert spec(name=name).name == name


def test_a_name_breaking_several_rules_lists_them_all() -> None:
    assert bucket_name_problems("-A..") == [
        "may contain only lowercase letters, digits, dots and hyphens (found 'A')",
        "must start and end with a lowercase letter or a digit",
        "must not contain two adjacent dots",
    ]


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"encryption": {"kms_key_id": "k"}}, "kms_key_id is only allowed with algorithm: aws:kms"),
        ({"object_lock": True}, "object_lock requires versioning: true"),
        ({"lifecycle_rules": [{"id": "r", "noncurrent_version_expiration_days": 0}]}, "greater than or equal to 1"),
        ({"lifecycle_rules": [{"id": "r", "noncurrent_version_expiration_days": 1}] * 2}, "'r' is used twice"),
        ({"tags": {"aws:x": "y"}}, "'aws:' prefix is reserved"),
        ({"versioning": True, "colour": "red"}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_properties_are_rejected(props: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        spec(name="valid-name", **props)


def test_defaults_block_public_access_and_use_sse_s3(ctx: ResourceContext) -> None:
    desired = HANDLER.desired(ctx, spec(name="abc", force_destroy=True))
    assert "force_destroy" not in desired
    assert desired["public_access_block"] == dict.fromkeys(
        ["block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets"], True)
    assert desired["encryption"] == {"algorithm": "AES256", "kms_key_id": None, "bucket_key_enabled": False}
    assert desired["policy"] is None and desired["logging"] is None
    assert desired["cors_rules"] == [] and desired["intelligent_tiering"] == []


def test_outside_us_east_1_create_sends_location_and_recreate_adopts(aws_env: dict[str, str], tmp_path: Path,
                                                                    unique_name: str) -> None:
    session = AwsSession(AwsProviderConfig(region="eu-west-1"), Settings(max_attempts=3))
    ctx = ResourceContext(stack="s3test", address="bucket", spec_dir=tmp_path, session=session)
    name = f"mi-eu-{unique_name}"
    try:
        assert HANDLER.create(ctx, spec(name=name))["region"] == "eu-west-1"
        with pytest.raises(ClientError, match="BucketAlreadyOwnedByYou"):  # what create must absorb
            session.client("s3").create_bucket(Bucket=name,
                                               CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        assert HANDLER.create(ctx, spec(name=name, versioning=True))["versioning"] is True
    finally:
        HANDLER.delete(ctx, name, {"force_destroy": True})


def test_a_moved_bucket_gets_its_address_tag_rewritten_in_place(ctx: ResourceContext, unique_name: str) -> None:
    name = f"mi-moved-{unique_name}"
    client = ctx.session.client("s3")

    def tags(bucket: str) -> dict[str, str]:
        return {t["Key"]: t["Value"] for t in client.get_bucket_tagging(Bucket=bucket)["TagSet"]}

    observed = check_retag(HANDLER, ctx, spec(name=name, versioning=True, tags={"team": "ml"}), tags,
                           moved_to='models["ranker"]')
    assert tags(name) == {"team": "ml", "modelinfra-stack": "s3test", "modelinfra-address": "models:ranker"}
    assert observed["versioning"] is True
    HANDLER.delete(ctx, name, observed)


def test_settings_are_written_in_waves_that_keep_what_s3_requires_first() -> None:
    from modelinfra.providers.aws.s3_bucket import waves
    from modelinfra.providers.aws.s3_bucket_config import WRITERS

    groups = waves(list(WRITERS))
    wave_of = {name: i for i, group in enumerate(groups) for name in group}
    assert wave_of["versioning"] < wave_of["object_lock"] and wave_of["versioning"] < wave_of["lifecycle_rules"]
    assert wave_of["public_access_block"] < wave_of["policy"]
    assert len(groups) == 2 and sorted(wave_of) == sorted(WRITERS)
    assert waves(["policy", "tags"]) == [["policy", "tags"]]  # nothing to wait for when PAB is unchanged


def test_calls_at_once_raise_the_first_failure_in_order_after_all_finished() -> None:
    import threading

    from modelinfra.providers.aws.s3_bucket import all_at_once

    finished = threading.Event()

    def slow_failure() -> None:
        finished.wait(5)
        raise KeyError("first")

    def fast_failure() -> None:
        raise ValueError("second")

    with pytest.raises(KeyError):
        all_at_once({"a": slow_failure, "b": fast_failure, "c": finished.set}, "test")
    assert finished.is_set()
    assert all_at_once({"x": lambda: 1, "y": lambda: 2}, "test") == {"x": 1, "y": 2}
