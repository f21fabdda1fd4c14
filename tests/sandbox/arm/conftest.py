"""Fixtures for the ARM emulator tests: an emulator per module and the real SDK clients built the way
modelinfra builds them (``AzureSession(...).mgmt(kind)`` with ``MODELINFRA_AZURE_ENDPOINT``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from modelinfra.sandbox.base import RunningService
from tests.conftest import SUBSCRIPTION_ID

TEST_ACCOUNT_KEY = "dGVzdC1hY2NvdW50LWtleS1mb3ItdGhlLWFybS1lbXVsYXRvcg=="
RG_API = "2025-04-01"
STORAGE_API = "2026-09-01"
COMPUTE_API = "2026-03-02"
ARM_AUTH = {"Authorization": "Bearer test-token"}
"""What a raw HTTP call sends: the emulator answers 401 without a bearer token (any token goes)."""


@dataclass
class Clients:
    svc: RunningService
    resource: Any
    storage: Any
    compute: Any

    @property
    def emulator(self) -> Any:
        return self.svc.handle

    def raw(self, method: str, path: str, api_version: str | None = RG_API, *, params: dict[str, str] | None = None,
            **kwargs: Any) -> requests.Response:
        """A plain HTTP call (no SDK) to ``path`` under the subscription, with a bearer token."""
        url = f"{self.svc.url}/subscriptions/{SUBSCRIPTION_ID}{path}"
        query = {**({"api-version": api_version} if api_version else {}), **(params or {})}
        headers = {**ARM_AUTH, **kwargs.pop("headers", {})}
        return requests.request(method, url, params=query, headers=headers, timeout=10, **kwargs)


@pytest.fixture(scope="module")
def arm() -> Iterator[RunningService]:
    """An ARM emulator without Azurite (fake blob endpoint), handing out ``TEST_ACCOUNT_KEY``."""
    from modelinfra.sandbox.arm import start_arm_emulator

    with start_arm_emulator(account_key=TEST_ACCOUNT_KEY) as service:
        yield service


@pytest.fixture
def make_clients(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Clients]:
    from modelinfra.providers.azure.session import AzureSession
    from modelinfra.settings import Settings
    from modelinfra.spec.providers import AzureProviderConfig

    def make(svc: RunningService, max_attempts: int = 12) -> Clients:
        monkeypatch.setenv("MODELINFRA_AZURE_ENDPOINT", svc.url)
        session = AzureSession(AzureProviderConfig(subscription_id=SUBSCRIPTION_ID),
                               Settings(max_attempts=max_attempts, retry_backoff_max=1.0))
        return Clients(svc, session.mgmt("resource"), session.mgmt("storage"), session.mgmt("compute"))

    return make


@pytest.fixture
def clients(arm: RunningService, make_clients: Callable[..., Clients]) -> Iterator[Clients]:
    made = make_clients(arm)
    max_seconds = arm.handle.operations.max_seconds
    yield made
    arm.handle.faults.reset()
    arm.handle.operations.max_seconds = max_seconds


@pytest.fixture
def rg(clients: Clients, unique_name: str) -> str:
    """A fresh resource group in westus."""
    name = f"rg-{unique_name}"
    clients.resource.resource_groups.create_or_update(name, {"location": "westus"})
    return name


def account_body(**properties: Any) -> dict[str, Any]:
    return {"location": "westus", "sku": {"name": "Standard_LRS"}, "kind": "StorageV2", "properties": properties}
