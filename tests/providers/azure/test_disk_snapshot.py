from __future__ import annotations

from modelinfra.plans.diff import diff_attributes
from modelinfra.providers.base import ResourceContext
from modelinfra.providers.registry import handler_for
from tests.providers.conformance import check_lifecycle

HANDLER = handler_for("azure.disk_snapshot")
DISKS = handler_for("azure.managed_disk")
Spec = HANDLER.spec_model


def make_disk(ctx: ResourceContext, group: str, name: str) -> dict:
    return DISKS.create(ctx, DISKS.spec_model(name=name, resource_group=group, location="westus", size_gb=4))


def test_snapshot_lifecycle_with_version_tag_update(azure_ctx: ResourceContext, resource_group: str,
                                                    unique_name: str) -> None:
    disk = make_disk(azure_ctx, resource_group, f"d-{unique_name}")
    base = {"name": f"snap-{unique_name}", "resource_group": resource_group, "location": "westus",
            "source_disk": disk["id"], "incremental": True}
    observed = check_lifecycle(HANDLER, azure_ctx, Spec(**base, tags={"version": "1"}),
                               Spec(**base, tags={"version": "2"}))
    assert observed["tags"] == {"version": "2"} and observed["incremental"] is True
    assert observed["time_created"]


def test_changed_source_disk_forces_a_new_snapshot(azure_ctx: ResourceContext, resource_group: str,
                                                   unique_name: str) -> None:
    first = make_disk(azure_ctx, resource_group, f"a-{unique_name}")
    second = make_disk(azure_ctx, resource_group, f"b-{unique_name}")
    spec = Spec(name=f"s-{unique_name}", resource_group=resource_group, location="westus", source_disk=first["id"])
    created = HANDLER.create(azure_ctx, spec)
    assert created["time_created"] and created["id"].endswith(f"/snapshots/s-{unique_name}")
    upper = spec.model_copy(update={"source_disk": first["id"].upper().replace("/SUBSCRIPTIONS/", "/subscriptions/")})
    assert not diff_attributes(HANDLER.desired(azure_ctx, upper), created)  # id casing is not a diff
    for change in ({"source_disk": second["id"]}, {"incremental": True}):
        changes = diff_attributes(HANDLER.desired(azure_ctx, spec.model_copy(update=change)), created,
                                  force_new=HANDLER.force_new)
        assert [c.forces_replacement for c in changes] == [True], changes
