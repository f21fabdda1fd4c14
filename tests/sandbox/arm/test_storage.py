"""Storage accounts, the blob service and containers through azure-mgmt-storage (no Azurite here)."""

from __future__ import annotations

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from tests.sandbox.arm.conftest import ARM_AUTH, STORAGE_API, TEST_ACCOUNT_KEY, Clients, account_body


def _account_path(rg: str, name: str) -> str:
    return f"/resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts/{name}"


def test_account_create_is_a_location_lro_seen_in_progress_before_it_succeeds(clients: Clients, rg: str,
                                                                               unique_name: str) -> None:
    clients.emulator.operations.max_seconds = 30  # only polls finish it; `clients` restores it
    path = _account_path(rg, f"lro{unique_name}")
    initial = clients.raw("PUT", path, api_version=STORAGE_API, json=account_body())
    assert initial.status_code == 202
    assert initial.headers["Retry-After"] == "0"
    location = initial.headers["Location"]
    assert clients.raw("GET", path, api_version=STORAGE_API).json()["properties"]["provisioningState"] == "Creating"

    first = requests.get(location, headers=ARM_AUTH, timeout=10)
    second = requests.get(location, headers=ARM_AUTH, timeout=10)

    assert first.status_code == 202
    assert second.status_code == 200
    assert second.json()["properties"]["provisioningState"] == "Succeeded"
    assert second.json()["name"] == f"lro{unique_name}"


def test_account_lifecycle_create_get_update_list_keys_delete(clients: Clients, rg: str, unique_name: str) -> None:
    accounts = clients.storage.storage_accounts
    name = f"life{unique_name}"
    created = accounts.begin_create(rg, name, account_body(**{"minimumTlsVersion": "TLS1_2"})).result()
    assert created.properties.provisioning_state == "Succeeded"
    assert created.properties.primary_endpoints.blob == f"https://{name}.blob.core.windows.net/"
    assert created.properties.allow_blob_public_access is False
    assert created.properties.enable_https_traffic_only is True
    assert created.sku.tier == "Standard"

    fetched = accounts.get_properties(rg, name)
    assert fetched.id == created.id
    assert fetched.properties.creation_time is not None

    updated = accounts.update(rg, name, {"tags": {"env": "dev"}, "properties": {"accessTier": "Cool"}})
    assert updated.tags == {"env": "dev"}
    assert updated.properties.access_tier == "Cool"
    assert updated.properties.creation_time == fetched.properties.creation_time

    keys = accounts.list_keys(rg, name)["keys"]
    assert [k["keyName"] for k in keys] == ["key1", "key2"]
    assert keys[0]["value"] == TEST_ACCOUNT_KEY

    assert name in [a.name for a in accounts.list_by_resource_group(rg)]
    assert accounts.delete(rg, name) is None
    with pytest.raises(ResourceNotFoundError) as caught:
        accounts.get_properties(rg, name)
    assert caught.value.error.code == "ResourceNotFound"


def test_list_keys_accepts_the_kerb_expand_the_sdk_sends(clients: Clients, rg: str, unique_name: str) -> None:
    name = f"kerb{unique_name}"
    clients.storage.storage_accounts.begin_create(rg, name, account_body()).result()
    response = requests.post(
        f"{clients.svc.url}/subscriptions/00000000-0000-0000-0000-000000000000{_account_path(rg, name)}/listKeys",
        params={"api-version": STORAGE_API, "$expand": "kerb"}, headers=ARM_AUTH, timeout=10,
    )
    assert response.status_code == 200
    assert response.json()["keys"][0]["value"] == TEST_ACCOUNT_KEY


def test_deleting_a_missing_account_is_204(clients: Clients, rg: str) -> None:
    response = clients.raw("DELETE", _account_path(rg, "nosuchaccount"), api_version=STORAGE_API)
    assert response.status_code == 204
    assert clients.storage.storage_accounts.delete(rg, "nosuchaccount") is None


@pytest.mark.parametrize("bad", ["ab", "UpperCase1", "has-dash", "a" * 25])
def test_invalid_account_names_are_400_account_name_invalid(clients: Clients, rg: str, bad: str) -> None:
    with pytest.raises(HttpResponseError) as caught:
        clients.storage.storage_accounts.begin_create(rg, bad, account_body()).result()
    assert caught.value.status_code == 400
    assert caught.value.error.code == "AccountNameInvalid"


def test_account_names_are_globally_unique(clients: Clients, rg: str, unique_name: str) -> None:
    name = f"uniq{unique_name}"
    clients.storage.storage_accounts.begin_create(rg, name, account_body()).result()
    other = f"{rg}-other"
    clients.resource.resource_groups.create_or_update(other, {"location": "westus"})
    with pytest.raises(HttpResponseError) as caught:
        clients.storage.storage_accounts.begin_create(other, name, account_body()).result()
    assert caught.value.status_code == 409
    assert caught.value.error.code == "StorageAccountAlreadyTaken"
    taken = clients.storage.storage_accounts.check_name_availability(
        {"name": name, "type": "Microsoft.Storage/storageAccounts"})
    assert (taken.name_available, taken.reason) == (False, "AlreadyExists")
    free = clients.storage.storage_accounts.check_name_availability(
        {"name": f"free{unique_name}", "type": "Microsoft.Storage/storageAccounts"})
    assert free.name_available is True


def test_blob_service_properties_round_trip_and_merge(clients: Clients, rg: str, unique_name: str) -> None:
    name = f"blob{unique_name}"
    clients.storage.storage_accounts.begin_create(rg, name, account_body()).result()
    services = clients.storage.blob_services
    assert services.get_service_properties(rg, name).is_versioning_enabled is False

    services.set_service_properties(rg, name, {"properties": {
        "isVersioningEnabled": True,
        "changeFeed": {"enabled": True},
        "deleteRetentionPolicy": {"enabled": True, "days": 14},
        "restorePolicy": {"enabled": True, "days": 7},
    }})
    services.set_service_properties(rg, name, {"properties": {"cors": {"corsRules": []}}})  # leaves the rest

    props = services.get_service_properties(rg, name)
    assert props.is_versioning_enabled is True
    assert props.change_feed.enabled is True
    assert (props.delete_retention_policy.enabled, props.delete_retention_policy.days) == (True, 14)
    assert (props.restore_policy.enabled, props.restore_policy.days) == (True, 7)
    assert props.restore_policy.min_restore_time is not None


def test_restore_policy_without_its_prerequisites_is_400(clients: Clients, rg: str, unique_name: str) -> None:
    name = f"rest{unique_name}"
    clients.storage.storage_accounts.begin_create(rg, name, account_body()).result()
    with pytest.raises(HttpResponseError) as caught:
        clients.storage.blob_services.set_service_properties(
            rg, name, {"properties": {"restorePolicy": {"enabled": True, "days": 7}}})
    assert caught.value.status_code == 400
    assert caught.value.error.code == "InvalidBlobServiceProperties"


def test_container_put_201_then_200_get_patch_list_delete(clients: Clients, rg: str, unique_name: str) -> None:
    name = f"cont{unique_name}"
    clients.storage.storage_accounts.begin_create(rg, name, account_body()).result()
    path = _account_path(rg, name) + "/blobServices/default/containers/snapshots"
    first = clients.raw("PUT", path, api_version=STORAGE_API, json={"properties": {"metadata": {"a": "1"}}})
    second = clients.raw("PUT", path, api_version=STORAGE_API, json={"properties": {"metadata": {"a": "1"}}})
    assert (first.status_code, second.status_code) == (201, 200)

    containers = clients.storage.blob_containers
    got = containers.get(rg, name, "snapshots")
    assert (got.public_access, got.metadata) == ("None", {"a": "1"})
    patched = containers.update(rg, name, "snapshots", {"properties": {"metadata": {"b": "2"}}})
    assert patched.metadata == {"b": "2"}
    assert [c.name for c in containers.list(rg, name)] == ["snapshots"]
    assert containers.delete(rg, name, "snapshots") is None
    assert clients.raw("DELETE", path, api_version=STORAGE_API).status_code == 204
    with pytest.raises(ResourceNotFoundError) as caught:
        containers.get(rg, name, "snapshots")
    assert caught.value.error.code == "ResourceNotFound"


def test_container_under_a_missing_account_is_parent_resource_not_found(clients: Clients, rg: str) -> None:
    with pytest.raises(ResourceNotFoundError) as caught:
        clients.storage.blob_containers.create(rg, "nosuchaccount", "c1", {})
    assert caught.value.error.code == "ParentResourceNotFound"


def test_public_container_needs_an_account_that_allows_public_access(clients: Clients, rg: str,
                                                                     unique_name: str) -> None:
    private, public = f"priv{unique_name}", f"pub{unique_name}"
    clients.storage.storage_accounts.begin_create(rg, private, account_body()).result()
    clients.storage.storage_accounts.begin_create(rg, public, account_body(allowBlobPublicAccess=True)).result()
    with pytest.raises(HttpResponseError) as caught:
        clients.storage.blob_containers.create(rg, private, "web", {"properties": {"publicAccess": "Blob"}})
    assert caught.value.error.code == "PublicAccessNotPermitted"
    made = clients.storage.blob_containers.create(rg, public, "web", {"properties": {"publicAccess": "Blob"}})
    assert made.public_access == "Blob"


def test_a_put_during_a_running_create_supersedes_it_instead_of_failing(clients: Clients, rg: str,
                                                                          unique_name: str) -> None:
    path = _account_path(rg, f"again{unique_name}")
    first = clients.raw("PUT", path, api_version=STORAGE_API, json=account_body())
    second = clients.raw("PUT", path, api_version=STORAGE_API, json={**account_body(), "tags": {"v": "2"}})
    assert (first.status_code, second.status_code) == (202, 202)
    assert requests.get(first.headers["Location"], headers=ARM_AUTH, timeout=10).status_code == 200  # finished by the 2nd PUT
    done = clients.storage.storage_accounts.get_properties(rg, f"again{unique_name}")
    assert done.tags == {"v": "2"}
