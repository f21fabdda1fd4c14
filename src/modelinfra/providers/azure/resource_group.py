"""``azure.resource_group``: a resource group. Cloud id: its ARM id.

Invariants
- create is a PUT: adopting an existing group in the same location converges its tags; a group
  of that name in another location is a ``TerminalError`` (ARM refuses to move it).
- name and location force replacement; tags update in place (PATCH).
- delete is an LRO that removes everything in the group; a missing group is success.
- the name in attributes comes from the cloud id, not from ARM's answer, so a group ARM spells
  in other casing never shows a diff; locations are compared in ARM's short form (``westus``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from modelinfra.providers.azure import arm_ids
from modelinfra.providers.azure.errors import (
    azure_errors,
    ignore_not_found,
    read_or_none,
    visible_after_write,
)
from modelinfra.providers.azure.names import AzureTags, Location, ResourceGroupName, normalise_location
from modelinfra.providers.base import ResourceContext, ResourceHandler, strip_managed_tags
from modelinfra.spec.fields import SpecModel


class ResourceGroupSpec(SpecModel):
    name: ResourceGroupName
    """Resource group name, 1 to 90 letters, digits, '_', '-', '.', '(' or ')', not ending in '.'."""
    location: Location
    tags: AzureTags


class ResourceGroupHandler(ResourceHandler[ResourceGroupSpec]):
    type_name: ClassVar[str] = "azure.resource_group"
    cloud_id_form: ClassVar[str] = "/subscriptions/SUB/resourceGroups/NAME"
    cloud: ClassVar[str] = "azure"
    spec_model = ResourceGroupSpec
    computed: ClassVar[tuple[str, ...]] = ("id",)
    force_new: ClassVar[tuple[str, ...]] = ("name", "location")
    taggable: ClassVar[bool] = True
    lookup_keys: ClassVar[tuple[str, ...]] = ("name",)

    def identify(self, ctx: ResourceContext, spec: ResourceGroupSpec) -> str:
        return arm_ids.resource_group_id(ctx.session.subscription_id, spec.name)

    def normalise(self, attributes: dict[str, Any]) -> dict[str, Any]:
        return arm_ids.normalise_attributes(attributes)

    def read(self, ctx: ResourceContext, cloud_id: str) -> dict[str, Any] | None:
        name = arm_ids.parse(cloud_id).name
        client = ctx.session.mgmt("resource")
        group = read_or_none(f"reading resource group {name}", lambda: client.resource_groups.get(name))
        if group is None:
            return None
        body = group.as_dict()
        return self.normalise({
            "name": name,
            "location": body.get("location"),
            "tags": strip_managed_tags(body.get("tags")),
            "id": cloud_id,
        })

    def create(self, ctx: ResourceContext, spec: ResourceGroupSpec) -> dict[str, Any]:
        client = ctx.session.mgmt("resource")
        body = {"location": normalise_location(spec.location), "tags": {**spec.tags, **ctx.managed_tags}}
        with azure_errors(f"creating resource group {spec.name}"):
            client.resource_groups.create_or_update(spec.name, body)
        return self._reread(ctx, spec)

    def update(
        self, ctx: ResourceContext, spec: ResourceGroupSpec, observed: dict[str, Any], changes: list[Any]
    ) -> dict[str, Any]:
        client = ctx.session.mgmt("resource")
        with azure_errors(f"updating resource group {spec.name}"):
            client.resource_groups.update(spec.name, {"tags": {**spec.tags, **ctx.managed_tags}})
        return self._reread(ctx, spec)

    def delete(self, ctx: ResourceContext, cloud_id: str, attributes: dict[str, Any]) -> None:
        name = arm_ids.parse(cloud_id).name
        client = ctx.session.mgmt("resource")
        ignore_not_found(f"deleting resource group {name}", lambda: client.resource_groups.begin_delete(name).result())

    def _reread(self, ctx: ResourceContext, spec: ResourceGroupSpec) -> dict[str, Any]:
        return visible_after_write(self.read(ctx, self.identify(ctx, spec)), f"resource group {spec.name}")
