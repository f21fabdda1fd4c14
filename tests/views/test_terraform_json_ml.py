"""``--format terraform-json`` for ``azure.ml_workspace``: azurerm_machine_learning_workspace's
attribute names for every property (issue 16: registry, identity, HBI, description, friendly name)."""

from __future__ import annotations

from modelinfra.plans.action import Action
from modelinfra.plans.plan import ResourceChange
from modelinfra.providers.registry import handler_for
from modelinfra.values import UNKNOWN
from modelinfra.views.terraform_json import render
from tests.views.test_terraform_json import by_address, plan_of

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/ml-rg/providers"
UAI = f"{SUB}/Microsoft.ManagedIdentity/userAssignedIdentities/uai"
WORKSPACE = {
    "name": "ml-ws", "resource_group": "ml-rg", "location": "westus", "sku": "Basic",
    "storage_account": f"{SUB}/Microsoft.Storage/storageAccounts/mlsa", "key_vault": f"{SUB}/Microsoft.KeyVault/vaults/kv",
    "application_insights": f"{SUB}/Microsoft.Insights/components/ai",
    "container_registry": f"{SUB}/Microsoft.ContainerRegistry/registries/acr", "public_network_access": "Disabled",
    "identity": {"type": "SystemAssigned, UserAssigned", "identity_ids": [UAI]},
    "primary_user_assigned_identity": UAI, "high_business_impact": True, "description": "training",
    "friendly_name": "Training", "tags": {"team": "ml"}, "id": f"{SUB}/Microsoft.MachineLearningServices/workspaces/ml-ws",
    "identity_principal_id": "11111111-2222-3333-4444-555555555555",
}


def _change(attributes: dict) -> dict:
    doc = render(plan_of(ResourceChange("ws", "azure.ml_workspace", Action.CREATE, None, attributes)))
    return by_address(doc)["azurerm_machine_learning_workspace.ws"]["change"]


def _after(attributes: dict) -> dict:
    return _change(attributes)["after"]


def test_workspace_attributes_as_azurerm_names_them():
    tf = _after(WORKSPACE)
    assert {k: tf[k] for k in ("container_registry_id", "high_business_impact", "description", "friendly_name",
                               "public_network_access_enabled", "primary_user_assigned_identity",
                               "key_vault_id", "application_insights_id")} == {
        "container_registry_id": WORKSPACE["container_registry"], "high_business_impact": True,
        "description": "training", "friendly_name": "Training", "public_network_access_enabled": False,
        "primary_user_assigned_identity": UAI, "key_vault_id": WORKSPACE["key_vault"],
        "application_insights_id": WORKSPACE["application_insights"]}
    assert tf["identity"] == [{"type": "SystemAssigned, UserAssigned", "identity_ids": [UAI],
                               "principal_id": "11111111-2222-3333-4444-555555555555"}]
    assert "modelinfra" not in tf or "attributes" not in tf["modelinfra"], tf.get("modelinfra")


def test_every_workspace_property_has_a_terraform_name():
    handler = handler_for("azure.ml_workspace")
    every = dict.fromkeys([*handler.spec_model.model_fields, *handler.computed])
    tf = _after(every)
    assert "attributes" not in tf["modelinfra"], tf["modelinfra"]
    assert tf["identity"] == [{"type": "SystemAssigned", "identity_ids": []}]  # the default, as azurerm needs one


def test_unset_optionals_are_left_out_and_an_unknown_principal_is_after_unknown():
    change = _change({**WORKSPACE, "container_registry": None, "description": None, "friendly_name": None,
                      "identity_principal_id": UNKNOWN})
    assert not {"container_registry_id", "description", "friendly_name"} & set(change["after"])
    assert "principal_id" not in change["after"]["identity"][0]
    assert change["after_unknown"]["identity"] == [{"principal_id": True}]
