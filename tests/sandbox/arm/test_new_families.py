"""The emulator's Key Vault, Azure Monitor (Log Analytics, Application Insights), Container Registry
and Authorization families over plain HTTP: status codes, LROs and ARM error bodies per REST spec."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import SUBSCRIPTION_ID
from tests.sandbox.arm.conftest import Clients, account_body

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
PRINCIPAL = "11111111-2222-3333-4444-555555555555"


def under(rg: str, rest: str) -> str:
    return f"/resourceGroups/{rg}/providers/{rest}"


def vault_body(**properties: Any) -> dict[str, Any]:
    return {"location": "westus", "properties": {"tenantId": TENANT, "sku": {"family": "A", "name": "standard"},
                                                 **properties}}


def error_code(response: Any) -> str:
    return response.json()["error"]["code"]


# -- Key Vault -------------------------------------------------------------------------------------
def test_vault_put_get_patch_delete_codes(clients: Clients, rg: str, unique_name: str) -> None:
    path, api = under(rg, f"Microsoft.KeyVault/vaults/kv{unique_name}"), "2023-07-01"
    created = clients.raw("PUT", path, api, json=vault_body())
    assert created.status_code == 201
    props = created.json()["properties"]
    assert props["vaultUri"] == f"https://kv{unique_name}.vault.azure.net/"
    assert props["softDeleteRetentionInDays"] == 90 and props["enableSoftDelete"] is True
    assert clients.raw("PUT", path, api, json=vault_body()).status_code == 200
    patched = clients.raw("PATCH", path, api, json={"properties": {"enableRbacAuthorization": True}})
    assert patched.status_code == 200 and patched.json()["properties"]["enableRbacAuthorization"] is True
    assert clients.raw("DELETE", path, api).status_code == 200
    assert clients.raw("DELETE", path, api).status_code == 204
    missing = clients.raw("GET", path, api)
    assert missing.status_code == 404 and error_code(missing) == "ResourceNotFound"


@pytest.mark.parametrize("name, properties, code", [
    ("1bad", {}, "VaultNameNotValid"),
    ("good-name", {"tenantId": "nope"}, "BadRequest"),
    ("good-name", {"softDeleteRetentionInDays": 5}, "BadRequest"),
    ("good-name", {"sku": {"family": "A", "name": "gold"}}, "BadRequest"),
])
def test_vault_rejects_invalid_requests(clients: Clients, rg: str, name: str, properties: dict[str, Any],
                                        code: str) -> None:
    response = clients.raw("PUT", under(rg, f"Microsoft.KeyVault/vaults/{name}"), "2023-07-01",
                           json=vault_body(**properties))
    assert response.status_code == 400 and error_code(response) == code


def test_vault_purge_protection_is_one_way(clients: Clients, rg: str, unique_name: str) -> None:
    path = under(rg, f"Microsoft.KeyVault/vaults/kp{unique_name}")
    assert clients.raw("PUT", path, "2023-07-01", json=vault_body(enablePurgeProtection=True)).status_code == 201
    again = clients.raw("PUT", path, "2023-07-01", json=vault_body())
    assert again.status_code == 400 and "cannot be disabled" in again.json()["error"]["message"]


# -- Log Analytics and Application Insights ------------------------------------------------------
def test_workspace_and_component_wire_shapes(clients: Clients, rg: str, unique_name: str) -> None:
    ws_path = under(rg, f"Microsoft.OperationalInsights/workspaces/law-{unique_name}")
    ws = clients.raw("PUT", ws_path, "2023-09-01", json={"location": "westus"})
    assert ws.status_code == 200
    ws_props = ws.json()["properties"]
    assert ws_props["sku"]["name"] == "PerGB2018" and ws_props["retentionInDays"] == 30
    assert ws_props["provisioningState"] == "Succeeded" and len(ws_props["customerId"]) == 36
    bad = clients.raw("PUT", ws_path, "2023-09-01", json={"location": "westus", "properties": {"retentionInDays": 7}})
    assert bad.status_code == 400 and error_code(bad) == "InvalidParameter"

    ai_path = under(rg, f"Microsoft.Insights/components/ai-{unique_name}")
    ws_id = f"/subscriptions/{SUBSCRIPTION_ID}{ws_path}"
    ai = clients.raw("PUT", ai_path, "2020-02-02", json={"location": "westus", "kind": "web", "properties": {
        "Application_Type": "web", "WorkspaceResourceId": ws_id}})
    assert ai.status_code == 200
    props = ai.json()["properties"]
    assert props["IngestionMode"] == "LogAnalytics" and props["ApplicationId"] == f"ai-{unique_name}"
    assert props["ConnectionString"].startswith(f"InstrumentationKey={props['InstrumentationKey']};")
    tagged = clients.raw("PATCH", ai_path, "2020-02-02", json={"tags": {"a": "b"}})
    assert tagged.status_code == 200 and tagged.json()["properties"]["InstrumentationKey"] == props["InstrumentationKey"]
    no_kind = clients.raw("PUT", ai_path + "x", "2020-02-02", json={"location": "westus",
                                                                     "properties": {"Application_Type": "web"}})
    assert no_kind.status_code == 400
    assert clients.raw("DELETE", ai_path, "2020-02-02").status_code == 200
    assert clients.raw("DELETE", ai_path, "2020-02-02").status_code == 204


# -- Container Registry ----------------------------------------------------------------------------
def test_registry_writes_are_async_lros(clients: Clients, rg: str, unique_name: str) -> None:
    path = under(rg, f"Microsoft.ContainerRegistry/registries/acr{unique_name}")
    started = clients.raw("PUT", path, "2023-07-01", json={"location": "westus", "sku": {"name": "Basic"}})
    assert started.status_code == 202 and "Azure-AsyncOperation" in started.headers
    body = clients.raw("GET", path, "2023-07-01").json()
    assert body["properties"]["loginServer"] == f"acr{unique_name}.azurecr.io"
    assert body["properties"]["adminUserEnabled"] is False and body["sku"]["tier"] == "Basic"
    private = clients.raw("PATCH", path, "2023-07-01", json={"properties": {"publicNetworkAccess": "Disabled"}})
    assert private.status_code == 400
    assert clients.raw("DELETE", path, "2023-07-01").status_code == 202
    bad = clients.raw("PUT", under(rg, "Microsoft.ContainerRegistry/registries/no-dash"), "2023-07-01",
                      json={"location": "westus", "sku": {"name": "Basic"}})
    assert bad.status_code == 400 and error_code(bad) == "InvalidRegistryName"


# -- Authorization ---------------------------------------------------------------------------------
def assignment(role: str = READER, principal: str = PRINCIPAL) -> dict[str, Any]:
    return {"properties": {
        "roleDefinitionId": f"/subscriptions/{SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/{role}",
        "principalId": principal, "principalType": "ServicePrincipal"}}


def test_role_assignment_codes_and_conflicts(clients: Clients, rg: str) -> None:
    scope = f"/resourceGroups/{rg}"
    path = scope + "/providers/Microsoft.Authorization/roleAssignments/0b9f2a62-0000-4000-8000-000000000001"
    created = clients.raw("PUT", path, "2022-04-01", json=assignment())
    assert created.status_code == 201
    assert created.json()["properties"]["scope"] == f"/subscriptions/{SUBSCRIPTION_ID}{scope}"
    assert clients.raw("PUT", path, "2022-04-01", json=assignment()).status_code == 200
    twin = clients.raw("PUT", path[:-1] + "2", "2022-04-01", json=assignment())
    assert twin.status_code == 409 and error_code(twin) == "RoleAssignmentExists"
    changed = clients.raw("PUT", path, "2022-04-01", json=assignment(principal="99999999-2222-3333-4444-555555555555"))
    assert changed.status_code == 400 and error_code(changed) == "RoleAssignmentUpdateNotPermitted"
    assert clients.raw("PATCH", path, "2022-04-01", json={}).status_code == 405
    listed = clients.raw("GET", scope + "/providers/Microsoft.Authorization/roleAssignments", "2022-04-01")
    assert [a["name"] for a in listed.json()["value"]] == [path.rsplit("/", 1)[1]]
    assert clients.raw("DELETE", path, "2022-04-01").status_code == 200
    assert clients.raw("DELETE", path, "2022-04-01").status_code == 204


@pytest.mark.parametrize("name, body, code", [
    ("not-a-guid", assignment(), "InvalidRoleAssignmentId"),
    ("0b9f2a62-0000-4000-8000-000000000003", assignment(role="00000000-0000-0000-0000-000000000000"),
     "RoleDefinitionDoesNotExist"),
    ("0b9f2a62-0000-4000-8000-000000000004", assignment(principal="bob"), "InvalidPrincipalId"),
])
def test_role_assignment_rejects_invalid_requests(clients: Clients, rg: str, name: str, body: dict[str, Any],
                                                  code: str) -> None:
    response = clients.raw("PUT", f"/resourceGroups/{rg}/providers/Microsoft.Authorization/roleAssignments/{name}",
                           "2022-04-01", json=body)
    assert response.status_code == 400 and error_code(response) == code


def test_role_assignment_on_a_missing_resource_is_404(clients: Clients, rg: str, unique_name: str) -> None:
    account = under(rg, f"Microsoft.Storage/storageAccounts/ra{unique_name}")
    path = account + "/providers/Microsoft.Authorization/roleAssignments/0b9f2a62-0000-4000-8000-000000000005"
    missing = clients.raw("PUT", path, "2022-04-01", json=assignment())
    assert missing.status_code == 404 and error_code(missing) == "ParentResourceNotFound"
    clients.storage.storage_accounts.begin_create(rg, f"ra{unique_name}", account_body()).result()
    assert clients.raw("PUT", path, "2022-04-01", json=assignment()).status_code == 201


def test_role_definitions_filter_by_name(clients: Clients) -> None:
    found = clients.raw("GET", "/providers/Microsoft.Authorization/roleDefinitions", "2022-04-01",
                        params={"$filter": "roleName eq 'Reader'"})
    assert [d["name"] for d in found.json()["value"]] == [READER]
    one = clients.raw("GET", f"/providers/Microsoft.Authorization/roleDefinitions/{READER}", "2022-04-01")
    assert one.json()["properties"]["roleName"] == "Reader"
