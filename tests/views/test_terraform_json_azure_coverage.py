"""``--format terraform-json`` for the types of issue 15 (Key Vault, Log Analytics, Application
Insights, Container Registry, role assignments; IAM roles and KMS keys on AWS): each maps to the
hashicorp/azurerm or hashicorp/aws resource a Terraform user would write, with the provider's
attribute names, and every registered type's properties have a Terraform name or are listed."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelinfra.plans.action import Action
from modelinfra.plans.plan import ResourceChange
from modelinfra.providers.registry import handler_for, known_types
from modelinfra.views.terraform_json import render
from tests.views.test_terraform_json import by_address, plan_of

README = Path(__file__).resolve().parents[2] / "README.md"
RG = {"resource_group": "ml-rg", "location": "westus", "tags": {"team": "ml"}}
SUB = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/ml-rg"

NEW_TYPES = {
    "azure.key_vault": "azurerm_key_vault",
    "azure.log_analytics_workspace": "azurerm_log_analytics_workspace",
    "azure.application_insights": "azurerm_application_insights",
    "azure.container_registry": "azurerm_container_registry",
    "azure.role_assignment": "azurerm_role_assignment",
    "aws.iam_role": "aws_iam_role",
    "aws.kms_key": "aws_kms_key",
}
UNMAPPED = {"azure.ml_model_version"}  # no azurerm resource: modelinfra_azure_ml_model_version


def after(doc: dict, address: str) -> dict:
    return by_address(doc)[address]["change"]["after"]


def every_attribute(type_name: str) -> dict:
    handler = handler_for(type_name)
    return dict.fromkeys([*handler.spec_model.model_fields, *handler.computed])


@pytest.mark.parametrize(("type_name", "tf_type"), sorted(NEW_TYPES.items()))
def test_new_types_map_to_their_terraform_resource_and_every_property_has_a_terraform_name(type_name, tf_type):
    doc = render(plan_of(ResourceChange("r", type_name, Action.CREATE, None, every_attribute(type_name))))
    primary = after(doc, f"{tf_type}.r")
    assert primary["modelinfra"]["type"] == type_name
    assert "attributes" not in primary["modelinfra"], primary["modelinfra"]


def test_key_vault_attributes_as_azurerm_names_them():
    vault = {"name": "ml-kv", **RG, "tenant_id": "72f988bf-86f1-41af-91ab-2d7cd011db47", "sku": "premium",
             "soft_delete_retention_days": 7, "purge_protection_enabled": False, "enable_rbac_authorization": True,
             "network_acls": {"default_action": "Deny", "bypass": "AzureServices", "ip_rules": ["10.0.0.0/24"],
                              "virtual_network_subnet_ids": []},
             "id": f"{SUB}/providers/Microsoft.KeyVault/vaults/ml-kv", "vault_uri": "https://ml-kv.vault.azure.net/"}
    doc = render(plan_of(ResourceChange("kv", "azure.key_vault", Action.CREATE, None, vault)))
    tf = after(doc, "azurerm_key_vault.kv")
    assert {k: tf[k] for k in ("name", "resource_group_name", "location", "sku_name", "tenant_id",
                               "soft_delete_retention_days", "purge_protection_enabled",
                               "rbac_authorization_enabled", "enable_rbac_authorization", "vault_uri")} == {
        "name": "ml-kv", "resource_group_name": "ml-rg", "location": "westus", "sku_name": "premium",
        "tenant_id": "72f988bf-86f1-41af-91ab-2d7cd011db47", "soft_delete_retention_days": 7,
        "purge_protection_enabled": False, "rbac_authorization_enabled": True, "enable_rbac_authorization": True,
        "vault_uri": "https://ml-kv.vault.azure.net/"}
    assert tf["network_acls"] == [{"default_action": "Deny", "bypass": "AzureServices", "ip_rules": ["10.0.0.0/24"],
                                   "virtual_network_subnet_ids": []}]
    open_vault = render(plan_of(ResourceChange("kv", "azure.key_vault", Action.CREATE, None,
                                               {**vault, "network_acls": None})))
    assert "network_acls" not in after(open_vault, "azurerm_key_vault.kv"), "unset, as in HCL"


def test_monitoring_registry_and_role_assignment_attributes():
    workspace = {"name": "ml-logs", **RG, "sku": "PerGB2018", "retention_in_days": 90, "workspace_id": "guid"}
    insights = {"name": "ml-ai", **RG, "workspace_id": f"{SUB}/providers/Microsoft.OperationalInsights/workspaces/l",
                "application_type": "web", "app_id": "app"}
    registry = {"name": "mlacr", **RG, "sku": "Premium", "admin_enabled": True, "public_network_access": "Disabled",
                "login_server": "mlacr.azurecr.io"}
    role = {"scope": SUB, "role_definition_name": "AcrPull", "role_definition_id": None,
            "principal_id": "11111111-2222-3333-4444-555555555555", "principal_type": "ServicePrincipal", "id": "x"}
    doc = render(plan_of(ResourceChange("logs", "azure.log_analytics_workspace", Action.CREATE, None, workspace),
                         ResourceChange("ai", "azure.application_insights", Action.CREATE, None, insights),
                         ResourceChange("acr", "azure.container_registry", Action.CREATE, None, registry),
                         ResourceChange("pull", "azure.role_assignment", Action.CREATE, None, role)))
    logs = after(doc, "azurerm_log_analytics_workspace.logs")
    assert (logs["sku"], logs["retention_in_days"], logs["resource_group_name"]) == ("PerGB2018", 90, "ml-rg")
    ai = after(doc, "azurerm_application_insights.ai")
    assert ai["application_type"] == "web" and ai["workspace_id"].endswith("/workspaces/l")
    acr = after(doc, "azurerm_container_registry.acr")
    assert acr["admin_enabled"] is True and acr["public_network_access_enabled"] is False
    assert acr["sku"] == "Premium" and acr["login_server"] == "mlacr.azurecr.io"
    tf_role = after(doc, "azurerm_role_assignment.pull")
    assert tf_role["role_definition_name"] == "AcrPull" and "role_definition_id" not in tf_role
    assert (tf_role["scope"], tf_role["principal_type"]) == (SUB, "ServicePrincipal")


def test_every_registered_type_has_a_terraform_resource_documented_in_the_readme():
    readme = README.read_text()
    for type_name in known_types():
        doc = render(plan_of(ResourceChange("r", type_name, Action.CREATE, None, every_attribute(type_name))))
        tf_type = doc["resource_changes"][0]["type"]
        if type_name in UNMAPPED:
            assert tf_type.startswith("modelinfra_"), type_name
            continue
        assert not tf_type.startswith("modelinfra_"), f"{type_name} has no Terraform mapping"
        assert f"`{tf_type}`" in readme, f"README's terraform-json table does not list {tf_type}"


def test_storage_account_firewall_identity_and_encryption_as_azurerm_names_them():
    uami = f"{SUB}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ml"
    account = {"name": "mlstore", **RG, "network_rules": {"default_action": "Deny", "bypass": ["AzureServices"],
                                                          "ip_rules": ["203.0.113.0/24"],
                                                          "virtual_network_subnet_ids": []},
               "public_network_access": "Enabled", "shared_access_key_enabled": False,
               "identity": {"type": "UserAssigned", "identity_ids": [uami]}, "identity_principal_id": "p-1",
               "customer_managed_key": {"key_vault_key_id": "https://kv.vault.azure.net/keys/k",
                                        "user_assigned_identity_id": uami},
               "is_hns_enabled": True, "infrastructure_encryption_enabled": True,
               "allow_cross_tenant_replication": False, "container_delete_retention_days": 14,
               "blob_soft_delete_days": 7}
    tf = after(render(plan_of(ResourceChange("st", "azure.storage_account", Action.CREATE, None, account))),
               "azurerm_storage_account.st")
    assert tf["network_rules"] == [{"default_action": "Deny", "bypass": ["AzureServices"],
                                    "ip_rules": ["203.0.113.0/24"], "virtual_network_subnet_ids": []}]
    assert tf["public_network_access_enabled"] is True and tf["shared_access_key_enabled"] is False
    assert tf["identity"] == [{"type": "UserAssigned", "identity_ids": [uami], "principal_id": "p-1"}]
    assert tf["customer_managed_key"] == [{"key_vault_key_id": "https://kv.vault.azure.net/keys/k",
                                           "user_assigned_identity_id": uami}]
    assert (tf["is_hns_enabled"], tf["infrastructure_encryption_enabled"], tf["cross_tenant_replication_enabled"]) \
        == (True, True, False)
    assert tf["blob_properties"][0]["container_delete_retention_policy"] == [{"days": 14}]
    assert tf["blob_properties"][0]["delete_retention_policy"] == [{"days": 7}]
    assert "attributes" not in tf["modelinfra"], tf["modelinfra"]


def test_key_vault_access_policies_become_access_policy_blocks_in_azurerm_spelling():
    policy = {"tenant_id": "72f988bf-86f1-41af-91ab-2d7cd011db47", "object_id": "11111111-2222-3333-4444-555555555555",
              "application_id": None, "key_permissions": ["get", "unwrapKey", "wrapKey"],
              "secret_permissions": ["list"], "certificate_permissions": ["managecontacts"],
              "storage_permissions": ["deletesas", "regeneratekey"]}
    vault = {"name": "ml-kv", **RG, "access_policies": [policy]}
    tf = after(render(plan_of(ResourceChange("kv", "azure.key_vault", Action.CREATE, None, vault))),
               "azurerm_key_vault.kv")
    assert tf["access_policy"] == [{
        "tenant_id": policy["tenant_id"], "object_id": policy["object_id"],
        "key_permissions": ["Get", "UnwrapKey", "WrapKey"], "secret_permissions": ["List"],
        "certificate_permissions": ["ManageContacts"], "storage_permissions": ["DeleteSAS", "RegenerateKey"]}]
    unmanaged = render(plan_of(ResourceChange("kv", "azure.key_vault", Action.CREATE, None,
                                              {**vault, "access_policies": None})))
    assert "access_policy" not in after(unmanaged, "azurerm_key_vault.kv"), "unset, as in HCL"
