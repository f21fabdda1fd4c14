"""The emulator's Key Vault ``properties.accessPolicies``: stored and returned in the service's
casing, shape checked per the REST spec (``AccessPolicyEntry``) with ARM error bodies."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox.arm.conftest import Clients
from tests.sandbox.arm.test_new_families import TENANT, error_code, under, vault_body

OBJECT = "11111111-2222-3333-4444-555555555555"
API = "2023-07-01"


def entry(**changes: Any) -> dict[str, Any]:
    return {"tenantId": TENANT, "objectId": OBJECT,
            "permissions": {"keys": ["Get", "WRAPKEY", "unwrapKey"], "secrets": ["get", "List"]}} | changes


def test_access_policies_are_stored_and_answered_in_the_service_casing(clients: Clients, rg: str,
                                                                       unique_name: str) -> None:
    path = under(rg, f"Microsoft.KeyVault/vaults/ap{unique_name}")
    created = clients.raw("PUT", path, API, json=vault_body(accessPolicies=[entry()]))
    assert created.status_code == 201
    [stored] = clients.raw("GET", path, API).json()["properties"]["accessPolicies"]
    assert stored == {"tenantId": TENANT, "objectId": OBJECT,
                      "permissions": {"keys": ["get", "wrapKey", "unwrapKey"], "secrets": ["get", "list"]}}
    replaced = clients.raw("PUT", path, API, json=vault_body(accessPolicies=[]))
    assert replaced.status_code == 200 and replaced.json()["properties"]["accessPolicies"] == []


def test_access_policies_stay_while_rbac_is_on(clients: Clients, rg: str, unique_name: str) -> None:
    path = under(rg, f"Microsoft.KeyVault/vaults/ar{unique_name}")
    body = vault_body(accessPolicies=[entry()], enableRbacAuthorization=True)
    assert clients.raw("PUT", path, API, json=body).status_code == 201
    assert len(clients.raw("GET", path, API).json()["properties"]["accessPolicies"]) == 1


@pytest.mark.parametrize(("policies", "message"), [
    ({"not": "a list"}, "must be an array"),
    ([entry(tenantId="nope")], "accessPolicies[0].tenantId"),
    ([{"tenantId": TENANT, "permissions": {}}], "accessPolicies[0].objectId is required"),
    ([entry(applicationId="x")], "applicationId must be a GUID"),
    ([{"tenantId": TENANT, "objectId": OBJECT}], "permissions is required"),
    ([entry(permissions={"keys": ["get", "fly"]})], "Invalid value 'fly' at properties.accessPolicies[0].permissions.keys"),
    ([entry(permissions={"blobs": ["get"]})], "permissions.blobs is not a permission list"),
    ([entry()] * 1025, "at most 1024"),
])
def test_access_policies_of_a_bad_shape_are_400(clients: Clients, rg: str, unique_name: str, policies: Any,
                                                message: str) -> None:
    response = clients.raw("PUT", under(rg, f"Microsoft.KeyVault/vaults/ab{unique_name}"), API,
                           json=vault_body(accessPolicies=policies))
    assert response.status_code == 400 and error_code(response) == "BadRequest"
    assert message in response.json()["error"]["message"]
