"""Shared fixtures: the emulated clouds, started once per test session on free loopback ports.

Tests share the emulators, so each test names its cloud resources uniquely (``unique_name``).
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator

import pytest

from modelinfra.sandbox.base import RunningService
from tests import checkov_venv

SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000000"

_checkov_install: subprocess.Popen[bytes] | None = None


def pytest_configure(config: pytest.Config) -> None:
    """The controller (or the only process) starts installing checkov now when the run needs it,
    so its install overlaps the tests instead of holding one of them up."""
    global _checkov_install
    if not hasattr(config, "workerinput"):
        _checkov_install = checkov_venv.start(list(config.args), config.rootpath)


def pytest_unconfigure(config: pytest.Config) -> None:
    checkov_venv.stop(_checkov_install)


@pytest.fixture(scope="session")
def aws_emulator() -> Iterator[RunningService]:
    """moto server plus the project's Backup extensions, over HTTP."""
    from modelinfra.sandbox.aws import start_aws_emulator

    with start_aws_emulator() as service:
        yield service


@pytest.fixture(scope="session")
def azurite() -> Iterator[RunningService]:
    """Azurite (blob) from the pinned npm package."""
    from modelinfra.sandbox.azurite import start_azurite

    with start_azurite() as service:
        yield service


@pytest.fixture(scope="session")
def arm_emulator(azurite: RunningService) -> Iterator[RunningService]:
    """The ARM emulator, with storage accounts backed by Azurite."""
    from modelinfra.sandbox.arm import start_arm_emulator

    with start_arm_emulator(
        blob_endpoint=azurite.extra["blob_endpoint"], account_key=azurite.extra["account_key"]
    ) as service:
        yield service


@pytest.fixture
def aws_env(aws_emulator: RunningService, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment pointing boto3 (in-process and in CLI subprocesses) at the AWS emulator."""
    env = {
        "AWS_ENDPOINT_URL": aws_emulator.url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return env


@pytest.fixture
def azure_env(arm_emulator: RunningService, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment pointing the azure provider (in-process and in CLI subprocesses) at the ARM emulator."""
    env = {"MODELINFRA_AZURE_ENDPOINT": arm_emulator.url, "AZURE_SUBSCRIPTION_ID": SUBSCRIPTION_ID,
           # Real Front Door allows 50 profile reads per 5 minutes (providers/throttle.py); a test
           # process reads CDN resources far more often than one run would, and the emulator sets no
           # such limit, so the client-side CDN bucket is widened (the ARM-wide buckets stay as shipped).
           "MODELINFRA_RATE_LIMITS": "azure.cdn_read=1000/100"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def unique_name() -> str:
    """A short lowercase alphanumeric suffix, valid in every cloud name we use."""
    return uuid.uuid4().hex[:10]


@pytest.fixture(autouse=True)
def _no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
