"""``azure.key_vault`` against the ARM emulator (api-version 2023-07-01, through ArmRestClient)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from modelinfra.errors import TerminalError
from modelinfra.providers.azure.rest_client import ArmRestClient
from modelinfra.providers.base import ResourceContext
from modelinfra.providers.registry import handler_for
from tests.providers.conformance import check_lifecycle

HANDLER = handler_for("azure.key_vault")
Spec = HANDLER.spec_model
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def spec_for(group: str, unique_name: str, **props: Any) -> Any:
    return Spec(name=f"kv{unique_name}", resource_group=group, location="westus", tenant_id=TENANT, **props)


def test_lifecycle_with_in_place_update(azure_ctx: ResourceContext, resource_group: str, unique_name: str) -> None:
    observed = check_lifecycle(
        HANDLER, azure_ctx, spec_for(resource_group, unique_name, tags={"team": "ml"}),
        spec_for(resource_group, unique_name, sku="premium", soft_delete_retention_days=30,
                 enable_rbac_authorization=True, purge_protection_enabled=True,
                 network_acls={"default_action": "Deny", "ip_rules": ["203.0.113.0/24"]}),
    )
    assert observed["vault_uri"] == f"https://kv{unique_name}.vault.azure.net/"
    assert observed["network_acls"] == {"default_action": "Deny", "bypass": "AzureServices",
                                        "ip_rules": ["203.0.113.0/24"], "virtual_network_subnet_ids": []}


def test_wire_body_has_the_service_spelling(azure_ctx: ResourceContext, resource_group: str,
                                            unique_name: str) -> None:
    created = HANDLER.create(azure_ctx, spec_for(resource_group, unique_name, enable_rbac_authorization=True))
    body = ArmRestClient(azure_ctx.session, "2023-07-01").get(created["id"])
    props = body["properties"]
    assert props["sku"] == {"family": "A", "name": "standard"} and props["tenantId"] == TENANT
    assert props["enableRbacAuthorization"] is True and props["softDeleteRetentionInDays"] == 90
    assert "enablePurgeProtection" not in props  # the service rejects false: never sent
    assert props["provisioningState"] == "Succeeded" and body["tags"]["modelinfra-address"] == "res"


def test_purge_protection_cannot_be_turned_off(azure_ctx: ResourceContext, resource_group: str,
                                               unique_name: str) -> None:
    protected = spec_for(resource_group, unique_name, purge_protection_enabled=True)
    created = HANDLER.create(azure_ctx, protected)
    with pytest.raises(TerminalError, match="cannot be disabled"):
        HANDLER.update(azure_ctx, spec_for(resource_group, unique_name), created, [])


def test_a_name_taken_elsewhere_is_a_terminal_error(azure_ctx: ResourceContext, resource_group: str,
                                                    unique_name: str) -> None:
    HANDLER.create(azure_ctx, spec_for(resource_group, unique_name))
    other = spec_for(resource_group, unique_name).model_copy(update={"resource_group": "elsewhere"})
    azure_ctx.session.mgmt("resource").resource_groups.create_or_update("elsewhere", {"location": "westus"})
    with pytest.raises(TerminalError, match="already in use"):
        HANDLER.create(azure_ctx, other)


@pytest.mark.parametrize("props, message", [
    ({"name": "1vault"}, "must start with a letter"),
    ({"name": "a--b"}, "single hyphens"),
    ({"name": "ab"}, "3 to 24"),
    ({"tenant_id": "not-a-guid"}, "not a GUID"),
    ({"soft_delete_retention_days": 6}, "greater than or equal to 7"),
    ({"soft_delete_retention_days": 91}, "less than or equal to 90"),
    ({"sku": "Standard"}, "'standard' or 'premium'"),
    ({"network_acls": {"default_action": "Block"}}, "'Allow' or 'Deny'"),
])
def test_spec_rules(props: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Spec(**{"name": "kv1", "resource_group": "g", "location": "westus", "tenant_id": TENANT, **props})
