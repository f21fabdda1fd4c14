"""Azure naming and property rules, as the spec models enforce them (no cloud needed)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from modelinfra.providers.azure.names import normalise_location
from modelinfra.providers.registry import handler_for

DISK_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Compute/disks/d"
BASE: dict[str, dict[str, Any]] = {
    "azure.resource_group": {"name": "rg", "location": "westus"},
    "azure.storage_account": {"name": "acct1", "resource_group": "rg", "location": "westus"},
    "azure.blob_container": {"name": "models", "account": "acct1", "resource_group": "rg"},
    "azure.blob": {"name": "m.bin", "account": "acct1", "container": "models", "source": "m.bin"},
    "azure.managed_disk": {"name": "d", "resource_group": "rg", "location": "westus", "size_gb": 4},
    "azure.disk_snapshot": {"name": "s", "resource_group": "rg", "location": "westus", "source_disk": DISK_ID},
}


def validate(type_name: str, **changes: Any) -> Any:
    return handler_for(type_name).spec_model.model_validate({**BASE[type_name], **changes})


@pytest.mark.parametrize("type_name", sorted(BASE))
def test_base_specs_are_valid(type_name: str) -> None:
    """Each base spec validates and keeps every value as given (the rejections below then differ
    from it by one property only)."""
    dumped = validate(type_name).model_dump(mode="json")
    assert {key: dumped[key] for key in BASE[type_name]} == BASE[type_name]


@pytest.mark.parametrize(("type_name", "changes", "message"), [
    ("azure.resource_group", {"name": "x" * 91}, "1 to 90 characters"),
    ("azure.resource_group", {"name": "rg."}, "must not end with a period"),
    ("azure.resource_group", {"name": "rg/x"}, "may contain only"),
    ("azure.resource_group", {"location": "west-us!"}, "Azure region"),
    ("azure.resource_group", {"tags": {"a/b": "1"}}, "must not contain /"),
    ("azure.resource_group", {"tags": {"modelinfra-stack": "x"}}, "set by modelinfra itself"),
    ("azure.resource_group", {"tags": {"microsoft.x": "1"}}, "reserved"),
    ("azure.resource_group", {"tags": {f"k{i}": "v" for i in range(49)}}, "at most 48 tags"),
    ("azure.storage_account", {"name": "ab"}, "3 to 24 characters"),
    ("azure.storage_account", {"name": "Upper1"}, "lowercase letters and digits"),
    ("azure.storage_account", {"name": "a-b-c"}, "lowercase letters and digits"),
    ("azure.storage_account", {"sku": "Standard_XYZ"}, "Standard_LRS"),
    ("azure.storage_account", {"blob_soft_delete_days": 0}, "greater than or equal to 1"),
    ("azure.storage_account", {"blob_soft_delete_days": 366}, "less than or equal to 365"),
    ("azure.storage_account", {"point_in_time_restore_days": 3, "blob_soft_delete_days": 7},
     "requires blob_versioning"),
    ("azure.storage_account", {"point_in_time_restore_days": 3, "blob_versioning": True},
     "requires blob_soft_delete_days"),
    ("azure.storage_account", {"point_in_time_restore_days": 7, "blob_soft_delete_days": 7, "blob_versioning": True},
     "must be less than blob_soft_delete_days"),
    ("azure.storage_account", {"unknown": 1}, "Extra inputs are not permitted"),
    ("azure.storage_account", {"kind": "BlockBlobStorage", "sku": "Premium_LRS", "access_tier": "Hot"},
     "access_tier applies only to kind StorageV2 or BlobStorage"),
    ("azure.blob_container", {"name": "ab"}, "3 to 63 characters"),
    ("azure.blob_container", {"name": "Models"}, "lowercase letters, digits and hyphens"),
    ("azure.blob_container", {"name": "my--models"}, "consecutive hyphens"),
    ("azure.blob_container", {"name": "-models"}, "start and end with a letter or a digit"),
    ("azure.blob_container", {"name": "models-"}, "start and end with a letter or a digit"),
    ("azure.blob_container", {"public_access": "Blob"}, "'none', 'blob' or 'container'"),
    ("azure.blob_container", {"metadata": {"1abc": "x"}}, "C# identifier"),
    ("azure.blob_container", {"metadata": {"has-dash": "x"}}, "C# identifier"),
    ("azure.blob", {"name": "dir/"}, "must not end with a period or a slash"),
    ("azure.blob", {"name": "x" * 1025}, "1 to 1024 characters"),
    ("azure.blob", {"metadata": {"modelinfra_sha256": "x"}}, "set by modelinfra itself"),
    ("azure.blob", {"access_tier": "hot"}, "'Hot', 'Cool', 'Cold' or 'Archive'"),
    ("azure.managed_disk", {"name": "-d"}, "must start with a letter or digit"),
    ("azure.managed_disk", {"name": "d."}, "end with a letter, digit or underscore"),
    ("azure.managed_disk", {"name": "d" * 81}, "1 to 80 characters"),
    ("azure.managed_disk", {"size_gb": 0}, "greater than or equal to 1"),
    ("azure.managed_disk", {"size_gb": 32768}, "less than or equal to 32767"),
    ("azure.managed_disk", {"size_gb": None}, "size_gb is required with create_option: Empty"),
    ("azure.managed_disk", {"create_option": "Copy"}, "source_id (the id of a disk or snapshot) is required"),
    ("azure.managed_disk", {"create_option": "Copy", "source_id": "nope"}, "not an Azure resource id"),
    ("azure.managed_disk", {"create_option": "Import", "source_id": DISK_ID}, "URI of a VHD blob"),
    ("azure.managed_disk", {"source_id": DISK_ID}, "only allowed with create_option Copy or Import"),
    ("azure.disk_snapshot", {"source_disk": DISK_ID.replace("/disks/", "/snapshots/")}, "id of a Microsoft.Compute/disks"),
    ("azure.disk_snapshot", {"source_disk": "d"}, "not an Azure resource id"),
])
def test_invalid_properties_are_rejected_with_the_rule(type_name: str, changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        validate(type_name, **changes)
    assert message in str(info.value)


@pytest.mark.parametrize(("type_name", "changes"), [
    ("azure.resource_group", {"name": "My_RG-(1).x"}),
    ("azure.blob_container", {"name": "$web"}),
    ("azure.blob_container", {"name": "a1-b2-c3"}),
    ("azure.blob", {"name": "models/v1/model.bin"}),
    ("azure.managed_disk", {"name": "Disk_1.data_"}),
    ("azure.managed_disk", {"create_option": "Copy", "source_id": DISK_ID, "size_gb": None}),
    ("azure.storage_account", {"point_in_time_restore_days": 6, "blob_soft_delete_days": 7, "blob_versioning": True}),
])
def test_valid_edge_cases_are_accepted(type_name: str, changes: dict[str, Any]) -> None:
    spec = validate(type_name, **changes)
    for key, value in changes.items():
        assert getattr(spec, key) == value


def test_premium_block_blob_accounts_get_no_default_access_tier() -> None:
    assert validate("azure.storage_account", kind="BlockBlobStorage", sku="Premium_LRS").access_tier is None


def test_storage_account_defaults_follow_the_design() -> None:
    spec = validate("azure.storage_account")
    assert (spec.sku, spec.kind, spec.access_tier, spec.min_tls_version) == ("Standard_LRS", "StorageV2", "Hot", "TLS1_2")
    assert (spec.allow_blob_public_access, spec.https_only, spec.blob_versioning) == (False, True, False)
    assert spec.blob_soft_delete_days is None and spec.point_in_time_restore_days is None


@pytest.mark.parametrize(("given", "expected"), [("West US", "westus"), ("westus", "westus"), ("EastUS 2", "eastus2")])
def test_locations_normalise_to_the_arm_short_name(given: str, expected: str) -> None:
    assert normalise_location(given) == expected
    handler = handler_for("azure.resource_group")
    assert handler.normalise({"location": given})["location"] == expected
