"""Fixtures for azure handler tests: a session and context pointed at the ARM emulator (+ Azurite),
and a throwaway resource group / storage account per test (names from ``unique_name``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from modelinfra.providers.azure.session import AzureSession
from modelinfra.providers.base import ResourceContext
from modelinfra.providers.registry import handler_for
from modelinfra.settings import Settings
from modelinfra.spec.providers import AzureProviderConfig
from tests.conftest import SUBSCRIPTION_ID


def make_session(**settings: Any) -> AzureSession:
    return AzureSession(AzureProviderConfig(subscription_id=SUBSCRIPTION_ID), Settings(**settings))


@pytest.fixture
def azure_session(azure_env: dict[str, str]) -> AzureSession:
    return make_session()


@pytest.fixture
def azure_ctx(azure_session: AzureSession, tmp_path: Path) -> ResourceContext:
    return ResourceContext(stack="teststack", address="res", spec_dir=tmp_path, session=azure_session)


@pytest.fixture
def resource_group(azure_ctx: ResourceContext, unique_name: str) -> Iterator[str]:
    """A resource group created for the test and deleted (with its contents) afterwards."""
    handler = handler_for("azure.resource_group")
    spec = handler.spec_model(name=f"rg-{unique_name}", location="westus")
    handler.create(azure_ctx, spec)
    yield spec.name
    handler.delete(azure_ctx, handler.identify(azure_ctx, spec), {})


@pytest.fixture
def storage_account(azure_ctx: ResourceContext, resource_group: str, unique_name: str) -> dict[str, Any]:
    """A storage account (blob endpoint = Azurite) in ``resource_group``; its attributes."""
    handler = handler_for("azure.storage_account")
    spec = handler.spec_model(name=f"sa{unique_name}", resource_group=resource_group, location="westus")
    return handler.create(azure_ctx, spec)
