from __future__ import annotations

import pytest

from modelinfra.errors import TerminalError
from modelinfra.plans.diff import diff_attributes
from modelinfra.providers.base import ResourceContext
from modelinfra.providers.registry import handler_for
from tests.providers.conformance import check_lifecycle

HANDLER = handler_for("azure.managed_disk")
Spec = HANDLER.spec_model


def test_lifecycle_with_resize_and_sku_change(azure_ctx: ResourceContext, resource_group: str,
                                              unique_name: str) -> None:
    base = {"name": f"disk-{unique_name}", "resource_group": resource_group, "location": "West US"}
    observed = check_lifecycle(HANDLER, azure_ctx, Spec(**base, size_gb=4, tags={"team": "ml"}),
                               Spec(**base, size_gb=8, sku="Premium_LRS", tags={"team": "ml", "v": "2"}))
    assert (observed["size_gb"], observed["sku"], observed["create_option"]) == (8, "Premium_LRS", "Empty")


def test_copy_of_a_disk_records_its_source(azure_ctx: ResourceContext, resource_group: str, unique_name: str) -> None:
    source = HANDLER.create(azure_ctx, Spec(name=f"src-{unique_name}", resource_group=resource_group,
                                            location="westus", size_gb=2))
    copy = Spec(name=f"copy-{unique_name}", resource_group=resource_group, location="westus",
                create_option="Copy", source_id=source["id"].replace("resourceGroups", "resourcegroups"))
    created = HANDLER.create(azure_ctx, copy)
    assert created["create_option"] == "Copy" and created["size_gb"] == 2
    assert not diff_attributes(HANDLER.desired(azure_ctx, copy), created)  # id casing is not a diff
    moved = copy.model_copy(update={"source_id": source["id"].replace(f"src-{unique_name}", "other")})
    changes = diff_attributes(HANDLER.desired(azure_ctx, moved), created, force_new=HANDLER.force_new)
    assert [(c.path, c.forces_replacement) for c in changes] == [("source_id", True)]


def test_shrinking_is_refused_before_any_cloud_call(azure_ctx: ResourceContext, resource_group: str,
                                                    unique_name: str) -> None:
    spec = Spec(name=f"big-{unique_name}", resource_group=resource_group, location="westus", size_gb=8)
    observed = HANDLER.create(azure_ctx, spec)
    smaller = spec.model_copy(update={"size_gb": 4})
    changes = diff_attributes(HANDLER.desired(azure_ctx, smaller), observed, force_new=HANDLER.force_new)
    with pytest.raises(TerminalError, match="cannot shrink from 8 to 4"):
        HANDLER.update(azure_ctx, smaller, observed, changes)
    assert HANDLER.read(azure_ctx, observed["id"])["size_gb"] == 8


def test_copy_from_a_missing_disk_is_a_terminal_error(azure_ctx: ResourceContext, resource_group: str,
                                                      unique_name: str) -> None:
    missing = f"/subscriptions/{azure_ctx.session.subscription_id}/resourceGroups/{resource_group}" \
              "/providers/Microsoft.Compute/disks/nope"
    spec = Spec(name=f"bad-{unique_name}", resource_group=resource_group, location="westus",
                create_option="Copy", source_id=missing)
    with pytest.raises(TerminalError) as info:
        HANDLER.create(azure_ctx, spec)
    assert f"creating disk bad-{unique_name}" in str(info.value)
