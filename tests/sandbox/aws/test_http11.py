"""The AWS emulator keeps connections open as AWS does, with every message framed exactly: driven
by a plain HTTP/1.1 client (``http.client``, which reuses its one socket) and by boto3."""

from __future__ import annotations

import http.client
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from modelinfra.sandbox.base import RunningService


@pytest.fixture
def bucket(aws_emulator: RunningService, unique_name: str) -> Iterator[str]:
    s3 = boto3.client("s3", endpoint_url=aws_emulator.url, region_name="us-east-1", aws_access_key_id="testing",
                      aws_secret_access_key="testing")
    name = f"keepalive-{unique_name}"
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="five", Body=b"12345")
    yield name
    for entry in s3.list_objects_v2(Bucket=name).get("Contents", []):
        s3.delete_object(Bucket=name, Key=entry["Key"])
    s3.delete_bucket(Bucket=name)


def connect(service: RunningService) -> http.client.HTTPConnection:
    host, port = service.url.removeprefix("http://").split(":")
    return http.client.HTTPConnection(host, int(port), timeout=10)


def signed(conn: http.client.HTTPConnection, method: str, path: str, body: Any) -> dict[str, str]:
    """SigV4 headers for the request, as an SDK signs it (moto refuses anonymous object reads)."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method=method, url=f"http://{conn.host}:{conn.port}{path}",
                         data=body if isinstance(body, bytes) else None)
    if not isinstance(body, bytes | None):
        request.headers["X-Amz-Content-SHA256"] = "UNSIGNED-PAYLOAD"
    S3SigV4Auth(Credentials("testing", "testing"), "s3", "us-east-1").add_auth(request)
    return {name: value for name, value in request.headers.items() if name.lower() != "host"}


def exchange(conn: http.client.HTTPConnection, method: str, path: str, body: Any = None,
             headers: dict[str, str] | None = None, **kwargs: Any) -> tuple[http.client.HTTPResponse, bytes]:
    conn.request(method, path, body=body, headers={**signed(conn, method, path, body), **(headers or {})}, **kwargs)
    response = conn.getresponse()
    return response, response.read()


def test_heads_gets_puts_and_errors_share_one_connection(aws_emulator: RunningService, bucket: str) -> None:
    opened = aws_emulator.handle.connections_opened
    conn = connect(aws_emulator)
    head, body = exchange(conn, "HEAD", f"/{bucket}/five")
    assert (head.status, head.getheader("Content-Length"), body) == (200, "5", b"")  # GET's headers, no body
    missing, _ = exchange(conn, "HEAD", f"/{bucket}/nothing-here")
    assert missing.status == 404
    put, _ = exchange(conn, "PUT", f"/{bucket}/six", body=b"abcdef")
    assert put.status == 200
    got, body = exchange(conn, "GET", f"/{bucket}/six")
    assert (got.status, body) == (200, b"abcdef")
    error, body = exchange(conn, "GET", f"/{bucket}-gone/six")
    assert error.status == 404 and b"NoSuchBucket" in body
    again, _ = exchange(conn, "HEAD", f"/{bucket}/five")
    assert again.status == 200 and again.getheader("Connection") != "close"
    conn.close()
    assert aws_emulator.handle.connections_opened == opened + 1


def test_a_body_the_application_never_reads_is_skipped(aws_emulator: RunningService, bucket: str) -> None:
    """A throttled PUT is answered before moto sees (or reads) its body; the next request on the
    connection is still parsed from its own first byte."""
    conn = connect(aws_emulator)
    aws_emulator.handle.faults.configure(throttle_ratio=1.0)
    try:
        throttled, body = exchange(conn, "PUT", f"/{bucket}/big", body=b"GET / HTTP/1.1\r\n\r\n" * 20000)
    finally:
        aws_emulator.handle.faults.reset()
    assert throttled.status == 503 and b"SlowDown" in body
    head, _ = exchange(conn, "HEAD", f"/{bucket}/five")
    assert (head.status, head.getheader("Content-Length")) == (200, "5")


def test_a_head_answer_never_carries_the_body_the_application_yields(aws_emulator: RunningService,
                                                                    bucket: str) -> None:
    """The throttling middleware yields its XML error for every request, HEAD included; on the
    wire a HEAD answer ends with its headers."""
    conn = connect(aws_emulator)
    aws_emulator.handle.faults.configure(throttle_ratio=1.0)
    try:
        throttled, body = exchange(conn, "HEAD", f"/{bucket}/five")
    finally:
        aws_emulator.handle.faults.reset()
    assert (throttled.status, body) == (503, b"")
    head, _ = exchange(conn, "HEAD", f"/{bucket}/five")
    assert (head.status, head.getheader("Content-Length")) == (200, "5")


def test_a_chunked_request_body_is_read_to_its_last_chunk(aws_emulator: RunningService, bucket: str) -> None:
    conn = connect(aws_emulator)
    aws_emulator.handle.faults.configure(throttle_ratio=1.0)
    try:
        throttled, _ = exchange(conn, "PUT", f"/{bucket}/chunked", body=iter([b"abc", b"GET / HTTP/1.1\r\n\r\n"]),
                                encode_chunked=True)
    finally:
        aws_emulator.handle.faults.reset()
    assert throttled.status == 503
    head, _ = exchange(conn, "HEAD", f"/{bucket}/five")
    assert head.status == 200


def test_the_client_asking_to_close_gets_the_connection_closed(aws_emulator: RunningService, bucket: str) -> None:
    conn = connect(aws_emulator)
    response, _ = exchange(conn, "HEAD", f"/{bucket}/five", headers={"Connection": "close"})
    assert response.getheader("Connection") == "close"
    assert conn.sock is None or conn.sock.recv(1) == b""  # the server hung up


def test_boto3_calls_reuse_their_pooled_connection(aws_emulator: RunningService, bucket: str) -> None:
    s3 = boto3.client("s3", endpoint_url=aws_emulator.url, region_name="us-east-1", aws_access_key_id="testing",
                      aws_secret_access_key="testing", config=Config(max_pool_connections=1))
    opened, served = aws_emulator.handle.connections_opened, aws_emulator.handle.requests_served
    for _ in range(20):
        assert s3.head_object(Bucket=bucket, Key="five")["ContentLength"] == 5
    s3.put_object(Bucket=bucket, Key="seven", Body=b"x" * 7)
    assert s3.get_object(Bucket=bucket, Key="seven")["Body"].read() == b"x" * 7
    assert aws_emulator.handle.requests_served - served == 22
    assert aws_emulator.handle.connections_opened - opened == 1


def test_stop_hangs_up_idle_connections() -> None:
    from modelinfra.sandbox.aws import start_aws_emulator

    service = start_aws_emulator()
    conn = connect(service)
    response, _ = exchange(conn, "GET", "/")
    assert response.status == 200
    started = time.monotonic()
    service.stop()
    assert time.monotonic() - started < 5
    assert conn.sock is not None and conn.sock.recv(1) == b""
