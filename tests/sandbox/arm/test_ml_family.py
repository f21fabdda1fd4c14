"""The emulator's Microsoft.MachineLearningServices family at api-version 2025-12-01, driven through
azure-mgmt-core's ARMPipelineClient (``MlClient``) and, for exact status codes, plain HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from tests.conftest import SUBSCRIPTION_ID
from tests.sandbox.arm.conftest import Clients, account_body

ML_API = "2025-12-01"


@pytest.fixture
def ml(clients: Clients) -> Any:
    from modelinfra.providers.azure.ml_client import MlClient
    from modelinfra.providers.azure.session import AzureSession
    from modelinfra.settings import Settings
    from modelinfra.spec.providers import AzureProviderConfig

    session = AzureSession(AzureProviderConfig(subscription_id=SUBSCRIPTION_ID),
                           Settings(max_attempts=12, retry_backoff_max=1.0))
    return MlClient(session)


@pytest.fixture
def account_id(clients: Clients, rg: str, unique_name: str) -> str:
    account = clients.storage.storage_accounts.begin_create(rg, f"mlsa{unique_name}", account_body()).result()
    return account.id


def ws_path(rg: str, name: str) -> str:
    return f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{name}"


def ws_body(account: str, rg: str, **properties: Any) -> dict[str, Any]:
    vault = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults/kv1"
    return {"location": "westus", "tags": {"team": "ml"},
            "properties": {"storageAccount": account, "keyVault": vault, **properties}}


@pytest.fixture
def workspace(ml: Any, rg: str, account_id: str, unique_name: str) -> str:
    path = ws_path(rg, f"ws-{unique_name}")
    ml.put(path, ws_body(account_id, rg))
    return path


def test_workspace_put_is_a_location_lro_returning_the_workspace(clients: Clients, ml: Any, rg: str,
                                                                   account_id: str, unique_name: str):
    path = ws_path(rg, f"ws-{unique_name}")
    raw = clients.raw("PUT", path.split(SUBSCRIPTION_ID, 1)[1], api_version=ML_API, json=ws_body(account_id, rg))
    assert raw.status_code == 202 and "Location" in raw.headers and "Retry-After" in raw.headers
    body = ml.put(path, ws_body(account_id, rg))  # the same PUT, polled to the end by ARMPolling
    assert body["properties"]["provisioningState"] == "Succeeded"
    assert body["properties"]["storageAccount"] == account_id
    assert body["sku"] == {"name": "Basic", "tier": "Basic"}
    assert body["properties"]["publicNetworkAccess"] == "Enabled" and body["properties"]["workspaceId"]
    assert ml.get(path)["tags"] == {"team": "ml"}


def test_workspace_needs_an_existing_storage_account(ml: Any, rg: str, unique_name: str):
    missing = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts/nope1"
    with pytest.raises(HttpResponseError) as err:
        ml.put(ws_path(rg, f"ws-{unique_name}"), ws_body(missing, rg))
    assert err.value.status_code == 400 and err.value.error.code == "ValidationError"
    assert "does not exist" in err.value.error.message


def test_workspace_rejects_a_malformed_key_vault_id(ml: Any, rg: str, account_id: str, unique_name: str):
    body = ws_body(account_id, rg)
    body["properties"]["keyVault"] = account_id  # a storage account is not a vault
    with pytest.raises(HttpResponseError) as err:
        ml.put(ws_path(rg, f"ws-{unique_name}"), body)
    assert err.value.status_code == 400


def test_workspace_in_missing_group_is_resource_group_not_found(ml: Any, account_id: str, rg: str):
    with pytest.raises(HttpResponseError) as err:
        ml.put(ws_path("no-such-rg", "ws1"), ws_body(account_id, rg))
    assert err.value.status_code == 404 and err.value.error.code == "ResourceGroupNotFound"


def test_workspace_patch_is_an_lro_and_storage_account_is_immutable(ml: Any, workspace: str, clients: Clients,
                                                                     rg: str, unique_name: str):
    patched = ml.patch(workspace, {"tags": {"env": "prod"}, "properties": {"publicNetworkAccess": "Disabled"}})
    assert patched["tags"] == {"env": "prod"} and patched["properties"]["publicNetworkAccess"] == "Disabled"
    other = clients.storage.storage_accounts.begin_create(rg, f"mlsb{unique_name}", account_body()).result()
    with pytest.raises(HttpResponseError) as err:
        ml.patch(workspace, {"properties": {"storageAccount": other.id}})
    assert err.value.status_code == 400


def test_workspace_delete_is_an_lro_that_removes_models_and_missing_is_204(clients: Clients, ml: Any,
                                                                           workspace: str):
    ml.put(workspace + "/models/m", {"properties": {}})
    ml.put(workspace + "/models/m/versions/1", {"properties": {"modelUri": "https://x/blob"}})
    ml.delete(workspace)
    assert ml.get(workspace) is None and ml.get(workspace + "/models/m/versions/1") is None
    relative = workspace.split(SUBSCRIPTION_ID, 1)[1]
    assert clients.raw("DELETE", relative, api_version=ML_API).status_code == 204


def test_model_version_lifecycle_status_codes(clients: Clients, ml: Any, workspace: str):
    relative = workspace.split(SUBSCRIPTION_ID, 1)[1]
    container = clients.raw("PUT", relative + "/models/churn", api_version=ML_API, json={"properties": {}})
    assert container.status_code == 201
    version = {"properties": {"modelUri": "https://acct.blob.core.windows.net/c/model.bin", "description": "first",
                              "tags": {"stage": "dev"}}}
    first = clients.raw("PUT", relative + "/models/churn/versions/1", api_version=ML_API, json=version)
    assert first.status_code == 201
    body = first.json()
    assert body["properties"]["isArchived"] is False and body["properties"]["modelType"] == "CustomModel"
    assert body["type"] == "Microsoft.MachineLearningServices/workspaces/models/versions"
    again = clients.raw("PUT", relative + "/models/churn/versions/1", api_version=ML_API, json=version)
    assert again.status_code == 200
    assert ml.get(workspace + "/models/churn")["properties"]["latestVersion"] == "1"
    assert ml.get(workspace + "/models/churn")["properties"]["nextVersion"] == "2"
    assert clients.raw("DELETE", relative + "/models/churn/versions/1", api_version=ML_API).status_code == 200
    assert clients.raw("DELETE", relative + "/models/churn/versions/1", api_version=ML_API).status_code == 204


def test_model_version_archive_and_unarchive_but_uri_is_immutable(ml: Any, workspace: str):
    ml.put(workspace + "/models/m", {"properties": {}})
    path = workspace + "/models/m/versions/3"
    ml.put(path, {"properties": {"modelUri": "https://a/v3.bin"}})
    archived = ml.put(path, {"properties": {"modelUri": "https://a/v3.bin", "isArchived": True}})
    assert archived["properties"]["isArchived"] is True
    assert ml.put(path, {"properties": {"modelUri": "https://a/v3.bin"}})["properties"]["isArchived"] is False
    with pytest.raises(HttpResponseError) as err:
        ml.put(path, {"properties": {"modelUri": "https://a/other.bin"}})
    assert err.value.status_code == 409


def test_model_version_needs_its_parents(ml: Any, workspace: str, rg: str):
    with pytest.raises(HttpResponseError) as no_container:
        ml.put(workspace + "/models/ghost/versions/1", {"properties": {"modelUri": "https://a/b"}})
    assert no_container.value.status_code == 404 and no_container.value.error.code == "ParentResourceNotFound"
    with pytest.raises(HttpResponseError) as no_workspace:
        ml.put(ws_path(rg, "nows") + "/models/m", {"properties": {}})
    assert no_workspace.value.error.code == "ParentResourceNotFound"
    ml.put(workspace + "/models/m", {"properties": {}})
    with pytest.raises(HttpResponseError) as no_uri:
        ml.put(workspace + "/models/m/versions/1", {"properties": {}})
    assert no_uri.value.status_code == 400


def _rid(rg: str, provider_type: str, name: str) -> str:
    return f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{rg}/providers/{provider_type}/{name}"


def test_workspace_takes_a_container_registry_description_and_friendly_name_and_updates_them(
        ml: Any, rg: str, account_id: str, unique_name: str):
    registry = _rid(rg, "Microsoft.ContainerRegistry/registries", "acr1")
    path = ws_path(rg, f"ws-{unique_name}")
    body = ml.put(path, ws_body(account_id, rg, containerRegistry=registry, description="training"))
    props = body["properties"]
    assert props["containerRegistry"] == registry and props["description"] == "training"
    assert props["friendlyName"] == f"ws-{unique_name}" and props["hbiWorkspace"] is False  # service defaults
    other = _rid(rg, "Microsoft.ContainerRegistry/registries", "acr2")
    patched = ml.patch(path, {"properties": {"containerRegistry": other, "friendlyName": "Training"}})
    assert patched["properties"]["containerRegistry"] == other and patched["properties"]["friendlyName"] == "Training"
    with pytest.raises(HttpResponseError) as err:
        ml.patch(path, {"properties": {"containerRegistry": account_id}})  # not a registry id
    assert err.value.status_code == 400 and "Microsoft.ContainerRegistry/registries" in err.value.error.message


def test_workspace_hbi_flag_cannot_change_once_created(ml: Any, rg: str, account_id: str, unique_name: str):
    path = ws_path(rg, f"ws-{unique_name}")
    assert ml.put(path, ws_body(account_id, rg, hbiWorkspace=True))["properties"]["hbiWorkspace"] is True
    for write in (lambda: ml.patch(path, {"properties": {"hbiWorkspace": False}}),
                  lambda: ml.put(path, ws_body(account_id, rg))):  # a PUT leaving it out means false
        with pytest.raises(HttpResponseError) as err:
            write()
        assert err.value.status_code == 400 and "hbiWorkspace" in err.value.error.message
    assert ml.get(path)["properties"]["hbiWorkspace"] is True


def test_workspace_identity_is_canonical_and_a_patch_replaces_it(ml: Any, rg: str, account_id: str,
                                                                 unique_name: str):
    uai = _rid(rg, "Microsoft.ManagedIdentity/userAssignedIdentities", "uai1")
    path = ws_path(rg, f"ws-{unique_name}")
    body = ml.put(path, {**ws_body(account_id, rg),
                         "identity": {"type": "systemassigned, userassigned", "userAssignedIdentities": {uai: {}}}})
    identity = body["identity"]
    assert identity["type"] == "SystemAssigned,UserAssigned" and identity["principalId"] and identity["tenantId"]
    assert set(identity["userAssignedIdentities"][uai]) == {"clientId", "principalId"}
    patched = ml.patch(path, {"identity": {"type": "SystemAssigned", "userAssignedIdentities": {uai: None}}})
    assert patched["identity"]["type"] == "SystemAssigned" and "userAssignedIdentities" not in patched["identity"]
    assert patched["identity"]["principalId"] == identity["principalId"]  # the same system identity


@pytest.mark.parametrize(("identity", "primary", "message"), [
    ({"type": "Magic"}, None, "identity.type"),
    ({"type": "UserAssigned", "userAssignedIdentities": {"{uai}": {}}}, None, "primaryUserAssignedIdentity is required"),
    ({"type": "SystemAssigned,UserAssigned", "userAssignedIdentities": {"{uai}": {}}}, "{other}", "is not one of"),
    ({"type": "SystemAssigned", "userAssignedIdentities": {"{uai}": {}}}, None, "only allowed with"),
])
def test_workspace_refuses_identities_arm_refuses(ml: Any, rg: str, account_id: str, unique_name: str,
                                                  identity: dict[str, Any], primary: str | None, message: str):
    ids = {"uai": _rid(rg, "Microsoft.ManagedIdentity/userAssignedIdentities", "uai1"),
           "other": _rid(rg, "Microsoft.ManagedIdentity/userAssignedIdentities", "uai2")}
    identity = {**identity, **({"userAssignedIdentities": {ids["uai"]: {}}} if "userAssignedIdentities" in identity
                               else {})}
    extra = {"primaryUserAssignedIdentity": primary.format(**ids)} if primary else {}
    with pytest.raises(HttpResponseError) as err:
        ml.put(ws_path(rg, f"ws-{unique_name}"), {**ws_body(account_id, rg, **extra), "identity": identity})
    assert err.value.status_code == 400 and message in err.value.error.message


def test_workspace_with_a_user_assigned_identity_and_its_primary(ml: Any, rg: str, account_id: str,
                                                                 unique_name: str):
    uai = _rid(rg, "Microsoft.ManagedIdentity/userAssignedIdentities", "uai1")
    body = ml.put(ws_path(rg, f"ws-{unique_name}"), {
        **ws_body(account_id, rg, primaryUserAssignedIdentity=uai),
        "identity": {"type": "UserAssigned", "userAssignedIdentities": {uai: {}}}})
    assert body["identity"]["type"] == "UserAssigned" and "principalId" not in body["identity"]
    assert body["properties"]["primaryUserAssignedIdentity"] == uai


def test_model_version_type_is_immutable_and_properties_only_grow(ml: Any, workspace: str):
    ml.put(workspace + "/models/m", {"properties": {}})
    path = workspace + "/models/m/versions/1"
    first = {"modelUri": "https://a/v1", "modelType": "mlflow_model", "properties": {"run": "r1"}}
    assert ml.put(path, {"properties": first})["properties"]["modelType"] == "mlflow_model"
    grown = ml.put(path, {"properties": {**first, "properties": {"run": "r1", "auc": "0.91"}}})
    assert grown["properties"]["properties"] == {"run": "r1", "auc": "0.91"}
    for change in ({"modelType": "custom_model"}, {"properties": {"run": "r2", "auc": "0.91"}},
                   {"properties": {"auc": "0.91"}}):
        with pytest.raises(HttpResponseError) as err:
            ml.put(path, {"properties": {**first, **change}})
        assert err.value.status_code == 409 and err.value.error.code == "Conflict", change


def test_model_version_properties_are_a_string_map(ml: Any, workspace: str):
    ml.put(workspace + "/models/m", {"properties": {}})
    with pytest.raises(HttpResponseError) as err:
        ml.put(workspace + "/models/m/versions/1", {"properties": {"modelUri": "https://a/v1", "properties": {"auc": 0.9}}})
    assert err.value.status_code == 400 and "map of strings" in err.value.error.message
