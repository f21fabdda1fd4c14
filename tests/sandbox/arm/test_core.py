"""Generic ARM behaviour, shown on resource groups: api-version, status codes, errors, cascade, threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from tests.conftest import SUBSCRIPTION_ID
from tests.sandbox.arm.conftest import ARM_AUTH, STORAGE_API, Clients, account_body


def test_request_without_api_version_is_400_missing_api_version_parameter(clients: Clients) -> None:
    response = clients.raw("GET", "/resourcegroups/whatever", api_version=None)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "MissingApiVersionParameter"


def test_unsupported_api_version_is_rejected(clients: Clients) -> None:
    response = clients.raw("GET", "/resourcegroups/whatever", api_version="1999-01-01")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "NoRegisteredProviderFound"


def test_unknown_resource_type_is_400_not_a_404(clients: Clients) -> None:
    response = clients.raw("GET", "/resourceGroups/g/providers/Microsoft.Nope/things/x")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "NoRegisteredProviderFound"


def test_resource_group_put_answers_201_then_200_and_normalises_location(clients: Clients, unique_name: str) -> None:
    path = f"/resourcegroups/rg-{unique_name}"
    first = clients.raw("PUT", path, json={"location": "West US", "tags": {"team": "ml"}})
    second = clients.raw("PUT", path, json={"location": "westus", "tags": {"team": "ml"}})
    assert (first.status_code, second.status_code) == (201, 200)
    body = second.json()
    assert body["id"].endswith(f"/resourceGroups/rg-{unique_name}")
    assert body["location"] == "westus"
    assert body["properties"]["provisioningState"] == "Succeeded"


def test_resource_group_get_exists_update_and_list_through_the_sdk(clients: Clients, unique_name: str) -> None:
    groups = clients.resource.resource_groups
    name = f"rg-{unique_name}"
    assert groups.check_existence(name) is False
    groups.create_or_update(name, {"location": "westus", "tags": {"a": "1"}})
    assert groups.check_existence(name) is True
    assert groups.get(name).tags == {"a": "1"}
    assert groups.update(name, {"tags": {"b": "2"}}).tags == {"b": "2"}  # tags replace wholesale
    assert name in [g.name for g in groups.list()]


def test_changing_a_resource_group_location_is_409(clients: Clients, rg: str) -> None:
    with pytest.raises(HttpResponseError) as caught:
        clients.resource.resource_groups.create_or_update(rg, {"location": "eastus"})
    assert caught.value.status_code == 409
    assert caught.value.error.code == "InvalidResourceLocation"


def test_missing_group_gives_resource_group_not_found_for_it_and_its_resources(clients: Clients) -> None:
    with pytest.raises(ResourceNotFoundError) as on_group:
        clients.resource.resource_groups.get("rg-never-made")
    with pytest.raises(ResourceNotFoundError) as on_account:
        clients.storage.storage_accounts.get_properties("rg-never-made", "acct")
    assert on_group.value.error.code == "ResourceGroupNotFound"
    assert on_account.value.error.code == "ResourceGroupNotFound"


def test_deleting_a_missing_group_is_404_as_arm_answers(clients: Clients) -> None:
    with pytest.raises(ResourceNotFoundError) as caught:
        clients.resource.resource_groups.begin_delete("rg-never-made").result()
    assert caught.value.error.code == "ResourceGroupNotFound"


def test_group_delete_is_a_location_lro_that_removes_everything_inside(clients: Clients, rg: str,
                                                                       unique_name: str) -> None:
    clients.emulator.operations.max_seconds = 30  # only polls finish it; `clients` restores it
    account = f"casc{unique_name}"
    clients.storage.storage_accounts.begin_create(rg, account, account_body()).result()
    clients.storage.blob_containers.create(rg, account, "models", {})
    clients.compute.disks.begin_create_or_update(
        rg, "disk", {"location": "westus", "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": 4}}
    ).result()

    initial = clients.raw("DELETE", f"/resourcegroups/{rg}")
    assert initial.status_code == 202
    assert "Location" in initial.headers and "Retry-After" in initial.headers
    assert clients.raw("GET", f"/resourcegroups/{rg}").json()["properties"]["provisioningState"] == "Deleting"
    assert clients.raw("PUT", f"/resourcegroups/{rg}", json={"location": "westus"}).status_code == 409
    poll = requests.get(initial.headers["Location"], headers=ARM_AUTH, timeout=10)
    assert poll.status_code == 202  # at least one poll sees it still running
    clients.resource.resource_groups.begin_delete(rg).result()  # joins the running delete

    assert clients.resource.resource_groups.check_existence(rg) is False
    leftovers = [r.id for r in clients.emulator.store.all() if f"/resourcegroups/{rg}/" in r.key]
    assert leftovers == []
    assert clients.storage.storage_accounts.check_name_availability(
        {"name": account, "type": "Microsoft.Storage/storageAccounts"}
    ).name_available is True


def test_concurrent_requests_are_all_served(clients: Clients, unique_name: str) -> None:
    names = [f"rg-{unique_name}-{i}" for i in range(16)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda n: clients.resource.resource_groups.create_or_update(n, {"location": "westus"}), names))
    listed = {g.name for g in clients.resource.resource_groups.list()}
    assert set(names) <= listed


def test_request_count_counts_arm_requests_only(clients: Clients) -> None:
    before = clients.emulator.request_count
    clients.resource.resource_groups.check_existence("rg-count")
    stats = requests.get(f"{clients.svc.url}/_emulator/stats", timeout=10).json()
    assert clients.emulator.request_count == before + 1
    assert stats["request_count"] == before + 1


def test_storage_list_in_a_missing_group_is_resource_group_not_found(clients: Clients) -> None:
    response = clients.raw("GET", "/resourceGroups/rg-never-made/providers/Microsoft.Storage/storageAccounts",
                           api_version=STORAGE_API)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "ResourceGroupNotFound"


@pytest.mark.parametrize("headers, code", [({}, "AuthenticationFailed"),
                                           ({"Authorization": "Basic dXNlcjpwYXNz"}, "InvalidAuthenticationToken")])
def test_a_request_without_a_bearer_token_is_401_with_a_challenge(clients: Clients, rg: str,
                                                                  headers: dict[str, str], code: str) -> None:
    url = f"{clients.svc.url}/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{rg}"
    answer = requests.get(url, params={"api-version": "2025-04-01"}, headers=headers, timeout=10)
    assert answer.status_code == 401 and answer.json()["error"]["code"] == code
    assert answer.headers["WWW-Authenticate"].startswith('Bearer authorization_uri="https://login.')
    assert requests.get(url, params={"api-version": "2025-04-01"}, headers=ARM_AUTH, timeout=10).status_code == 200


def test_subscription_get_names_the_emulated_tenant(clients: Clients) -> None:
    """Subscriptions_Get: the keys of the REST spec's GetSubscription example, and the tenant every
    emulated identity belongs to (key vaults with no tenant_id read it); an unknown api-version is 400."""
    response = clients.raw("GET", "", api_version="2022-12-01")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["subscriptionId"] == SUBSCRIPTION_ID and body["id"] == f"/subscriptions/{SUBSCRIPTION_ID}"
    assert body["tenantId"] == "72f988bf-86f1-41af-91ab-2d7cd011db47"
    assert {"displayName", "state", "subscriptionPolicies", "authorizationSource"} <= set(body)
    assert clients.raw("GET", "", api_version="1999-01-01").status_code == 400
