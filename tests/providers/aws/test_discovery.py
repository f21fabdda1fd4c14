"""AWS discovery (``drift --unmanaged``) through the Resource Groups Tagging API on moto server."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelinfra.errors import ProviderError
from modelinfra.providers.aws.discovery import arn_type, discover
from modelinfra.providers.aws.session import AwsSession
from modelinfra.providers.base import ResourceContext
from modelinfra.providers.registry import handler_for
from modelinfra.settings import Settings
from modelinfra.spec.providers import AwsProviderConfig

BUCKETS = handler_for("aws.s3_bucket")
VAULTS = handler_for("aws.backup_vault")


def _session(max_attempts: int = 3) -> AwsSession:
    return AwsSession(AwsProviderConfig(region="us-east-1"), Settings(max_attempts=max_attempts))


def _ctx(stack: str, address: str, tmp_path: Path) -> ResourceContext:
    return ResourceContext(stack=stack, address=address, spec_dir=tmp_path, session=_session())


@pytest.mark.parametrize(("arn", "expected"), [
    ("arn:aws:s3:::my-bucket", ("s3:bucket", "my-bucket")),
    ("arn:aws:backup:us-east-1:123456789012:backup-vault:models", ("backup:backup-vault", "models")),
    ("arn:aws:backup:us-east-1:123456789012:backup-plan:8f1b2c3d", ("backup:backup-plan", "8f1b2c3d")),
    ("arn:aws:ec2:us-east-1:123456789012:volume/vol-0abc", ("ec2:volume", "vol-0abc")),
    ("arn:aws:sqs:us-east-1:123456789012:queue1", ("sqs:queue1", "queue1")),
])
def test_arn_type_names_service_resource_type_and_name(arn: str, expected: tuple[str, str]) -> None:
    assert arn_type(arn) == expected


def test_finds_the_stacks_buckets_and_vaults_only(aws_env: dict[str, str], tmp_path: Path, unique_name: str) -> None:
    stack = f"disc-{unique_name}"
    BUCKETS.create(_ctx(stack, "bucket", tmp_path), BUCKETS.spec_model(name=f"b-{unique_name}"))
    VAULTS.create(_ctx(stack, "vault", tmp_path), VAULTS.spec_model(name=f"v-{unique_name}"))
    BUCKETS.create(_ctx(f"other-{unique_name}", "bucket", tmp_path), BUCKETS.spec_model(name=f"o-{unique_name}"))
    found = discover(_session(), stack)
    assert sorted((f["type"], f["cloud_id"], f["cloud_type"], f["address"]) for f in found) == [
        ("aws.backup_vault", f"v-{unique_name}", "backup:backup-vault", "vault"),
        ("aws.s3_bucket", f"b-{unique_name}", "s3:bucket", "bucket"),
    ]
    assert {f["cloud"] for f in found} == {"aws"}


def test_a_bucket_tagged_out_of_band_with_the_stack_is_found(aws_env: dict[str, str], unique_name: str) -> None:
    s3 = _session().client("s3")
    s3.create_bucket(Bucket=f"x-{unique_name}")
    stack = f"oob-{unique_name}"
    assert discover(_session(), stack) == []
    s3.put_bucket_tagging(Bucket=f"x-{unique_name}",
                          Tagging={"TagSet": [{"Key": "modelinfra-stack", "Value": stack}]})
    assert discover(_session(), stack) == [{"cloud": "aws", "cloud_id": f"x-{unique_name}", "cloud_type": "s3:bucket",
                                            "type": "aws.s3_bucket", "name": f"x-{unique_name}", "address": None}]


def test_an_unreachable_endpoint_is_an_error_not_an_empty_list(aws_env: dict[str, str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    with pytest.raises(ProviderError, match="listing resources tagged modelinfra-stack=s"):
        discover(_session(max_attempts=1), "s")


def test_finds_the_stacks_kms_keys_by_arn(aws_env: dict[str, str], tmp_path: Path, unique_name: str) -> None:
    from modelinfra.providers.registry import handler_for

    stack = f"iamkms-{unique_name}"
    roles, keys = handler_for("aws.iam_role"), handler_for("aws.kms_key")
    trust = {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "backup.amazonaws.com"}}]}
    role = roles.create(_ctx(stack, "role", tmp_path), roles.spec_model(name=f"r-{unique_name}", path="/service-role/",
                                                                         assume_role_policy=trust))
    key = keys.create(_ctx(stack, "key", tmp_path), keys.spec_model())
    try:
        found = {f["address"]: (f["type"], f["cloud_id"]) for f in discover(_session(), stack)}
        assert found["key"] == ("aws.kms_key", key["arn"])  # moto's tagging API does not list IAM roles
    finally:
        roles.delete(_ctx(stack, "role", tmp_path), role["name"], role)
        keys.delete(_ctx(stack, "key", tmp_path), keys.identify(_ctx(stack, "key", tmp_path), keys.spec_model()), key)
