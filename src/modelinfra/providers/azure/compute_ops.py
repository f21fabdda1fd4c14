"""The ARM calls managed disks and disk snapshots share: one ``Microsoft.Compute`` operation group
(``disks`` or ``snapshots``), read as a plain dict, written through its LRO pollers, deleted
idempotently. Handlers keep only what differs: their spec model and the body/attribute mapping."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modelinfra.providers.azure import arm_ids, listing
from modelinfra.providers.azure.errors import (
    azure_errors,
    ignore_not_found,
    read_or_none,
    visible_after_write,
)
from modelinfra.providers.base import ResourceContext


@dataclass(frozen=True)
class ComputeOps:
    collection: str  # "disks" | "snapshots": the SDK operation group and the ARM type name
    noun: str  # "disk" | "snapshot", for messages

    def resource_id(self, ctx: ResourceContext, resource_group: str, name: str) -> str:
        return arm_ids.resource_id(ctx.session.subscription_id, resource_group, "Microsoft.Compute",
                                   self.collection, name)

    def get(self, ctx: ResourceContext, cloud_id: str) -> tuple[str, str, dict[str, Any]] | None:
        """(resource group, name, body as a dict) or None when it does not exist."""
        parsed = arm_ids.parse(cloud_id)
        group, name = parsed.resource_group or "", parsed.name
        operations = self._operations(ctx)
        found = read_or_none(f"reading {self.noun} {name}", lambda: operations.get(group, name))
        return None if found is None else (group, name, found.as_dict())

    def list_group(self, ctx: ResourceContext, group: str) -> dict[str, dict[str, Any]]:
        """{lower-case id: body} of every disk (snapshot) in ``group`` (one paged listing)."""
        operations = self._operations(ctx)
        return listing.index(f"listing {self.collection} of {group}", lambda: operations.list_by_resource_group(group))

    def create_or_update(self, ctx: ResourceContext, group: str, name: str, body: dict[str, Any]) -> None:
        with azure_errors(f"creating {self.noun} {name}"):
            self._operations(ctx).begin_create_or_update(group, name, body).result()

    def patch(self, ctx: ResourceContext, group: str, name: str, body: dict[str, Any]) -> None:
        with azure_errors(f"updating {self.noun} {name}"):
            self._operations(ctx).begin_update(group, name, body).result()

    def delete(self, ctx: ResourceContext, cloud_id: str) -> None:
        parsed = arm_ids.parse(cloud_id)
        operations = self._operations(ctx)
        ignore_not_found(f"deleting {self.noun} {parsed.name}",
                         lambda: operations.begin_delete(parsed.resource_group or "", parsed.name).result())

    def visible(self, observed: dict[str, Any] | None, name: str) -> dict[str, Any]:
        return visible_after_write(observed, f"{self.noun} {name}")

    def _operations(self, ctx: ResourceContext) -> Any:
        return getattr(ctx.session.mgmt("compute"), self.collection)
