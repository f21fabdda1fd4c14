"""Managed disks and snapshots through azure-mgmt-compute: async LROs, createOption rules, errors."""

from __future__ import annotations

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from tests.sandbox.arm.conftest import ARM_AUTH, COMPUTE_API, Clients


def _empty_disk(size: int = 8, **extra: object) -> dict[str, object]:
    return {"location": "westus", "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": size},
            **extra}


def test_disk_put_is_an_async_lro_whose_status_is_in_progress_then_succeeded(clients: Clients, rg: str) -> None:
    clients.emulator.operations.max_seconds = 30  # only polls finish it; `clients` restores it
    path = f"/resourceGroups/{rg}/providers/Microsoft.Compute/disks/raw"
    initial = clients.raw("PUT", path, api_version=COMPUTE_API, json=_empty_disk())
    assert initial.status_code == 202
    assert {"Azure-AsyncOperation", "Location", "Retry-After"} <= set(initial.headers)
    status_url = initial.headers["Azure-AsyncOperation"]

    first = requests.get(status_url, headers=ARM_AUTH, timeout=10).json()
    second = requests.get(status_url, headers=ARM_AUTH, timeout=10).json()

    assert (first["status"], second["status"]) == ("InProgress", "Succeeded")
    final = clients.raw("GET", path, api_version=COMPUTE_API).json()
    assert final["properties"]["provisioningState"] == "Succeeded"


def test_disk_and_snapshot_copy_chain(clients: Clients, rg: str) -> None:
    disks, snapshots = clients.compute.disks, clients.compute.snapshots
    disk = disks.begin_create_or_update(rg, "data", _empty_disk(16, sku={"name": "Premium_LRS"},
                                                                 tags={"role": "model"})).result()
    assert (disk.properties.disk_size_gb, disk.sku.name, disk.tags) == (16, "Premium_LRS", {"role": "model"})
    assert disk.properties.time_created is not None

    snap = snapshots.begin_create_or_update(rg, "data-v1", {
        "location": "westus", "tags": {"version": "1"},
        "properties": {"creationData": {"createOption": "Copy", "sourceResourceId": disk.id}, "incremental": True},
    }).result()
    assert snap.properties.incremental is True
    assert snap.properties.disk_size_gb == 16
    assert snap.properties.creation_data.source_resource_id == disk.id
    assert snap.properties.time_created is not None
    assert snap.sku.name == "Standard_LRS"

    restored = disks.begin_create_or_update(rg, "restored", {
        "location": "westus", "properties": {"creationData": {"createOption": "Copy", "sourceResourceId": snap.id}},
    }).result()
    assert restored.properties.disk_size_gb == 16

    grown = disks.begin_update(rg, "restored", {"properties": {"diskSizeGB": 32}, "tags": {"k": "v"}}).result()
    assert (grown.properties.disk_size_gb, grown.tags) == (32, {"k": "v"})
    assert grown.properties.time_created == restored.properties.time_created
    assert {d.name for d in disks.list_by_resource_group(rg)} == {"data", "restored"}
    assert [s.name for s in snapshots.list_by_resource_group(rg)] == ["data-v1"]


def test_copy_from_a_missing_source_is_404_not_found(clients: Clients, rg: str) -> None:
    missing = f"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/{rg}/providers/Microsoft.Compute/disks/ghost"
    with pytest.raises(ResourceNotFoundError) as caught:
        clients.compute.snapshots.begin_create_or_update(rg, "s", {
            "location": "westus", "properties": {"creationData": {"createOption": "Copy", "sourceResourceId": missing}},
        }).result()
    assert caught.value.error.code == "NotFound"


def test_empty_disk_without_a_size_is_400_invalid_parameter(clients: Clients, rg: str) -> None:
    with pytest.raises(HttpResponseError) as caught:
        clients.compute.disks.begin_create_or_update(
            rg, "nosize", {"location": "westus", "properties": {"creationData": {"createOption": "Empty"}}}).result()
    assert caught.value.status_code == 400
    assert caught.value.error.code == "InvalidParameter"


def test_disks_cannot_shrink_nor_change_their_creation_data(clients: Clients, rg: str) -> None:
    disks = clients.compute.disks
    disks.begin_create_or_update(rg, "fixed", _empty_disk(16)).result()
    with pytest.raises(HttpResponseError) as shrink:
        disks.begin_update(rg, "fixed", {"properties": {"diskSizeGB": 8}}).result()
    with pytest.raises(HttpResponseError) as recreate:
        disks.begin_create_or_update(rg, "fixed", {"location": "westus", "properties": {
            "creationData": {"createOption": "Import", "sourceUri": "https://x/y.vhd"}}}).result()
    assert shrink.value.status_code == 400
    assert recreate.value.error.code == "PropertyChangeNotAllowed"


def test_disk_delete_is_an_lro_and_deleting_a_missing_disk_is_204(clients: Clients, rg: str) -> None:
    disks = clients.compute.disks
    disks.begin_create_or_update(rg, "gone", _empty_disk()).result()
    disks.begin_delete(rg, "gone").result()
    with pytest.raises(ResourceNotFoundError) as caught:
        disks.get(rg, "gone")
    assert caught.value.error.code == "ResourceNotFound"
    response = clients.raw("DELETE", f"/resourceGroups/{rg}/providers/Microsoft.Compute/disks/gone",
                           api_version=COMPUTE_API)
    assert response.status_code == 204
    disks.begin_delete(rg, "gone").result()  # the SDK accepts the 204


def test_an_operation_nobody_polls_still_finishes_after_max_seconds(clients: Clients, rg: str) -> None:
    """No timing window: the operation is not due while ``max_seconds`` is an hour, and overdue
    (``now - started >= 0``) as soon as it is 0; every request settles overdue operations."""
    operations = clients.emulator.operations
    operations.max_seconds = 3600  # `clients` restores it
    path = f"/resourceGroups/{rg}/providers/Microsoft.Compute/disks/unpolled"
    assert clients.raw("PUT", path, api_version=COMPUTE_API, json=_empty_disk()).status_code == 202
    assert clients.raw("GET", path, api_version=COMPUTE_API).json()["properties"]["provisioningState"] == "Creating"
    assert clients.raw("GET", path, api_version=COMPUTE_API).json()["properties"]["provisioningState"] == "Creating"
    operations.max_seconds = 0
    assert clients.raw("GET", path, api_version=COMPUTE_API).json()["properties"]["provisioningState"] == "Succeeded"
