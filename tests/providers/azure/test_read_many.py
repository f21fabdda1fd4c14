"""``read_many`` (index, then read) against the emulators over HTTP: the batch answers exactly
what one ``read`` per resource answers, with fewer requests, and whatever a listing cannot prove
unchanged is read again (a follow-up), so out-of-band changes still show."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from modelinfra.providers.base import ResourceContext, ResourceHandler
from modelinfra.providers.registry import handler_for
from tests.providers.batching import one_by_one, settle


@pytest.fixture
def small_pages(arm_emulator: Any) -> Iterator[None]:
    """Two items a page, so three resources take two pages (``nextLink`` followed)."""
    config = arm_emulator.handle.config
    before, config.list_page_size = config.list_page_size, 2
    yield
    config.list_page_size = before


def _created(handler: ResourceHandler, ctx: ResourceContext, specs: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    return {address: (handler.identify(ctx, spec), handler.create(ctx, spec)) for address, spec in specs.items()}


def test_disks_and_snapshots_are_read_with_one_paged_listing(azure_ctx: ResourceContext, resource_group: str,
                                                             small_pages: None) -> None:
    disks, snapshots = handler_for("azure.managed_disk"), handler_for("azure.disk_snapshot")
    recorded = _created(disks, azure_ctx, {f"d{i}": disks.spec_model(
        name=f"disk{i}", resource_group=resource_group, location="westus", size_gb=4, tags={"n": str(i)})
        for i in range(3)})
    snaps = _created(snapshots, azure_ctx, {f"s{i}": snapshots.spec_model(
        name=f"snap{i}", resource_group=resource_group, location="westus", source_disk=recorded["d0"][1]["id"])
        for i in range(2)})
    compute = azure_ctx.session.mgmt("compute")
    compute.disks.begin_update(resource_group, "disk1", {"tags": {"n": "edited"}}).result()
    compute.disks.begin_delete(resource_group, "disk2").result()
    batch, separate, requests = settle(disks, azure_ctx, recorded)
    assert batch == one_by_one(disks, azure_ctx, recorded)
    assert batch["d1"]["tags"] == {"n": "edited"} and batch["d2"] is None
    assert separate == set() and requests == 1  # two disks left: one page
    batch, separate, requests = settle(snapshots, azure_ctx, snaps)
    assert batch == one_by_one(snapshots, azure_ctx, snaps) and batch["s1"]["time_created"]
    assert separate == set() and requests == 1


def test_storage_accounts_list_once_and_read_blob_settings_each(azure_ctx: ResourceContext, resource_group: str,
                                                                unique_name: str, small_pages: None) -> None:
    accounts = handler_for("azure.storage_account")
    recorded = _created(accounts, azure_ctx, {f"a{i}": accounts.spec_model(
        name=f"rm{i}{unique_name}"[:24], resource_group=resource_group, location="westus",
        blob_versioning=bool(i % 2)) for i in range(3)})
    batch, separate, requests = settle(accounts, azure_ctx, recorded)
    assert batch == one_by_one(accounts, azure_ctx, recorded)
    assert [batch[f"a{i}"]["blob_versioning"] for i in range(3)] == [False, True, False]
    assert separate == set(recorded) and requests == 2 + 3  # two pages, one blob service GET each


def test_queues_are_read_with_one_listing_of_their_namespace(azure_ctx: ResourceContext, resource_group: str,
                                                             unique_name: str, small_pages: None) -> None:
    namespaces, queues = handler_for("azure.servicebus_namespace"), handler_for("azure.servicebus_queue")
    namespace = namespaces.create(azure_ctx, namespaces.spec_model(name=f"sbrm-{unique_name}",
                                                                   resource_group=resource_group, location="westus"))
    recorded = _created(queues, azure_ctx, {f"q{i}": queues.spec_model(
        name=f"jobs{i}", namespace=namespace["name"], resource_group=resource_group, lock_duration="PT30S")
        for i in range(3)})
    client = azure_ctx.session.mgmt("servicebus")
    client.queues.create_or_update(resource_group, namespace["name"], "jobs0", {"properties": {"maxDeliveryCount": 99}})
    batch, separate, requests = settle(queues, azure_ctx, recorded)
    assert batch == one_by_one(queues, azure_ctx, recorded)
    assert batch["q0"]["max_delivery_count"] == 99 and batch["q2"]["lock_duration"] == "PT30S"
    assert separate == set() and requests == 2


def test_a_missing_resource_group_lists_every_member_gone(azure_ctx: ResourceContext, unique_name: str) -> None:
    disks = handler_for("azure.managed_disk")
    sub = azure_ctx.session.subscription_id
    recorded = {f"d{i}": (f"/subscriptions/{sub}/resourceGroups/gone-{unique_name}/providers/Microsoft.Compute/"
                          f"disks/d{i}", {}) for i in range(2)}
    batch, separate, requests = settle(disks, azure_ctx, recorded)
    assert batch == one_by_one(disks, azure_ctx, recorded) == dict.fromkeys(recorded)
    assert separate == set() and requests == 1
