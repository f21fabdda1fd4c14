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
