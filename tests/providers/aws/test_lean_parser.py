"""The lean REST parsers parse exactly what botocore's own parsers parse: the same responses through
both, from the emulator over HTTP (S3 rest-xml, Backup rest-json) and as crafted HTTP responses
with mixed-case, repeated-case and unmodeled headers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore import parsers
from botocore.awsrequest import HeadersDict
from botocore.exceptions import ClientError

from modelinfra.providers.aws.lean_parser import LeanParserFactory, LeanRestJSONParser, LeanRestXMLParser
from modelinfra.providers.aws.s3_bucket import S3BucketHandler
from modelinfra.providers.aws.session import AwsSession, parse_timestamp
from modelinfra.providers.base import ResourceContext
from modelinfra.settings import Settings
from modelinfra.spec.providers import AwsProviderConfig


def _without_metadata(response: dict[str, Any]) -> dict[str, Any]:
    """A parsed response minus what differs from one request to the next (date, request id)."""
    return {key: value for key, value in response.items() if key != "ResponseMetadata"}


def test_the_session_parses_with_the_lean_parsers_and_agrees_with_botocore(aws_env: dict[str, str],
                                                                          unique_name: str) -> None:
    session = AwsSession(AwsProviderConfig(region="us-east-1"), Settings(max_attempts=3))
    lean, stock = session.client("s3"), boto3.session.Session(region_name="us-east-1").client("s3")
    assert isinstance(lean._endpoint._response_parser_factory, LeanParserFactory)
    assert not isinstance(stock._endpoint._response_parser_factory, LeanParserFactory)

    bucket, vault = f"lean-{unique_name}", f"lean-vault-{unique_name}"
    lean.create_bucket(Bucket=bucket)
    lean.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    lean.put_object(Bucket=bucket, Key="model.bin", Body=b"weights", ContentType="application/x-model",
                    Metadata={"Stage": "prod", "sha": "abc"}, Tagging="team=ml", CacheControl="max-age=60",
                    ServerSideEncryption="AES256")
    calls: list[tuple[str, dict[str, Any]]] = [
        ("head_bucket", {"Bucket": bucket}),
        ("head_object", {"Bucket": bucket, "Key": "model.bin"}),
        ("get_object_tagging", {"Bucket": bucket, "Key": "model.bin"}),
        ("list_object_versions", {"Bucket": bucket}),
        ("list_objects_v2", {"Bucket": bucket}),
        ("get_bucket_versioning", {"Bucket": bucket}),
    ]
    for operation, params in calls:
        ours, theirs = getattr(lean, operation)(**params), getattr(stock, operation)(**params)
        assert _without_metadata(ours) == _without_metadata(theirs), operation
    head = lean.head_object(Bucket=bucket, Key="model.bin")
    assert head["Metadata"] == {"stage": "prod", "sha": "abc"} and head["ContentLength"] == 7
    assert head["VersionId"] and head["ServerSideEncryption"] == "AES256"

    got = lean.get_object(Bucket=bucket, Key="model.bin")
    assert got["Body"].read() == b"weights" and got["ContentType"] == "application/x-model"
    with pytest.raises(ClientError) as missing:
        lean.head_object(Bucket=bucket, Key="absent")
    assert missing.value.response["Error"]["Code"] == "404"

    backup_lean, backup_stock = session.client("backup"), boto3.session.Session(region_name="us-east-1").client("backup")
    backup_lean.create_backup_vault(BackupVaultName=vault)
    ours, theirs = backup_lean.list_backup_vaults(), backup_stock.list_backup_vaults()
    assert _without_metadata(ours) == _without_metadata(theirs)
    assert vault in [v["BackupVaultName"] for v in ours["BackupVaultList"]]
    backup_lean.delete_backup_vault(BackupVaultName=vault)
    S3BucketHandler().delete(ResourceContext(stack="lean", address="", spec_dir=Path("."), session=session), bucket,
                             {"force_destroy": True})


def _operation(service: str, name: str) -> Any:
    return botocore.session.get_session().get_service_model(service).operation_model(name)


HEAD_HEADERS = {
    "Content-Length": "12", "ETAG": '"0123"', "Last-Modified": "Wed, 02 Dec 2026 10:00:00 GMT",
    "x-amz-version-id": "v1", "X-Amz-Meta-Stage": "prod", "x-amz-meta-SHA": "abc",
    "Content-Type": "text/plain", "x-amz-server-side-encryption": "aws:kms", "X-Amz-Tagging-Count": "2",
    "x-amz-delete-marker": "false", "Accept-Ranges": "bytes", "X-Unmodeled": "ignored",
    "x-amz-restore": 'ongoing-request="false", expiry-date="Fri, 04 Dec 2026 00:00:00 GMT"',
}


@pytest.mark.parametrize("lean_cls, stock_cls, service, operation, status, headers, body", [
    (LeanRestXMLParser, parsers.RestXMLParser, "s3", "HeadObject", 200, HEAD_HEADERS, b""),
    (LeanRestXMLParser, parsers.RestXMLParser, "s3", "HeadObject", 200, {}, b""),
    (LeanRestXMLParser, parsers.RestXMLParser, "s3", "HeadBucket", 200,
     {"x-amz-bucket-region": "eu-west-1", "X-Amz-Access-Point-Alias": "false"}, b""),
    (LeanRestJSONParser, parsers.RestJSONParser, "backup", "GetBackupPlan", 200,
     {"Content-Type": "application/json"}, b'{"BackupPlanId": "p1", "VersionId": "v2"}'),
    (LeanRestJSONParser, parsers.RestJSONParser, "lambda", "Invoke", 200,
     {"X-Amz-Function-Error": "Unhandled", "x-amz-executed-version": "$LATEST"}, b"{}"),
])
def test_crafted_responses_parse_the_same(lean_cls: Any, stock_cls: Any, service: str, operation: str,
                                          status: int, headers: dict[str, str], body: bytes) -> None:
    shape = _operation(service, operation).output_shape

    def response() -> dict[str, Any]:
        return {"status_code": status, "headers": HeadersDict(headers), "body": body}

    ours = lean_cls(timestamp_parser=parse_timestamp).parse(response(), shape)
    theirs = stock_cls().parse(response(), shape)
    assert ours == theirs
    if operation == "HeadObject" and headers:
        assert ours["Metadata"] == {"Stage": "prod", "SHA": "abc"} and ours["ETag"] == '"0123"'
        assert ours["ContentLength"] == 12 and ours["TagCount"] == 2


def test_the_factory_hands_out_botocore_parsers_for_other_protocols() -> None:
    factory = LeanParserFactory()
    factory.set_parser_defaults(timestamp_parser=parse_timestamp)
    assert type(factory.create_parser("rest-xml")) is LeanRestXMLParser
    assert type(factory.create_parser("rest-json")) is LeanRestJSONParser
    assert type(factory.create_parser("query")) is parsers.QueryParser
    assert type(factory.create_parser("json")) is parsers.JSONParser
    assert factory.create_parser("query")._timestamp_parser is parse_timestamp
