"""The public surface others build against: ``start_arm_emulator`` and the handle it returns."""

from __future__ import annotations

import inspect
import subprocess
import sys

import requests

import modelinfra.sandbox.arm as arm
from modelinfra.sandbox.arm.faults import Faults
from tests.sandbox.arm.conftest import ARM_AUTH


def test_public_api_is_pinned() -> None:
    assert arm.__all__ == ["ArmEmulator", "start_arm_emulator"]
    params = inspect.signature(arm.start_arm_emulator).parameters
    assert list(params)[:4] == ["blob_endpoint", "account_key", "host", "port"]
    configure = inspect.signature(Faults.configure).parameters
    assert list(configure) == ["self", "latency", "throttle_ratio", "error_ratio", "retry_after", "seed"]


def test_started_service_listens_on_loopback_and_stops() -> None:
    service = arm.start_arm_emulator(port=0)
    try:
        assert service.url.startswith("http://127.0.0.1:")
        assert isinstance(service.handle, arm.ArmEmulator)
        assert service.handle.request_count == 0
        response = requests.get(f"{service.url}/subscriptions/s/resourcegroups/g?api-version=2025-04-01", headers=ARM_AUTH, timeout=5)
        assert response.status_code == 404
        assert service.handle.request_count == 1
    finally:
        service.stop()
    service.stop()  # idempotent
    try:
        requests.get(f"{service.url}/_emulator/stats", timeout=2)
    except requests.ConnectionError:
        return
    raise AssertionError("the emulator still answers after stop()")


def test_importing_and_starting_the_emulator_imports_no_azure_sdk() -> None:
    code = ("import sys; from modelinfra.sandbox.arm import start_arm_emulator; s = start_arm_emulator(); "
            "s.stop(); print(sorted(m for m in sys.modules if m.startswith('azure')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
