"""The S3 handlers' support code: error mapping, eventual-consistency retry, streaming hash,
and the rule that handler modules import no AWS SDK until used."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from modelinfra.errors import RetryableError, TerminalError
from modelinfra.providers.aws.errors import aws_errors, map_error
from modelinfra.providers.aws.s3_bucket import retry_until_visible
from modelinfra.providers.hashing import file_sha256


def client_error(code: str, status: int, headers: dict[str, str] | None = None) -> ClientError:
    response = {"Error": {"Code": code, "Message": f"{code} happened"},
                "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": headers or {}}}
    return ClientError(response, "PutObject")  # type: ignore[arg-type]


@pytest.mark.parametrize(("code", "status"), [("SlowDown", 503), ("ThrottlingException", 400),
                                              ("InternalError", 500), ("Whatever", 503)])
def test_throttling_and_server_errors_are_retryable(code: str, status: int) -> None:
    error = map_error(client_error(code, status, {"retry-after": "7"}), "uploading x")
    assert isinstance(error, RetryableError)
    assert error.code == code and error.retry_after == 7.0
    assert str(error) == f"uploading x: {code}: {code} happened"


@pytest.mark.parametrize(("code", "status"), [("AccessDenied", 403), ("InvalidArgument", 400),
                                              ("BucketAlreadyExists", 409)])
def test_client_errors_are_terminal(code: str, status: int) -> None:
    error = map_error(client_error(code, status), "creating bucket b")
    assert isinstance(error, TerminalError) and not isinstance(error, RetryableError)
    assert error.code == code


def test_connection_failures_are_retryable_and_the_context_manager_maps() -> None:
    with pytest.raises(RetryableError, match="reading b"):
        with aws_errors("reading b"):
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")


def test_no_such_bucket_just_after_create_is_retried_then_given_up() -> None:
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise client_error("NoSuchBucket", 404)
        return "done"

    assert retry_until_visible("b", flaky, delays=(0.0, 0.0, 0.0)) == "done" and len(calls) == 3

    def never() -> str:
        raise client_error("NoSuchBucket", 404)

    with pytest.raises(RetryableError, match="bucket b is not visible yet") as info:
        retry_until_visible("b", never, delays=(0.0, 0.0))
    assert info.value.code == "NoSuchBucket"
    with pytest.raises(ClientError, match="AccessDenied"):  # other errors are not retried here
        retry_until_visible("b", lambda: (_ for _ in ()).throw(client_error("AccessDenied", 403)), delays=(0.0,))


def test_file_sha256_streams_and_notices_changes(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    data = b"x" * (3 * 1024 * 1024 + 17)  # spans several 1 MiB chunks
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()
    path.write_bytes(b"different size")
    assert file_sha256(path) == hashlib.sha256(b"different size").hexdigest()


def test_handler_modules_import_no_aws_sdk() -> None:
    code = ("import sys; import modelinfra.providers.aws.s3_bucket, modelinfra.providers.aws.s3_object; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 's3transfer')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
