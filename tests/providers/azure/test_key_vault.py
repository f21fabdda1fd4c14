"""``azure.key_vault`` against the ARM emulator (api-version 2023-07-01, through ArmRestClient)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from modelinfra.errors import TerminalError
from modelinfra.plans.diff import diff_attributes
from modelinfra.providers.azure.rest_client import ArmRestClient
from modelinfra.providers.base import ResourceContext
from modelinfra.providers.registry import handler_for
from tests.e2e.cli import run_cli
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


OBJECT = "11111111-2222-3333-4444-555555555555"
ML_OBJECT = "99999999-8888-7777-6666-555555555555"


def reader(**changes: Any) -> dict[str, Any]:
    return {"object_id": OBJECT, "key_permissions": ["Get", "WrapKey", "UnwrapKey"],
            "secret_permissions": ["Get", "List"]} | changes


def wire_policies(ctx: ResourceContext, vault_id: str) -> list[dict[str, Any]]:
    return ArmRestClient(ctx.session, "2023-07-01").get(vault_id)["properties"]["accessPolicies"]


def test_access_policies_are_created_read_back_updated_and_emptied(azure_ctx: ResourceContext, resource_group: str,
                                                                   unique_name: str) -> None:
    first = spec_for(resource_group, unique_name, access_policies=[reader()])
    final = check_lifecycle(HANDLER, azure_ctx, first, spec_for(resource_group, unique_name, access_policies=[
        reader(secret_permissions=["Get", "List", "Set"]), {"object_id": ML_OBJECT, "certificate_permissions": ["Get"]}]))
    assert [p["object_id"] for p in final["access_policies"]] == [OBJECT, ML_OBJECT]
    assert final["access_policies"][0]["tenant_id"] == TENANT  # unset: the vault's tenant

    created = HANDLER.create(azure_ctx, first)
    [wire] = wire_policies(azure_ctx, created["id"])
    assert wire["tenantId"] == TENANT and wire["permissions"]["keys"] == ["get", "unwrapKey", "wrapKey"]
    assert not diff_attributes(HANDLER.desired(azure_ctx, first), HANDLER.read(azure_ctx, created["id"]))

    emptied = spec_for(resource_group, unique_name, access_policies=[])
    changes = diff_attributes(HANDLER.desired(azure_ctx, emptied), created)
    assert [c.path for c in changes] == ["access_policies[0]"]
    after = HANDLER.update(azure_ctx, emptied, created, changes)
    assert after["access_policies"] == [] and wire_policies(azure_ctx, created["id"]) == []


def test_permission_casing_and_order_are_no_drift(azure_ctx: ResourceContext, resource_group: str,
                                                  unique_name: str) -> None:
    want = spec_for(resource_group, unique_name, access_policies=[reader(), {"object_id": ML_OBJECT}])
    created = HANDLER.create(azure_ctx, want)
    same = spec_for(resource_group, unique_name, access_policies=[
        {"object_id": ML_OBJECT.upper(), "tenant_id": TENANT},
        reader(key_permissions=["unwrapkey", "GET", "wrapKey", "get"], secret_permissions=["LIST", "get"])])
    observed = HANDLER.read(azure_ctx, created["id"])
    assert not diff_attributes(HANDLER.desired(azure_ctx, same), observed)
    assert not diff_attributes(HANDLER.desired(azure_ctx, same), observed, none_is_unmanaged=False)
    fewer = spec_for(resource_group, unique_name, access_policies=[reader(key_permissions=["Get"]),
                                                                   {"object_id": ML_OBJECT}])
    assert diff_attributes(HANDLER.desired(azure_ctx, fewer), observed)


def test_unset_access_policies_keep_those_others_added(azure_ctx: ResourceContext, resource_group: str,
                                                       unique_name: str) -> None:
    unmanaged = spec_for(resource_group, unique_name, tags={"team": "ml"})
    created = HANDLER.create(azure_ctx, unmanaged)
    assert "access_policies" not in created  # not recorded: drift never reports them
    client = ArmRestClient(azure_ctx.session, "2023-07-01")
    body = client.get(created["id"])
    body["properties"]["accessPolicies"] = [{"tenantId": TENANT, "objectId": ML_OBJECT,
                                             "permissions": {"secrets": ["get"]}}]  # what Azure ML adds
    client.put(created["id"], {k: body[k] for k in ("location", "tags", "properties")})
    observed = HANDLER.read(azure_ctx, created["id"])
    assert not diff_attributes(HANDLER.desired(azure_ctx, unmanaged), observed)
    retagged = spec_for(resource_group, unique_name, tags={"team": "ai"})
    HANDLER.update(azure_ctx, retagged, observed, diff_attributes(HANDLER.desired(azure_ctx, retagged), observed))
    assert [p["objectId"] for p in wire_policies(azure_ctx, created["id"])] == [ML_OBJECT]


@pytest.mark.parametrize("policy, message", [
    ({"object_id": OBJECT, "key_permissions": ["Fly"]}, "unknown keys permission 'Fly'"),
    ({"object_id": OBJECT, "secret_permissions": ["WrapKey"]}, "unknown secrets permission"),
    ({"object_id": ""}, "object_id must not be empty"),
    ({"object_id": OBJECT, "tenant_id": "nope"}, "not a GUID"),
    ({"key_permissions": ["Get"]}, "object_id"),
])
def test_access_policy_rules_offline(policy: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Spec(name="kv1", resource_group="g", location="westus", access_policies=[policy])


def test_rbac_and_access_policies_together_are_accepted() -> None:
    spec = Spec(name="kv1", resource_group="g", location="westus", enable_rbac_authorization=True,
                access_policies=[reader()])
    assert spec.access_policies and spec.enable_rbac_authorization


def test_validate_points_at_the_bad_permission(tmp_path: Path) -> None:
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(
        "version: 1\nname: demo\nproviders:\n  azure:\n    subscription_id: 00000000-0000-0000-0000-000000000000\n"
        "resources:\n  kv:\n    type: azure.key_vault\n    properties:\n      name: kv-models\n"
        "      resource_group: rg\n      location: westus\n      access_policies:\n"
        "        - object_id: 11111111-2222-3333-4444-555555555555\n          key_permissions: [Get, Fly]\n")
    result = run_cli("validate", spec_file, cwd=tmp_path)
    assert result.code == 1, result.output
    assert f"{spec_file}:15:11: resources.kv.properties.access_policies[0].key_permissions" in result.stderr, \
        result.stderr
    assert "unknown keys permission 'Fly'" in result.stderr


def test_a_policy_without_tenant_in_a_vault_without_tenant_is_in_the_subscriptions(
        azure_ctx: ResourceContext, resource_group: str, unique_name: str) -> None:
    want = Spec(name=f"kt{unique_name}", resource_group=resource_group, location="westus", access_policies=[reader()])
    created = HANDLER.create(azure_ctx, want)
    [policy] = created["access_policies"]
    assert policy["tenant_id"] == azure_ctx.session.tenant_id().lower() == created["tenant_id"]
    assert not diff_attributes(HANDLER.desired(azure_ctx, want), HANDLER.read(azure_ctx, created["id"]))
