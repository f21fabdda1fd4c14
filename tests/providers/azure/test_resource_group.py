from __future__ import annotations

from modelinfra.plans.diff import diff_attributes
from modelinfra.providers.azure import arm_ids
from modelinfra.providers.base import ResourceContext
from modelinfra.providers.registry import handler_for
from tests.providers.conformance import check_lifecycle, check_retag

HANDLER = handler_for("azure.resource_group")
Spec = HANDLER.spec_model


def test_lifecycle_with_tag_update_and_display_location(azure_ctx: ResourceContext, unique_name: str) -> None:
    name = f"RG-{unique_name}"
    observed = check_lifecycle(HANDLER, azure_ctx, Spec(name=name, location="West US", tags={"team": "ml"}),
                               Spec(name=name, location="westus", tags={"team": "ml", "env": "dev"}))
    assert observed["tags"] == {"team": "ml", "env": "dev"}  # managed tags stripped
    assert observed["id"] == f"/subscriptions/{azure_ctx.session.subscription_id}/resourceGroups/{name}"


def test_managed_tags_are_written_and_out_of_band_tag_shows_as_diff(azure_ctx: ResourceContext,
                                                                     resource_group: str) -> None:
    client = azure_ctx.session.mgmt("resource")
    assert client.resource_groups.get(resource_group).tags == {
        "modelinfra-stack": "teststack", "modelinfra-address": "res"}
    client.resource_groups.update(resource_group, {"tags": {"owner": "someone"}})
    spec = Spec(name=resource_group, location="westus")
    changes = diff_attributes(HANDLER.desired(azure_ctx, spec), HANDLER.read(azure_ctx, HANDLER.identify(azure_ctx, spec)),
                              force_new=HANDLER.force_new)
    assert [(c.path, c.before, c.after, c.forces_replacement) for c in changes] == [
        ("tags.owner", "someone", None, False)]


def test_location_change_forces_replacement(azure_ctx: ResourceContext, resource_group: str) -> None:
    spec = Spec(name=resource_group, location="eastus")
    observed = HANDLER.read(azure_ctx, HANDLER.identify(azure_ctx, spec))
    changes = diff_attributes(HANDLER.desired(azure_ctx, spec), observed, force_new=HANDLER.force_new)
    assert [(c.path, c.forces_replacement) for c in changes] == [("location", True)]


def test_read_by_id_in_other_casing_finds_the_group(azure_ctx: ResourceContext, resource_group: str) -> None:
    cloud_id = arm_ids.resource_group_id(azure_ctx.session.subscription_id, resource_group)
    observed = HANDLER.read(azure_ctx, cloud_id.replace("resourceGroups", "RESOURCEGROUPS"))
    assert observed is not None and observed["name"] == resource_group


def test_delete_removes_the_groups_contents(azure_ctx: ResourceContext, resource_group: str, unique_name: str) -> None:
    disks = handler_for("azure.managed_disk")
    disk = disks.spec_model(name=f"d{unique_name}", resource_group=resource_group, location="westus", size_gb=1)
    disk_id = disks.create(azure_ctx, disk)["id"]
    HANDLER.delete(azure_ctx, arm_ids.resource_group_id(azure_ctx.session.subscription_id, resource_group), {})
    assert disks.read(azure_ctx, disk_id) is None


def test_a_moved_group_gets_its_address_tag_rewritten_in_place(azure_ctx: ResourceContext, unique_name: str) -> None:
    client = azure_ctx.session.mgmt("resource")
    name = f"rg-moved-{unique_name}"
    check_retag(HANDLER, azure_ctx, Spec(name=name, location="westus", tags={"team": "ml"}),
                lambda cloud_id: client.resource_groups.get(name).tags or {})
    assert client.resource_groups.get(name).tags == {"team": "ml", "modelinfra-stack": "teststack",
                                                     "modelinfra-address": "renamed"}
    HANDLER.delete(azure_ctx, arm_ids.resource_group_id(azure_ctx.session.subscription_id, name), {})
