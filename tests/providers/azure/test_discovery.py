"""Azure discovery (``drift --unmanaged``) against the ARM emulator, through azure-mgmt-resource's
generic list (``Resources_List`` / ``Resources_ListByResourceGroup``), which the emulator answers
in the REST spec's paged ``{"value": [...], "nextLink"}`` shape."""

from __future__ import annotations

import pytest
import requests

from modelinfra.errors import ProviderError
from modelinfra.providers.azure import arm_ids
from modelinfra.providers.azure.discovery import discover, stack_filter
from modelinfra.providers.azure.session import AzureSession
from modelinfra.providers.base import ResourceContext
from modelinfra.providers.registry import handler_for
from tests.conftest import SUBSCRIPTION_ID
from tests.providers.azure.conftest import make_session
from tests.sandbox.arm.conftest import ARM_AUTH

DISKS = handler_for("azure.managed_disk")
GROUPS = handler_for("azure.resource_group")


def _disk(ctx: ResourceContext, group: str, name: str) -> str:
    return DISKS.create(ctx, DISKS.spec_model(name=name, resource_group=group, location="westus", size_gb=1))["id"]


def _untagged_disk(session: AzureSession, group: str, name: str) -> str:
    from azure.mgmt.compute.models import CreationData, Disk

    compute = session.mgmt("compute")
    disk = Disk(location="westus", disk_size_gb=1, creation_data=CreationData(create_option="Empty"))
    return compute.disks.begin_create_or_update(group, name, disk).result().id


def test_finds_tagged_resources_in_any_group_with_our_types_and_address(azure_session: AzureSession,
                                                                         azure_ctx: ResourceContext,
                                                                         resource_group: str, unique_name: str):
    mine = ResourceContext(stack=f"s{unique_name}", address="disk", spec_dir=azure_ctx.spec_dir, session=azure_session)
    other = ResourceContext(stack=f"other{unique_name}", address="disk", spec_dir=azure_ctx.spec_dir,
                            session=azure_session)
    disk_id = _disk(mine, resource_group, f"d{unique_name}")
    _disk(other, resource_group, f"o{unique_name}")  # another stack's: never found
    assert discover(azure_session, f"s{unique_name}") == [{
        "cloud": "azure", "cloud_id": disk_id, "cloud_type": "Microsoft.Compute/disks",
        "type": "azure.managed_disk", "name": f"d{unique_name}", "address": "disk"}]


def test_finds_tagged_resource_groups(azure_session: AzureSession, azure_ctx: ResourceContext, unique_name: str):
    ctx = ResourceContext(stack=f"s{unique_name}", address="rg", spec_dir=azure_ctx.spec_dir, session=azure_session)
    group = GROUPS.create(ctx, GROUPS.spec_model(name=f"rg-{unique_name}", location="westus"))
    try:
        found = discover(azure_session, f"s{unique_name}")
        assert [(f["type"], f["cloud_id"], f["address"]) for f in found] == [
            ("azure.resource_group", group["id"], "rg")]
    finally:
        GROUPS.delete(ctx, group["id"], {})


def test_untagged_resources_in_a_managed_group_are_found_and_other_groups_are_not_listed(
        azure_session: AzureSession, resource_group: str, unique_name: str):
    disk_id = _untagged_disk(azure_session, resource_group, f"u{unique_name}")
    group_id = arm_ids.resource_group_id(SUBSCRIPTION_ID, resource_group)
    stack = f"nothing{unique_name}"
    assert discover(azure_session, stack) == []
    found = discover(azure_session, stack, [("azure.resource_group", group_id)])
    assert [(f["cloud_id"], f["type"], f["address"]) for f in found] == [(disk_id, "azure.managed_disk", None)]


def test_a_managed_group_that_is_gone_is_skipped(azure_session: AzureSession, unique_name: str):
    gone = arm_ids.resource_group_id(SUBSCRIPTION_ID, f"gone-{unique_name}")
    assert discover(azure_session, f"s{unique_name}", [("azure.resource_group", gone)]) == []


def test_proxy_children_are_not_listed(azure_session: AzureSession, azure_ctx: ResourceContext,
                                       resource_group: str, storage_account: dict, unique_name: str):
    containers = handler_for("azure.blob_container")
    containers.create(azure_ctx, containers.spec_model(name=f"c{unique_name}", account=storage_account["name"],
                                                       resource_group=resource_group))
    group_id = arm_ids.resource_group_id(SUBSCRIPTION_ID, resource_group)
    found = discover(azure_session, "x", [("azure.resource_group", group_id)])
    assert [f["cloud_type"] for f in found] == ["Microsoft.Storage/storageAccounts"]


def test_generic_list_pages_with_next_link(azure_env: dict[str, str], azure_ctx: ResourceContext,
                                           resource_group: str, unique_name: str):
    ids = sorted(_disk(azure_ctx, resource_group, f"p{i}{unique_name}") for i in range(3))
    base = azure_env["MODELINFRA_AZURE_ENDPOINT"]
    url = (f"{base}/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{resource_group}/resources"
           f"?api-version=2021-04-01&$top=2")
    first = requests.get(url, headers=ARM_AUTH, timeout=10).json()
    assert [v["id"] for v in first["value"]] == ids[:2]
    assert set(first["value"][0]) == {"id", "name", "type", "location", "tags", "sku"}
    second = requests.get(first["nextLink"], headers=ARM_AUTH, timeout=10).json()
    assert [v["id"] for v in second["value"]] == ids[2:]
    assert "nextLink" not in second
    # the SDK follows nextLink itself
    client = make_session().mgmt("resource")
    assert sorted(r.id for r in client.resources.list_by_resource_group(resource_group, top=1)) == ids


def test_filter_by_tag_and_type(azure_env: dict[str, str], azure_ctx: ResourceContext, resource_group: str,
                                unique_name: str):
    disk_id = _disk(azure_ctx, resource_group, f"f{unique_name}")
    client = make_session().mgmt("resource")
    by_tag = [r.id for r in client.resources.list(filter=stack_filter("teststack"))]
    assert disk_id in by_tag
    by_type = [r.id for r in client.resources.list(filter="resourceType eq 'microsoft.compute/DISKS'")]
    assert disk_id in by_type
    assert disk_id not in [r.id for r in client.resources.list(filter="resourceType eq 'Microsoft.Compute/snapshots'")]


def test_an_unsupported_filter_is_a_400(azure_env: dict[str, str]):
    url = f"{azure_env['MODELINFRA_AZURE_ENDPOINT']}/subscriptions/{SUBSCRIPTION_ID}/resources"
    answer = requests.get(url, params={"api-version": "2021-04-01", "$filter": "startswith(name, 'x')"}, headers=ARM_AUTH, timeout=10)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "InvalidFilterInQueryString"


def test_listing_a_missing_group_is_resource_group_not_found(azure_env: dict[str, str], unique_name: str):
    url = f"{azure_env['MODELINFRA_AZURE_ENDPOINT']}/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/no{unique_name}/resources"
    answer = requests.get(url, params={"api-version": "2021-04-01"}, headers=ARM_AUTH, timeout=10)
    assert (answer.status_code, answer.json()["error"]["code"]) == (404, "ResourceGroupNotFound")


def test_an_unreachable_endpoint_is_an_error_not_an_empty_list(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MODELINFRA_AZURE_ENDPOINT", "http://127.0.0.1:9")
    session = make_session(max_attempts=1)
    with pytest.raises(ProviderError, match="listing resources tagged modelinfra-stack=s"):
        discover(session, "s")
