"""Data-source lookups (``lookup_keys`` / ``lookup``) of the azure handlers against the ARM emulator:
a lookup finds a resource made through its handler with the attributes ``read`` gives (computed ones
included), answers None for a missing one, writes nothing, and surfaces service errors as usual."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from modelinfra.errors import RetryableError
from modelinfra.providers.base import ResourceContext
from modelinfra.providers.registry import handler_for
from modelinfra.sandbox.base import RunningService
from tests.conftest import SUBSCRIPTION_ID
from tests.providers.azure.conftest import make_session

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
Props = dict[str, Any]


def make(ctx: ResourceContext, type_name: str, **props: Any) -> dict[str, Any]:
    handler = handler_for(type_name)
    return handler.create(ctx, handler.spec_model(**props))


def _in(group: str, name: str) -> Props:
    return {"name": name, "resource_group": group, "location": "westus"}


def _namespace(ctx: ResourceContext, group: str, u: str) -> dict[str, Any]:
    return make(ctx, "azure.servicebus_namespace", **_in(group, f"sbns-{u}"))


def _account(ctx: ResourceContext, group: str, u: str) -> dict[str, Any]:
    return make(ctx, "azure.storage_account", **_in(group, f"sa{u}"))


def _front_door(ctx: ResourceContext, group: str, u: str) -> Props:
    make(ctx, "azure.cdn_profile", name=f"fd-{u}", resource_group=group, sku="Standard_AzureFrontDoor")
    return {"name": f"ep-{u}", "profile": f"fd-{u}", "resource_group": group,
            "origin_storage_account": _account(ctx, group, u)["id"]}


def _workspace(ctx: ResourceContext, group: str, u: str) -> Props:
    vault = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{group}/providers/Microsoft.KeyVault/vaults/kv-ml"
    return {**_in(group, f"ws-{u}"), "storage_account": _account(ctx, group, u)["id"], "key_vault": vault}


def _insights(ctx: ResourceContext, group: str, u: str) -> Props:
    workspace = make(ctx, "azure.log_analytics_workspace", **_in(group, f"law-{u}"))
    return {**_in(group, f"ai-{u}"), "workspace_id": workspace["id"]}


def _snapshot(ctx: ResourceContext, group: str, u: str) -> Props:
    disk = make(ctx, "azure.managed_disk", **_in(group, f"d-{u}"), size_gb=4)
    return {**_in(group, f"snap-{u}"), "source_disk": disk["id"]}


# type -> the properties of a resource to look up (dependencies made on the way), given ctx, group, suffix
CASES: dict[str, Callable[[ResourceContext, str, str], Props]] = {
    "azure.storage_account": lambda ctx, g, u: {**_in(g, f"sa{u}"), "blob_versioning": True, "tags": {"t": "1"}},
    "azure.managed_disk": lambda ctx, g, u: {**_in(g, f"disk-{u}"), "size_gb": 8, "sku": "Premium_LRS"},
    "azure.ml_workspace": _workspace,
    "azure.servicebus_namespace": lambda ctx, g, u: {**_in(g, f"sbns-{u}"), "sku": "Basic"},
    "azure.servicebus_queue": lambda ctx, g, u: {"name": "jobs", "namespace": _namespace(ctx, g, u)["name"],
                                                 "resource_group": g, "max_delivery_count": 3},
    "azure.blob_container": lambda ctx, g, u: {"name": "models", "account": _account(ctx, g, u)["name"],
                                               "resource_group": g},
    "azure.disk_snapshot": _snapshot,
    "azure.key_vault": lambda ctx, g, u: {**_in(g, f"kv{u}"), "tenant_id": TENANT},
    "azure.container_registry": lambda ctx, g, u: {**_in(g, f"acr{u}"), "sku": "Standard"},
    "azure.log_analytics_workspace": lambda ctx, g, u: _in(g, f"law-{u}"),
    "azure.application_insights": _insights,
    "azure.cdn_profile": lambda ctx, g, u: {"name": f"fd-{u}", "resource_group": g, "sku": "Standard_AzureFrontDoor"},
    "azure.cdn_endpoint": _front_door,
}


def _store(arm_emulator: RunningService) -> dict[str, Any]:
    return {record.key: record.view() for record in arm_emulator.handle.store.all()}


@pytest.mark.parametrize("type_name", list(CASES))
def test_lookup_finds_the_resource_with_read_attributes_and_writes_nothing(
        type_name: str, azure_ctx: ResourceContext, resource_group: str, unique_name: str,
        arm_emulator: RunningService) -> None:
    handler = handler_for(type_name)
    props = CASES[type_name](azure_ctx, resource_group, unique_name)
    created = handler.create(azure_ctx, handler.spec_model(**props))
    keys = {key: props[key] for key in handler.lookup_keys}
    before = _store(arm_emulator)

    found = handler.lookup(azure_ctx, keys)

    assert found is not None
    cloud_id, attributes = found
    assert cloud_id == handler.identify(azure_ctx, handler.spec_model(**props))
    assert attributes == handler.read(azure_ctx, cloud_id)
    # what create records is what read reports, less what the spec leaves unmanaged (a key vault's
    # unset access_policies are not recorded, so drift never reports the ones Azure ML adds)
    assert created.items() <= attributes.items()
    assert attributes["id"] and attributes["name"] == props["name"]
    assert _store(arm_emulator) == before  # nothing created, changed or tagged

    missing = {**keys, "name": f"{props['name'][:-3]}zzz"}
    assert handler.lookup(azure_ctx, missing) is None
    assert _store(arm_emulator) == before


def test_resource_group_lookup(azure_ctx: ResourceContext, resource_group: str, arm_emulator: RunningService) -> None:
    handler = handler_for("azure.resource_group")
    before = _store(arm_emulator)
    cloud_id, attributes = handler.lookup(azure_ctx, {"name": resource_group}) or ("", {})
    assert cloud_id == f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{resource_group}"
    assert attributes == {"name": resource_group, "location": "westus", "tags": {}, "id": cloud_id}
    assert handler.lookup(azure_ctx, {"name": f"{resource_group}-gone"}) is None
    assert _store(arm_emulator) == before


def test_lookup_in_a_missing_group_or_parent_is_none(azure_ctx: ResourceContext, resource_group: str) -> None:
    assert handler_for("azure.storage_account").lookup(
        azure_ctx, {"resource_group": f"{resource_group}-gone", "name": "sanosuch"}) is None
    assert handler_for("azure.servicebus_queue").lookup(
        azure_ctx, {"resource_group": resource_group, "namespace": "sbns-nosuch", "name": "jobs"}) is None


def test_lookup_sees_the_sensitive_attribute_only_on_demand(azure_ctx: ResourceContext, resource_group: str,
                                                            unique_name: str) -> None:
    handler = handler_for("azure.servicebus_namespace")
    _namespace(azure_ctx, resource_group, unique_name)
    cloud_id, attributes = handler.lookup(azure_ctx, {"resource_group": resource_group,
                                                      "name": f"sbns-{unique_name}"}) or ("", {})
    assert attributes["endpoint"] and "primary_connection_string" not in attributes
    assert handler.read_sensitive(azure_ctx, cloud_id)["primary_connection_string"]


def test_throttling_surfaces_as_the_providers_retryable_error(azure_ctx: ResourceContext, resource_group: str,
                                                              arm_emulator: RunningService) -> None:
    ctx = replace(azure_ctx, session=make_session(max_attempts=1))
    arm_emulator.handle.faults.configure(throttle_ratio=1.0, retry_after=1)
    try:
        with pytest.raises(RetryableError) as info:
            handler_for("azure.storage_account").lookup(ctx, {"resource_group": resource_group, "name": "saanything"})
    finally:
        arm_emulator.handle.faults.reset()
    assert info.value.retry_after == 1.0 and "saanything" in str(info.value)
