"""The S3 lifecycle extension over moto, driven by boto3 over HTTP like any real client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from modelinfra.sandbox.base import RunningService


def client(url: str, **config: Any) -> Any:
    return boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing", config=Config(**config))


@pytest.fixture
def s3(aws_emulator: RunningService) -> Any:
    return client(aws_emulator.url)


@pytest.fixture
def bucket(s3: Any, unique_name: str) -> Iterator[str]:
    name = f"lifecycle-{unique_name}"
    s3.create_bucket(Bucket=name)
    yield name
    try:
        for version in s3.list_object_versions(Bucket=name).get("Versions", []):
            s3.delete_object(Bucket=name, Key=version["Key"], VersionId=version["VersionId"])
        s3.delete_bucket(Bucket=name)
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "NoSuchBucket"


def rule(rule_id: str, days: int = 30, **expiration: Any) -> dict[str, Any]:
    return {"ID": rule_id, "Filter": {"Prefix": f"{rule_id}/"}, "Status": "Enabled",
            "NoncurrentVersionExpiration": {"NoncurrentDays": days, **expiration}}


def put(s3: Any, bucket: str, *rules: dict[str, Any]) -> None:
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": list(rules)})


def expirations(s3: Any, bucket: str) -> dict[str, dict[str, Any]]:
    """Rule ID -> NoncurrentVersionExpiration, as GetBucketLifecycleConfiguration returns it."""
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    return {r["ID"]: r.get("NoncurrentVersionExpiration") for r in rules}


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_newer_noncurrent_versions_reads_back_per_rule(s3: Any, bucket: str) -> None:
    put(s3, bucket, rule("keep-ten", 90, NewerNoncurrentVersions=10), rule("days-only", 7),
        rule("keep-one", 1, NewerNoncurrentVersions=1))
    assert expirations(s3, bucket) == {
        "keep-ten": {"NoncurrentDays": 90, "NewerNoncurrentVersions": 10},
        "days-only": {"NoncurrentDays": 7},
        "keep-one": {"NoncurrentDays": 1, "NewerNoncurrentVersions": 1},
    }


def test_overwriting_the_configuration_replaces_or_clears_the_value(s3: Any, bucket: str) -> None:
    put(s3, bucket, rule("r", NewerNoncurrentVersions=5))
    put(s3, bucket, rule("r", NewerNoncurrentVersions=100))
    assert expirations(s3, bucket) == {"r": {"NoncurrentDays": 30, "NewerNoncurrentVersions": 100}}
    put(s3, bucket, rule("r"))
    assert expirations(s3, bucket) == {"r": {"NoncurrentDays": 30}}


def test_delete_lifecycle_forgets_the_value(s3: Any, bucket: str) -> None:
    put(s3, bucket, rule("r", NewerNoncurrentVersions=5))
    s3.delete_bucket_lifecycle(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert error_of(exc) == ("NoSuchLifecycleConfiguration", 404)
    put(s3, bucket, rule("r"))
    assert expirations(s3, bucket) == {"r": {"NoncurrentDays": 30}}


def test_delete_bucket_forgets_the_value(s3: Any, bucket: str) -> None:
    put(s3, bucket, rule("r", NewerNoncurrentVersions=5))
    s3.delete_bucket(Bucket=bucket)
    s3.create_bucket(Bucket=bucket)
    put(s3, bucket, rule("r"))
    assert expirations(s3, bucket) == {"r": {"NoncurrentDays": 30}}


@pytest.mark.parametrize("value", [0, 101, -1])
def test_out_of_range_value_is_rejected_and_keeps_the_old_configuration(s3: Any, bucket: str,
                                                                        value: int) -> None:
    put(s3, bucket, rule("old", NewerNoncurrentVersions=3))
    with pytest.raises(ClientError) as exc:
        put(s3, bucket, rule("new", NewerNoncurrentVersions=value))
    assert error_of(exc) == ("InvalidArgument", 400)
    assert "NewerNoncurrentVersions" in exc.value.response["Error"]["Message"]
    assert expirations(s3, bucket) == {"old": {"NoncurrentDays": 30, "NewerNoncurrentVersions": 3}}


def test_non_integer_value_is_malformed_xml(aws_emulator: RunningService, bucket: str) -> None:
    unvalidated = client(aws_emulator.url, parameter_validation=False)
    with pytest.raises(ClientError) as exc:
        put(unvalidated, bucket, rule("r", NewerNoncurrentVersions="many"))
    assert error_of(exc) == ("MalformedXML", 400)


def test_unknown_bucket_is_no_such_bucket_before_validation(s3: Any, unique_name: str) -> None:
    with pytest.raises(ClientError) as exc:
        put(s3, f"missing-{unique_name}", rule("r", NewerNoncurrentVersions=0))
    assert error_of(exc) == ("NoSuchBucket", 404)


def test_moto_behaviour_is_kept_for_the_rest_of_lifecycle_and_s3(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:  # still moto's own check: NoncurrentDays is required
        put(s3, bucket, {"ID": "r", "Filter": {"Prefix": ""}, "Status": "Enabled",
                         "NoncurrentVersionExpiration": {"NewerNoncurrentVersions": 5}})
    assert error_of(exc) == ("MalformedXML", 400)
    transition = {"NoncurrentDays": 30, "StorageClass": "GLACIER", "NewerNoncurrentVersions": 2}
    put(s3, bucket, {"ID": "t", "Filter": {"Prefix": ""}, "Status": "Enabled", "Expiration": {"Days": 365},
                     "NoncurrentVersionTransitions": [transition]})
    [got] = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert got["Expiration"] == {"Days": 365}
    assert got["NoncurrentVersionTransitions"] == [transition]
    assert "NoncurrentVersionExpiration" not in got

    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    s3.put_object(Bucket=bucket, Key="model.bin", Body=b"one")
    s3.put_object(Bucket=bucket, Key="model.bin", Body=b"two")
    assert s3.get_object(Bucket=bucket, Key="model.bin")["Body"].read() == b"two"
    assert len(s3.list_object_versions(Bucket=bucket)["Versions"]) == 2


def tiering(config_id: str, days: int = 90, tier: str = "ARCHIVE_ACCESS") -> dict[str, Any]:
    return {"Id": config_id, "Status": "Enabled", "Filter": {"Prefix": "cold/"},
            "Tierings": [{"Days": days, "AccessTier": tier}]}


def test_intelligent_tiering_configurations_put_get_list_delete(s3: Any, bucket: str) -> None:
    assert "IntelligentTieringConfigurationList" not in s3.list_bucket_intelligent_tiering_configurations(Bucket=bucket)
    s3.put_bucket_intelligent_tiering_configuration(Bucket=bucket, Id="b", IntelligentTieringConfiguration=tiering("b"))
    s3.put_bucket_intelligent_tiering_configuration(
        Bucket=bucket, Id="a", IntelligentTieringConfiguration=tiering("a", 180, "DEEP_ARCHIVE_ACCESS"))
    listed = s3.list_bucket_intelligent_tiering_configurations(Bucket=bucket)["IntelligentTieringConfigurationList"]
    assert [c["Id"] for c in listed] == ["a", "b"]
    got = s3.get_bucket_intelligent_tiering_configuration(Bucket=bucket, Id="b")["IntelligentTieringConfiguration"]
    assert got == tiering("b")
    s3.delete_bucket_intelligent_tiering_configuration(Bucket=bucket, Id="b")
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_intelligent_tiering_configuration(Bucket=bucket, Id="b")
    assert error_of(exc) == ("NoSuchConfiguration", 404)
    with pytest.raises(ClientError) as exc:
        s3.delete_bucket_intelligent_tiering_configuration(Bucket=bucket, Id="b")
    assert error_of(exc) == ("NoSuchConfiguration", 404)


def test_intelligent_tiering_rejects_what_aws_rejects(s3: Any, bucket: str, unique_name: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_intelligent_tiering_configuration(Bucket=bucket, Id="t", IntelligentTieringConfiguration=tiering("t", 30))
    assert error_of(exc) == ("InvalidArgument", 400)
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_intelligent_tiering_configuration(Bucket=bucket, Id="x", IntelligentTieringConfiguration=tiering("t"))
    assert error_of(exc) == ("InvalidArgument", 400)
    with pytest.raises(ClientError) as exc:
        s3.list_bucket_intelligent_tiering_configurations(Bucket=f"missing-{unique_name}")
    assert error_of(exc) == ("NoSuchBucket", 404)
