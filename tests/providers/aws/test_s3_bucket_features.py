"""``aws.s3_bucket`` policy, logging, CORS, intelligent tiering, bucket key and lifecycle
transitions, against moto server (plus the project's S3 extensions) over HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from modelinfra.plans.diff import diff_attributes
from modelinfra.providers.aws.policy_document import canonical_policy
from modelinfra.providers.aws.s3_bucket import S3BucketHandler
from modelinfra.providers.aws.s3_bucket_spec import S3BucketSpec
from modelinfra.providers.aws.session import AwsSession
from modelinfra.providers.base import ResourceContext
from modelinfra.settings import Settings
from modelinfra.spec.providers import AwsProviderConfig
from tests.providers.conformance import check_lifecycle

HANDLER = S3BucketHandler()


@pytest.fixture
def ctx(aws_env: dict[str, str], tmp_path: Path) -> ResourceContext:
    session = AwsSession(AwsProviderConfig(region="us-east-1"), Settings(max_attempts=3))
    return ResourceContext(stack="s3test", address="bucket", spec_dir=tmp_path, session=session)


def spec(**props: Any) -> S3BucketSpec:
    return S3BucketSpec.model_validate(props)


def logging_target_policy(bucket: str) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}


def deny_insecure(bucket: str) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}


LIFECYCLE = [{
    "id": "tiers", "prefix": "models/",
    "transitions": [{"days": 90, "storage_class": "GLACIER"}, {"days": 30, "storage_class": "STANDARD_IA"}],
    "expiration_days": 365,
    "noncurrent_transitions": [{"noncurrent_days": 30, "storage_class": "GLACIER", "newer_noncurrent_versions": 2}],
    "noncurrent_version_expiration_days": 120,
    "abort_incomplete_multipart_upload_days": 7,
}]
TIERING = [{"name": "archive", "filter": {"prefix": "cold/", "tags": {"tier": "archive"}},
            "tierings": [{"access_tier": "DEEP_ARCHIVE_ACCESS", "days": 180},
                         {"access_tier": "ARCHIVE_ACCESS", "days": 90}]}]
CORS = [{"id": "web", "allowed_methods": ["GET", "HEAD"], "allowed_origins": ["https://app.example.com"],
         "allowed_headers": ["*"], "expose_headers": ["ETag"], "max_age_seconds": 300}]


def test_conformance_update_adds_policy_logging_cors_tiering_and_transitions(ctx: ResourceContext,
                                                                            unique_name: str) -> None:
    name, logs = f"mi-feat-{unique_name}", f"mi-logs-{unique_name}"
    HANDLER.create(ctx, spec(name=logs, policy=json.dumps(logging_target_policy(logs))))
    try:
        created = spec(name=name)
        updated = spec(name=name, versioning=True, policy=deny_insecure(name), lifecycle_rules=LIFECYCLE,
                       logging={"target_bucket": logs, "target_prefix": f"{name}/"}, cors_rules=CORS,
                       intelligent_tiering=TIERING, encryption={"algorithm": "aws:kms", "bucket_key_enabled": False})
        final = check_lifecycle(HANDLER, ctx, created, updated)
    finally:
        HANDLER.delete(ctx, logs, {"force_destroy": True})
    assert final["logging"] == {"target_bucket": logs, "target_prefix": f"{name}/"}
    assert final["encryption"]["bucket_key_enabled"] is False
    assert [t["storage_class"] for t in final["lifecycle_rules"][0]["transitions"]] == ["STANDARD_IA", "GLACIER"]
    assert final["lifecycle_rules"][0]["abort_incomplete_multipart_upload_days"] == 7
    assert final["cors_rules"] == CORS
    assert final["intelligent_tiering"][0]["tierings"] == [{"access_tier": "ARCHIVE_ACCESS", "days": 90},
                                                           {"access_tier": "DEEP_ARCHIVE_ACCESS", "days": 180}]
    assert final["policy"]["Statement"][0]["Sid"] == "TlsOnly"


def test_policy_written_in_another_form_outside_modelinfra_is_no_drift(ctx: ResourceContext, unique_name: str) -> None:
    name = f"mi-pol-{unique_name}"
    want = spec(name=name, policy=deny_insecure(name))
    HANDLER.create(ctx, want)
    try:
        statement = deny_insecure(name)["Statement"][0]
        reordered = {"Statement": {  # one statement as an object, keys reordered, lists in another order
            "Condition": {"Bool": {"aws:SecureTransport": ["false"]}}, "Resource": list(reversed(statement["Resource"])),
            "Action": ["s3:*"], "Principal": "*", "Effect": "Deny", "Sid": "TlsOnly"}, "Version": "2012-10-17"}
        ctx.session.client("s3").put_bucket_policy(Bucket=name, Policy=json.dumps(reordered))
        observed = HANDLER.read(ctx, name)
        assert observed is not None
        assert not diff_attributes(HANDLER.desired(ctx, want), observed)
        other = {**reordered, "Statement": {**reordered["Statement"], "Action": ["s3:GetObject"]}}
        ctx.session.client("s3").put_bucket_policy(Bucket=name, Policy=json.dumps(other))
        changed = diff_attributes(HANDLER.desired(ctx, want), HANDLER.read(ctx, name) or {})
        assert [c.path for c in changed] == ["policy.Statement[0].Action[0]"]
    finally:
        HANDLER.delete(ctx, name, {"force_destroy": True})


def test_empty_cors_and_tiering_clear_them_and_unset_policy_and_logging_are_left_alone(ctx: ResourceContext, unique_name: str) -> None:
    name, logs = f"mi-clear-{unique_name}", f"mi-clearlogs-{unique_name}"
    HANDLER.create(ctx, spec(name=logs, policy=logging_target_policy(logs)))
    full = spec(name=name, policy=deny_insecure(name), cors_rules=CORS, intelligent_tiering=TIERING,
                logging={"target_bucket": logs})
    try:
        observed = HANDLER.create(ctx, full)
        assert observed["cors_rules"] and observed["intelligent_tiering"] and observed["logging"] and observed["policy"]
        bare = spec(name=name)
        after = HANDLER.update(ctx, bare, observed, diff_attributes(HANDLER.desired(ctx, bare), observed))
        assert after["policy"] == observed["policy"] and after["logging"] == {"target_bucket": logs, "target_prefix": ""}
        assert after["cors_rules"] == [] and after["intelligent_tiering"] == []
        assert not diff_attributes(HANDLER.desired(ctx, bare), HANDLER.read(ctx, name) or {})
    finally:
        HANDLER.delete(ctx, name, {"force_destroy": True})
        HANDLER.delete(ctx, logs, {"force_destroy": True})


def test_canonical_policy_ignores_key_order_and_single_values() -> None:
    a = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                 "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                                                 "Resource": "*"}]}
    b = json.dumps({"Statement": {"Resource": ["*"], "Principal": {"AWS": ["arn:aws:iam::123456789012:root"]},
                                  "Action": ["s3:GetObject", "s3:GetObject"], "Effect": "Allow"},
                    "Version": "2012-10-17"})
    assert canonical_policy(a) == canonical_policy(b)
    assert canonical_policy(a) != canonical_policy({**a, "Statement": [{**a["Statement"][0], "Effect": "Deny"}]})


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"policy": "{not json"}, "not valid JSON"),
        ({"policy": {"Statement": []}}, "non-empty Statement"),
        ({"policy": {"Version": "2020-01-01", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}}, "Version"),
        ({"policy": {"Statement": [{"Effect": "Maybe", "Action": "s3:*"}]}}, "Effect must be Allow or Deny"),
        ({"policy": {"Statement": [{"Effect": "Allow"}]}}, "exactly one of Action and NotAction"),
        ({"lifecycle_rules": [{"id": "r"}]}, "has no action"),
        ({"lifecycle_rules": [{"id": "r", "transitions": [{"days": 10, "storage_class": "STANDARD_IA"}]}]},
         "at least 30 days"),
        ({"lifecycle_rules": [{"id": "r", "transitions": [{"days": 10, "storage_class": "TAPE"}]}]}, "GLACIER"),
        ({"lifecycle_rules": [{"id": "r", "expiration_days": 30,
                               "transitions": [{"days": 60, "storage_class": "GLACIER"}]}]}, "must be greater"),
        ({"lifecycle_rules": [{"id": "r", "abort_incomplete_multipart_upload_days": 0}]}, "greater than or equal to 1"),
        ({"intelligent_tiering": [{"name": "t", "tierings": [{"access_tier": "ARCHIVE_ACCESS", "days": 30}]}]},
         "between 90 and 730"),
        ({"cors_rules": [{"allowed_methods": ["PATCH"], "allowed_origins": ["*"]}]}, "GET"),
        ({"encryption": {"bucket_key_enabled": True}}, "only to algorithm: aws:kms"),
        ({"logging": {"target_bucket": "Bad_Name"}}, "invalid S3 bucket name"),
    ],
)
def test_static_rules_are_rejected_at_validate_time(props: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        spec(name="valid-name", **props)
