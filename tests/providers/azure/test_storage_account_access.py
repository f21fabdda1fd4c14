"""``azure.storage_account`` network rules, public access, shared keys, managed identity,
customer-managed key, hierarchical namespace, infrastructure encryption, cross-tenant replication
and container soft delete, against the ARM emulator through azure-mgmt-storage."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from pydantic import ValidationError

from modelinfra.errors import TerminalError
from modelinfra.plans.diff import diff_attributes
from modelinfra.providers.base import ResourceContext
from modelinfra.providers.registry import handler_for
from tests.conftest import SUBSCRIPTION_ID
from tests.providers.conformance import check_lifecycle

HANDLER = handler_for("azure.storage_account")
Spec = HANDLER.spec_model
KEY = "https://kv-models.vault.azure.net/keys/storage-cmk"
VERSION = "0682afdd9c104f4285df20107e956cad"


def identity_id(name: str) -> str:
    return (f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/ids/providers/Microsoft.ManagedIdentity/"
            f"userAssignedIdentities/{name}")


def subnet_id(name: str) -> str:
    return (f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/"
            f"vnet/subnets/{name}")


def base(group: str, unique_name: str) -> dict[str, Any]:
    return {"name": f"sa{unique_name}", "resource_group": group, "location": "westus"}


def raw(ctx: ResourceContext, group: str, name: str) -> dict[str, Any]:
    return ctx.session.mgmt("storage").storage_accounts.get_properties(group, name).as_dict()


def test_lifecycle_with_firewall_identity_and_customer_managed_key(azure_ctx: ResourceContext, resource_group: str,
                                                                   unique_name: str) -> None:
    first = Spec(**base(resource_group, unique_name),
                 network_rules={"default_action": "Deny", "bypass": ["Metrics", "Logging"],
                                "ip_rules": ["20.30.40.50", "52.10.0.0/24"],
                                "virtual_network_subnet_ids": [subnet_id("train")]},
                 public_network_access="Disabled", shared_access_key_enabled=False,
                 identity={"type": "UserAssigned", "identity_ids": [identity_id("one")]},
                 customer_managed_key={"key_vault_key_id": f"{KEY}/{VERSION}",
                                       "user_assigned_identity_id": identity_id("one")},
                 allow_cross_tenant_replication=True, container_delete_retention_days=7)
    second = Spec(**base(resource_group, unique_name),
                  network_rules={"default_action": "Allow", "bypass": [], "ip_rules": ["52.10.0.0/24"]},
                  identity={"type": "SystemAssigned, UserAssigned", "identity_ids": [identity_id("two")]},
                  customer_managed_key={"key_vault_key_id": KEY, "user_assigned_identity_id": identity_id("two")},
                  container_delete_retention_days=30)
    observed = check_lifecycle(HANDLER, azure_ctx, first, second)
    assert observed["network_rules"] == {"default_action": "Allow", "bypass": [], "ip_rules": ["52.10.0.0/24"],
                                         "virtual_network_subnet_ids": []}
    assert observed["identity"] == {"type": "SystemAssigned, UserAssigned",
                                    "identity_ids": [identity_id("two").lower()]}  # "one" was dropped
    assert observed["customer_managed_key"] == {"key_vault_key_id": KEY,
                                                "user_assigned_identity_id": identity_id("two").lower()}
    assert observed["identity_principal_id"]  # the system identity, to grant it roles
    assert (observed["public_network_access"], observed["shared_access_key_enabled"],
            observed["allow_cross_tenant_replication"], observed["container_delete_retention_days"]) == (
        "Enabled", True, False, 30)


def test_the_wire_spelling_follows_the_rest_spec(azure_ctx: ResourceContext, resource_group: str,
                                                 unique_name: str) -> None:
    spec = Spec(**base(resource_group, unique_name), is_hns_enabled=True, infrastructure_encryption_enabled=True,
                network_rules={"default_action": "Deny", "bypass": ["Logging", "AzureServices"],
                               "ip_rules": ["20.30.40.50"]},
                identity={"type": "SystemAssigned, UserAssigned", "identity_ids": [identity_id("one")]},
                customer_managed_key={"key_vault_key_id": f"{KEY}/{VERSION}",
                                      "user_assigned_identity_id": identity_id("one")})
    created = HANDLER.create(azure_ctx, spec)
    body = raw(azure_ctx, resource_group, spec.name)
    props = body["properties"]
    assert props["networkAcls"]["bypass"] == "Logging, AzureServices"
    assert props["networkAcls"]["ipRules"] == [{"value": "20.30.40.50", "action": "Allow"}]
    assert body["identity"]["type"] == "SystemAssigned,UserAssigned"
    assert body["identity"]["principalId"] == created["identity_principal_id"]
    assert set(body["identity"]["userAssignedIdentities"]) == {identity_id("one")}
    assert props["encryption"]["keySource"] == "Microsoft.Keyvault"
    assert props["encryption"]["keyvaultproperties"]["keyname"] == "storage-cmk"
    assert props["encryption"]["keyvaultproperties"]["keyversion"] == VERSION
    assert props["encryption"]["keyvaultproperties"]["currentVersionedKeyIdentifier"] == f"{KEY}/{VERSION}"
    assert props["encryption"]["identity"]["userAssignedIdentity"] == identity_id("one")
    assert (props["isHnsEnabled"], props["encryption"]["requireInfrastructureEncryption"]) == (True, True)
    assert (created["is_hns_enabled"], created["infrastructure_encryption_enabled"]) == (True, True)


def test_unset_blocks_are_not_managed(azure_ctx: ResourceContext, resource_group: str, unique_name: str) -> None:
    spec = Spec(**base(resource_group, unique_name))
    HANDLER.create(azure_ctx, spec)
    azure_ctx.session.mgmt("storage").storage_accounts.update(resource_group, spec.name, {
        "identity": {"type": "SystemAssigned"},
        "properties": {"networkAcls": {"defaultAction": "Deny", "bypass": "None", "ipRules": [{"value": "20.1.1.1"}]}}})
    observed = HANDLER.read(azure_ctx, HANDLER.identify(azure_ctx, spec))
    assert observed is not None
    assert observed["identity"] == {"type": "SystemAssigned", "identity_ids": []}
    assert observed["network_rules"]["default_action"] == "Deny"
    assert not diff_attributes(HANDLER.desired(azure_ctx, spec), observed)


def test_out_of_band_firewall_change_shows_when_managed(azure_ctx: ResourceContext, resource_group: str,
                                                        unique_name: str) -> None:
    spec = Spec(**base(resource_group, unique_name), network_rules={"default_action": "Deny"})
    HANDLER.create(azure_ctx, spec)
    azure_ctx.session.mgmt("storage").storage_accounts.update(resource_group, spec.name, {
        "properties": {"networkAcls": {"defaultAction": "Allow", "bypass": "AzureServices"},
                       "allowSharedKeyAccess": False}})
    observed = HANDLER.read(azure_ctx, HANDLER.identify(azure_ctx, spec))
    changes = diff_attributes(HANDLER.desired(azure_ctx, spec), observed, force_new=HANDLER.force_new)
    assert {(c.path, c.before, c.after) for c in changes} == {
        ("network_rules.default_action", "Allow", "Deny"), ("shared_access_key_enabled", False, True)}
    HANDLER.update(azure_ctx, spec, observed or {}, changes)
    assert not diff_attributes(HANDLER.desired(azure_ctx, spec), HANDLER.read(azure_ctx, HANDLER.identify(azure_ctx, spec)))


def test_namespace_and_infrastructure_encryption_force_replacement(azure_ctx: ResourceContext, resource_group: str,
                                                                   unique_name: str) -> None:
    created = HANDLER.create(azure_ctx, Spec(**base(resource_group, unique_name)))
    for change in ({"is_hns_enabled": True}, {"infrastructure_encryption_enabled": True}):
        changes = diff_attributes(HANDLER.desired(azure_ctx, Spec(**base(resource_group, unique_name), **change)),
                                  created, force_new=HANDLER.force_new)
        assert [(c.path, c.forces_replacement) for c in changes] == [(next(iter(change)), True)]


def test_the_service_refuses_what_azure_refuses(azure_ctx: ResourceContext, resource_group: str,
                                                unique_name: str) -> None:
    spec = Spec(**base(resource_group, unique_name))
    HANDLER.create(azure_ctx, spec)
    client = azure_ctx.session.mgmt("storage").storage_accounts
    with pytest.raises(HttpResponseError) as hns:
        client.update(resource_group, spec.name, {"properties": {"isHnsEnabled": True}})
    assert hns.value.status_code == 400 and "isHnsEnabled" in str(hns.value)
    key = {"keySource": "Microsoft.Keyvault", "identity": {"userAssignedIdentity": identity_id("stranger")},
           "keyvaultproperties": {"keyname": "k", "keyvaulturi": "https://kv-models.vault.azure.net"}}
    with pytest.raises(HttpResponseError) as cmk:
        client.update(resource_group, spec.name, {"properties": {"encryption": key}})
    assert cmk.value.error is not None and cmk.value.error.code == "InvalidEncryptionIdentity"
    with pytest.raises(HttpResponseError) as acl:
        client.update(resource_group, spec.name, {"properties": {"networkAcls": {"defaultAction": "Maybe"}}})
    assert acl.value.status_code == 400


def test_handler_surfaces_a_refused_write_as_terminal(azure_ctx: ResourceContext, resource_group: str,
                                                      unique_name: str) -> None:
    spec = Spec(**base(resource_group, unique_name), is_hns_enabled=True)
    HANDLER.create(azure_ctx, spec)
    with pytest.raises(TerminalError):  # an adopting create cannot turn the namespace off
        HANDLER.create(azure_ctx, Spec(**base(resource_group, unique_name)))


@pytest.mark.parametrize(("props", "message"), [
    ({"customer_managed_key": {"key_vault_key_id": KEY, "user_assigned_identity_id": identity_id("one")}},
     "must be one of identity.identity_ids"),
    ({"identity": {"type": "UserAssigned"}}, "needs identity_ids"),
    ({"identity": {"type": "SystemAssigned", "identity_ids": [identity_id("one")]}}, "identity_ids need"),
    ({"network_rules": {"default_action": "Deny", "ip_rules": ["10.0.0.1"]}}, "private range"),
    ({"network_rules": {"default_action": "Deny", "ip_rules": ["20.1.1.1/32"]}}, "/31 and /32"),
    ({"network_rules": {"default_action": "Deny", "virtual_network_subnet_ids": [identity_id("x")]}}, "Microsoft.Network"),
    ({"network_rules": {"default_action": "Deny", "bypass": ["Everything"]}}, "AzureServices"),
    ({"customer_managed_key": {"key_vault_key_id": "kv/keys/x", "user_assigned_identity_id": identity_id("one")},
      "identity": {"type": "UserAssigned", "identity_ids": [identity_id("one")]}}, "not a Key Vault key id"),
    ({"kind": "BlobStorage", "is_hns_enabled": True}, "is_hns_enabled needs kind"),
    ({"container_delete_retention_days": 0}, "greater than or equal to 1"),
])
def test_invalid_combinations_are_spec_errors(props: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        Spec(name="acct1", resource_group="rg", location="westus", **props)
    assert message in str(info.value)
