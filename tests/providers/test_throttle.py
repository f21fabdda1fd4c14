"""Client-side rate limits, and retries that are visible and ride out a throttling storm, through the
real SDK clients against the emulators."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from modelinfra.providers.redact import redact_url
from modelinfra.providers.throttle import DEFAULT_LIMITS, Throttle, TokenBucket, azure_bucket, parse_limits
from modelinfra.sandbox.base import RunningService
from modelinfra.settings import Settings
from tests.conftest import SUBSCRIPTION_ID


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_bucket_allows_a_burst_then_the_refill_rate():
    clock = FakeClock()
    bucket = TokenBucket(3, 2.0, clock=clock, sleep=clock.sleep)
    assert [bucket.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.acquire() == pytest.approx(0.5)
    assert bucket.acquire() == pytest.approx(0.5)
    clock.now += 10  # idle: refills up to the capacity, not beyond
    assert [bucket.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.acquire() > 0


def test_limits_follow_arm_and_can_be_set_or_switched_off():
    assert DEFAULT_LIMITS["azure.read"] == (250.0, 25.0)
    assert DEFAULT_LIMITS["azure.cdn_read"] == (50.0, pytest.approx(50 / 300))
    assert parse_limits("azure.read=10/1")["azure.read"] == (10.0, 1.0)
    assert parse_limits("off") is None and not Throttle(None).enabled
    with pytest.raises(ValueError, match="'azure.read=fast' is not NAME=BURST/PER_SECOND"):
        parse_limits("azure.read=fast")


def test_requests_are_classified_into_arm_buckets():
    assert azure_bucket("GET", "https://m/subscriptions/s/providers/Microsoft.Cdn/profiles/p") == "azure.cdn_read"
    assert azure_bucket("GET", "https://m/subscriptions/s/resourcegroups/g") == "azure.read"
    assert azure_bucket("PUT", "https://m/x") == "azure.write"
    assert azure_bucket("DELETE", "https://m/x") == "azure.delete"


def test_logged_urls_carry_no_secret():
    url = redact_url("https://u:p@acct.blob.core.windows.net/c/b?sv=2025&sig=SECRET&comp=block&X-Amz-Signature=S")
    assert "SECRET" not in url and "u:p" not in url and "=S" not in url and "comp=block" in url


@pytest.fixture
def arm_faults(arm_emulator: RunningService) -> Iterator[Any]:
    yield arm_emulator.handle.faults
    arm_emulator.handle.faults.reset()


def test_azure_reads_ride_out_half_of_all_calls_throttled_and_say_so(
        azure_env: dict[str, str], arm_faults: Any, unique_name: str, caplog: pytest.LogCaptureFixture):
    from modelinfra.providers.azure.session import AzureSession
    from modelinfra.spec.providers import AzureProviderConfig

    session = AzureSession(AzureProviderConfig(subscription_id=SUBSCRIPTION_ID), Settings(max_attempts=12))
    groups = session.mgmt("resource").resource_groups
    groups.create_or_update(f"thr-{unique_name}", {"location": "westus"})
    try:
        # every request throttled four times in a row: azure-core's default of 3 status retries gave up here
        arm_faults.configure(throttle_ratio=0.8, retry_after=0.01)
        with caplog.at_level(logging.INFO, logger="modelinfra.retry"):
            for _ in range(3):
                assert groups.get(f"thr-{unique_name}").name == f"thr-{unique_name}"
        retries = [r.getMessage() for r in caplog.records if r.name == "modelinfra.retry"]
        assert any("attempt 4 of 12 failed (HTTP 429" in m and "waiting" in m for m in retries), retries
        assert all(m.startswith("GET http") for m in retries), retries
    finally:
        arm_faults.reset()
        groups.begin_delete(f"thr-{unique_name}").result()


@pytest.fixture
def aws_faults(aws_emulator: RunningService) -> Iterator[Any]:
    yield aws_emulator.handle.faults
    aws_emulator.handle.faults.reset()


def test_aws_calls_ride_out_throttling_and_say_so(aws_env: dict[str, str], aws_faults: Any, unique_name: str,
                                                 caplog: pytest.LogCaptureFixture):
    from modelinfra.providers.aws.session import AwsSession
    from modelinfra.spec.providers import AwsProviderConfig

    s3 = AwsSession(AwsProviderConfig(region="us-east-1"), Settings(max_attempts=12)).client("s3")
    bucket = f"thr-{unique_name}"
    s3.create_bucket(Bucket=bucket)
    try:
        aws_faults.configure(throttle_ratio=0.75)
        with caplog.at_level(logging.DEBUG, logger="modelinfra"):
            for _ in range(2):
                s3.head_bucket(Bucket=bucket)
        assert aws_faults.injected["throttle"] >= 3
        messages = [r.getMessage() for r in caplog.records]
        assert any(m.startswith("s3.HeadBucket: attempt 1 of 12 failed (HTTP 503") and "waiting" in m
                   for m in messages), messages
        assert any(m.startswith("HEAD http") and "-> 200" in m for m in messages), messages
    finally:
        aws_faults.reset()
        s3.delete_bucket(Bucket=bucket)
