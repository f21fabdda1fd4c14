"""``azure.ml_workspace`` against the ARM emulator at api-version 2025-12-01 (through ``MlClient``)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from modelinfra.errors import TerminalError
from modelinfra.plans.diff import diff_attributes
from modelinfra.providers.azure.ml_client import MlClient
from modelinfra.providers.base import ResourceContext
from modelinfra.providers.registry import handler_for
from modelinfra.sandbox.base import RunningService
from tests.conftest import SUBSCRIPTION_ID
from tests.providers.conformance import check_lifecycle

HANDLER = handler_for("azure.ml_workspace")
Spec = HANDLER.spec_model


def vault_id(group: str) -> str:
    return f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{group}/providers/Microsoft.KeyVault/vaults/kv-ml"


def insights_id(group: str) -> str:
    return f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{group}/providers/Microsoft.Insights/components/ai-ml"


def spec_for(storage_account: dict[str, Any], unique_name: str, **props: Any) -> Any:
    group = storage_account["resource_group"]
    return Spec(name=f"ws-{unique_name}", resource_group=group, location="westus", storage_account=storage_account["id"],
                key_vault=vault_id(group), **props)


def test_lifecycle_with_in_place_update(azure_ctx: ResourceContext, storage_account: dict[str, Any],
                                        unique_name: str) -> None:
    observed = check_lifecycle(
        HANDLER, azure_ctx, spec_for(storage_account, unique_name, tags={"team": "ml"}),
        spec_for(storage_account, unique_name, application_insights=insights_id(storage_account["resource_group"]),
                 public_network_access="Disabled", tags={"team": "ml", "env": "dev"}),
    )
    assert observed["public_network_access"] == "Disabled"
    assert observed["application_insights"] == insights_id(storage_account["resource_group"]).lower()


def test_body_on_the_wire_references_the_storage_account(azure_ctx: ResourceContext, storage_account: dict[str, Any],
                                                         unique_name: str) -> None:
    created = HANDLER.create(azure_ctx, spec_for(storage_account, unique_name))
    body = MlClient(azure_ctx.session).get(created["id"])
    assert body["properties"]["storageAccount"] == storage_account["id"]
    assert body["sku"]["name"] == "Basic" and body["tags"]["modelinfra-address"] == "res"


def test_ids_in_other_casing_show_no_diff(azure_ctx: ResourceContext, storage_account: dict[str, Any],
                                          unique_name: str) -> None:
    created = HANDLER.create(azure_ctx, spec_for(storage_account, unique_name))
    shouty = spec_for({**storage_account, "id": storage_account["id"].upper().replace("/SUBSCRIPTIONS/",
                                                                                       "/subscriptions/")},
                      unique_name)
    assert diff_attributes(HANDLER.desired(azure_ctx, shouty), created) == []


def test_storage_account_and_key_vault_force_replacement(azure_ctx: ResourceContext, storage_account: dict[str, Any],
                                                         unique_name: str) -> None:
    created = HANDLER.create(azure_ctx, spec_for(storage_account, unique_name))
    group = storage_account["resource_group"]
    other = spec_for({**storage_account, "id": storage_account["id"] + "x"}, unique_name,
                     public_network_access="Disabled")
    other = other.model_copy(update={"key_vault": vault_id(group) + "2"})
    changes = diff_attributes(HANDLER.desired(azure_ctx, other), created, force_new=HANDLER.force_new)
    assert {(c.path, c.forces_replacement) for c in changes} == {
        ("storage_account", True), ("key_vault", True), ("public_network_access", False)}


def test_missing_storage_account_is_a_terminal_error(azure_ctx: ResourceContext, resource_group: str,
                                                     unique_name: str) -> None:
    ghost = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{resource_group}/providers/Microsoft.Storage/storageAccounts/ghost1"
    spec = Spec(name=f"ws-{unique_name}", resource_group=resource_group, location="westus", storage_account=ghost,
                key_vault=vault_id(resource_group))
    with pytest.raises(TerminalError, match="does not exist"):
        HANDLER.create(azure_ctx, spec)


def test_spec_checks_referenced_id_types_and_names() -> None:
    storage = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/sa1"
    with pytest.raises(ValidationError, match="KeyVault"):
        Spec(name="ws1", resource_group="g", location="westus", storage_account=storage, key_vault=storage)
    with pytest.raises(ValidationError, match="workspace name"):
        Spec(name="-bad", resource_group="g", location="westus", storage_account=storage, key_vault=vault_id("g"))
    with pytest.raises(ValidationError):
        Spec(name="ws1", resource_group="g", location="westus", storage_account="not-an-id", key_vault=vault_id("g"))


def test_lro_create_and_delete_ride_out_a_429_storm(azure_ctx: ResourceContext, storage_account: dict[str, Any],
                                                    unique_name: str, arm_emulator: RunningService) -> None:
    spec = spec_for(storage_account, unique_name)
    throttled = arm_emulator.handle.faults.injected["throttle"]
    arm_emulator.handle.faults.configure(throttle_ratio=1 / 3, retry_after=0)
    try:
        created = HANDLER.create(azure_ctx, spec)
        HANDLER.delete(azure_ctx, created["id"], created)
        assert HANDLER.read(azure_ctx, created["id"]) is None
    finally:
        arm_emulator.handle.faults.reset()
    assert arm_emulator.handle.faults.injected["throttle"] > throttled


def registry_id(group: str, name: str = "acrml") -> str:
    return f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{group}/providers/Microsoft.ContainerRegistry/registries/{name}"


def identity_id(group: str, name: str = "uai-ml") -> str:
    return (f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{group}/providers/Microsoft.ManagedIdentity/"
            f"userAssignedIdentities/{name}")


def test_registry_identity_description_and_friendly_name_update_in_place(
        azure_ctx: ResourceContext, storage_account: dict[str, Any], unique_name: str) -> None:
    group = storage_account["resource_group"]
    observed = check_lifecycle(
        HANDLER, azure_ctx,
        spec_for(storage_account, unique_name, container_registry=registry_id(group), description="first"),
        spec_for(storage_account, unique_name, container_registry=registry_id(group, "acrml2"),
                 description="training workspace", friendly_name="Training",
                 identity={"type": "SystemAssigned, UserAssigned", "identity_ids": [identity_id(group)]},
                 primary_user_assigned_identity=identity_id(group)),
    )
    assert observed["container_registry"] == registry_id(group, "acrml2").lower()
    assert observed["identity"] == {"type": "SystemAssigned, UserAssigned", "identity_ids": [identity_id(group).lower()]}
    assert observed["friendly_name"] == "Training" and observed["identity_principal_id"]


def test_new_properties_on_the_wire(azure_ctx: ResourceContext, storage_account: dict[str, Any],
                                    unique_name: str) -> None:
    group = storage_account["resource_group"]
    spec = spec_for(storage_account, unique_name, container_registry=registry_id(group), high_business_impact=True,
                    description="d", friendly_name="F",
                    identity={"type": "UserAssigned", "identity_ids": [identity_id(group)]},
                    primary_user_assigned_identity=identity_id(group))
    created = HANDLER.create(azure_ctx, spec)
    body = MlClient(azure_ctx.session).get(created["id"])
    props = body["properties"]
    assert (props["containerRegistry"], props["hbiWorkspace"], props["description"], props["friendlyName"],
            props["primaryUserAssignedIdentity"]) == (registry_id(group), True, "d", "F", identity_id(group))
    assert body["identity"]["type"] == "UserAssigned" and list(body["identity"]["userAssignedIdentities"]) == [
        identity_id(group)]
    assert created["high_business_impact"] is True and created["identity_principal_id"] is None


def test_dropping_a_user_identity_removes_it(azure_ctx: ResourceContext, storage_account: dict[str, Any],
                                             unique_name: str) -> None:
    group = storage_account["resource_group"]
    both = spec_for(storage_account, unique_name,
                    identity={"type": "SystemAssigned, UserAssigned", "identity_ids": [identity_id(group)]})
    observed = HANDLER.create(azure_ctx, both)
    system = spec_for(storage_account, unique_name)
    changes = diff_attributes(HANDLER.desired(azure_ctx, system), observed, force_new=HANDLER.force_new)
    assert [(c.path, c.forces_replacement) for c in changes] == [("identity.identity_ids[0]", False),
                                                                 ("identity.type", False)]
    after = HANDLER.update(azure_ctx, system, observed, changes)
    assert after["identity"] == {"type": "SystemAssigned", "identity_ids": []}
    assert "userAssignedIdentities" not in MlClient(azure_ctx.session).get(after["id"])["identity"]


def test_high_business_impact_forces_replacement(azure_ctx: ResourceContext, storage_account: dict[str, Any],
                                                 unique_name: str) -> None:
    created = HANDLER.create(azure_ctx, spec_for(storage_account, unique_name))
    hbi = spec_for(storage_account, unique_name, high_business_impact=True, description="now HBI")
    changes = diff_attributes(HANDLER.desired(azure_ctx, hbi), created, force_new=HANDLER.force_new)
    assert {(c.path, c.forces_replacement) for c in changes} == {
        ("high_business_impact", True), ("description", False)}
    with pytest.raises(TerminalError, match="hbiWorkspace"):  # the service refuses it in place, too
        HANDLER.create(azure_ctx, hbi)


def test_new_properties_do_not_flap_and_an_out_of_band_change_shows(
        azure_ctx: ResourceContext, storage_account: dict[str, Any], unique_name: str) -> None:
    group = storage_account["resource_group"]
    spec = spec_for(storage_account, unique_name, container_registry=registry_id(group).upper().replace(
        "/SUBSCRIPTIONS/", "/subscriptions/"), friendly_name="Training",
        identity={"type": "SystemAssigned, UserAssigned", "identity_ids": [identity_id(group, "b"), identity_id(group, "a")]})
    created = HANDLER.create(azure_ctx, spec)
    for _ in range(5):  # ids in other casing and order, defaults the service fills in: never a diff
        assert diff_attributes(HANDLER.desired(azure_ctx, spec), HANDLER.read(azure_ctx, created["id"])) == []
    MlClient(azure_ctx.session).patch(created["id"], {"properties": {"containerRegistry": registry_id(group, "x"),
                                                                     "friendlyName": "Renamed"}})
    changes = diff_attributes(HANDLER.desired(azure_ctx, spec), HANDLER.read(azure_ctx, created["id"]))
    assert {c.path for c in changes} == {"container_registry", "friendly_name"}


def test_spec_checks_identity_and_registry() -> None:
    storage = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/sa1"
    base = {"name": "ws1", "resource_group": "g", "location": "westus", "storage_account": storage,
            "key_vault": vault_id("g")}
    with pytest.raises(ValidationError, match="ContainerRegistry"):
        Spec(**base, container_registry=storage)
    with pytest.raises(ValidationError, match="primary_user_assigned_identity"):
        Spec(**base, identity={"type": "UserAssigned", "identity_ids": [identity_id("g")]})
    with pytest.raises(ValidationError, match="one of identity.identity_ids"):
        Spec(**base, identity={"type": "SystemAssigned, UserAssigned", "identity_ids": [identity_id("g")]},
             primary_user_assigned_identity=identity_id("g", "other"))
    with pytest.raises(ValidationError, match="needs identity_ids"):
        Spec(**base, identity={"type": "UserAssigned"})
    assert Spec(**base).identity.type == "SystemAssigned"
