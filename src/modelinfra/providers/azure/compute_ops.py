"""The ARM calls managed disks and disk snapshots share: one ``Microsoft.Compute`` operation group
(``disks`` or ``snapshots``), written through the SDK's LRO pollers, deleted idempotently, and read
(GET and list) as the wire JSON through ``ArmRestClient`` at the SDK's api-version: the same dict
the SDK model's ``as_dict()`` gives, without building (and re-serialising) a model per resource,
which was most of a 1,000-disk listing's CPU. Handlers keep only what differs: their spec model
and the body/attribute mapping."""

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
from modelinfra.providers.azure.rest_client import ArmRestClient
from modelinfra.providers.base import ResourceContext

API_VERSION = "2026-03-02"
"""The api-version azure-mgmt-compute (39) sends for disks and snapshots; reads use it too, so a
GET or list body is the one its writes answer (tests/providers/azure pins the two together)."""


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
        path = self.resource_id(ctx, group, name)
        found = read_or_none(f"reading {self.noun} {name}", lambda: ArmRestClient(ctx.session, API_VERSION).get(path))
        return None if found is None else (group, name, found)

    def list_group(self, ctx: ResourceContext, group: str) -> dict[str, dict[str, Any]]:
        """{lower-case id: body} of every disk (snapshot) in ``group`` (one paged listing)."""
        path = f"{arm_ids.resource_group_id(ctx.session.subscription_id, group)}/providers/Microsoft.Compute/" \
            + self.collection
        client = ArmRestClient(ctx.session, API_VERSION)
        return listing.index(f"listing {self.collection} of {group}", lambda: client.list(path))

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
