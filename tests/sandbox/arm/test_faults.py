"""Fault injection: latency, 429 storms with Retry-After, 500s, and control over HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import requests
from azure.core.exceptions import HttpResponseError

from modelinfra.sandbox.arm.faults import Faults
from modelinfra.sandbox.base import RunningService
from tests.sandbox.arm.conftest import Clients, account_body


def test_unseeded_ratio_fails_exactly_every_third_request() -> None:
    faults = Faults()
    faults.configure(throttle_ratio=1 / 3)
    assert [faults.decide() for _ in range(9)] == ["ok", "ok", "throttle"] * 3


def test_seeded_faults_repeat_for_the_same_seed() -> None:
    first, second = Faults(), Faults()
    first.configure(error_ratio=0.5, seed=7)
    second.configure(error_ratio=0.5, seed=7)
    sequence = [first.decide() for _ in range(50)]
    assert sequence == [second.decide() for _ in range(50)]
    assert {"ok", "error"} == set(sequence)


def test_throttled_response_is_429_with_retry_after_and_an_arm_body(clients: Clients) -> None:
    clients.emulator.faults.configure(throttle_ratio=1.0, retry_after=3)
    response = clients.raw("GET", "/resourcegroups/anything")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    assert response.json()["error"]["code"] == "TooManyRequests"


def test_sdk_calls_ride_out_a_429_storm_on_a_third_of_requests(clients: Clients, unique_name: str) -> None:
    clients.emulator.faults.configure(throttle_ratio=1 / 3, retry_after=0.1)
    before = clients.emulator.faults.injected["throttle"]
    started = time.monotonic()

    rg = f"rg-{unique_name}"
    clients.resource.resource_groups.create_or_update(rg, {"location": "westus"})
    account = f"storm{unique_name}"
    clients.storage.storage_accounts.begin_create(rg, account, account_body()).result()
    clients.storage.blob_containers.create(rg, account, "data", {})
    keys = clients.storage.storage_accounts.list_keys(rg, account)["keys"]
    clients.resource.resource_groups.begin_delete(rg).result()

    throttled = clients.emulator.faults.injected["throttle"] - before
    assert len(keys) == 2
    assert clients.resource.resource_groups.check_existence(rg) is False
    assert throttled >= 3
    assert time.monotonic() - started >= 0.1 * throttled  # Retry-After was honoured


def test_injected_500s_are_retried_by_the_session_policy(clients: Clients, rg: str) -> None:
    clients.emulator.faults.configure(error_ratio=0.5)
    before = clients.emulator.faults.injected["error"]
    for _ in range(4):
        assert clients.resource.resource_groups.get(rg).name == rg
    assert clients.emulator.faults.injected["error"] - before >= 3


def test_error_body_parses_into_http_response_error_code(arm: RunningService,
                                                         make_clients: Callable[..., Clients]) -> None:
    no_retry = make_clients(arm, max_attempts=1)
    arm.handle.faults.configure(error_ratio=1.0)
    try:
        with pytest.raises(HttpResponseError) as caught:
            no_retry.resource.resource_groups.get("anything")
    finally:
        arm.handle.faults.reset()
    assert caught.value.status_code == 500
    assert caught.value.error.code == "InternalServerError"


def test_latency_is_added_to_every_request(clients: Clients) -> None:
    clients.emulator.faults.configure(latency=0.3)
    started = time.monotonic()
    clients.resource.resource_groups.check_existence("rg-slow")
    assert time.monotonic() - started >= 0.3


def test_faults_are_driven_over_http_and_reported_in_stats(clients: Clients) -> None:
    base = clients.svc.url
    configured = requests.post(f"{base}/_emulator/faults", json={"throttle_ratio": 1.0, "retry_after": 2},
                               timeout=10)
    assert configured.status_code == 200
    assert clients.raw("GET", "/resourcegroups/x").status_code == 429
    stats = requests.get(f"{base}/_emulator/stats", timeout=10).json()
    assert stats["faults"]["throttle_ratio"] == 1.0
    assert stats["faults"]["retry_after"] == 2.0
    assert requests.delete(f"{base}/_emulator/faults", timeout=10).json()["throttle_ratio"] == 0.0
    assert clients.raw("GET", "/resourcegroups/x").status_code == 404
    bad = requests.post(f"{base}/_emulator/faults", json={"throttle_ratio": 2}, timeout=10)
    assert bad.status_code == 400
