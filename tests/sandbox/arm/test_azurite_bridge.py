"""Storage accounts backed by Azurite: endpoints, keys and containers mirrored into real blob storage."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from modelinfra.sandbox.base import RunningService
from tests.sandbox.arm.conftest import Clients, account_body

BLOB_API_VERSION = "2025-11-05"


@pytest.fixture
def az(arm_emulator: RunningService, make_clients: Callable[..., Clients]) -> Clients:
    """SDK clients on the shared ARM emulator, which ``tests/conftest.py`` backs with Azurite."""
    return make_clients(arm_emulator)


def _blob_service(account: object, key: str) -> object:
    """A data-plane client built only from what ARM reported, as a handler would build it."""
    from azure.storage.blob import BlobServiceClient

    endpoint = account.properties.primary_endpoints.blob  # type: ignore[attr-defined]
    name = endpoint.rstrip("/").rsplit("/", 1)[1]
    return BlobServiceClient(endpoint, credential={"account_name": name, "account_key": key},
                             api_version=BLOB_API_VERSION)


def test_account_points_at_azurite_and_containers_are_mirrored(az: Clients, azurite: RunningService,
                                                               unique_name: str) -> None:
    rg = f"rg-{unique_name}"
    az.resource.resource_groups.create_or_update(rg, {"location": "westus"})
    name = f"azu{unique_name}"
    account = az.storage.storage_accounts.begin_create(rg, name, account_body()).result()
    key = az.storage.storage_accounts.list_keys(rg, name)["keys"][0]["value"]
    assert account.properties.primary_endpoints.blob == azurite.extra["blob_endpoint"] + "/"
    assert key == azurite.extra["account_key"]

    container_name = f"models-{unique_name}"
    az.storage.blob_containers.create(rg, name, container_name, {"properties": {"metadata": {"team": "ml"}}})
    blobs = _blob_service(account, key).get_container_client(container_name)  # type: ignore[attr-defined]
    assert blobs.get_container_properties().metadata == {"team": "ml"}
    blobs.upload_blob("model.bin", b"weights")
    assert blobs.download_blob("model.bin").readall() == b"weights"

    az.storage.blob_containers.update(rg, name, container_name, {"properties": {"metadata": {"v": "2"}}})
    assert blobs.get_container_properties().metadata == {"v": "2"}

    az.storage.blob_containers.delete(rg, name, container_name)
    assert blobs.exists() is False


def test_deleting_the_account_deletes_its_containers_in_azurite(az: Clients, unique_name: str) -> None:
    rg = f"rg-{unique_name}"
    az.resource.resource_groups.create_or_update(rg, {"location": "westus"})
    name = f"gone{unique_name}"
    account = az.storage.storage_accounts.begin_create(rg, name, account_body()).result()
    key = az.storage.storage_accounts.list_keys(rg, name)["keys"][0]["value"]
    container_name = f"tmp-{unique_name}"
    az.storage.blob_containers.create(rg, name, container_name, {})
    blobs = _blob_service(account, key).get_container_client(container_name)  # type: ignore[attr-defined]
    assert blobs.exists() is True

    az.resource.resource_groups.begin_delete(rg).result()

    assert blobs.exists() is False
