"""``azure.disk_snapshot``: a snapshot of a managed disk (``Microsoft.Compute/snapshots``).
Cloud id: its ARM id.

Invariants
- create is a PUT (LRO) copying ``source_disk`` (an ARM disk id, usually ``${disk.id}``);
  adopting an existing snapshot converges sku and tags.
- a snapshot is a point in time: a changed ``source_disk`` or ``incremental`` (or name, group,
  location) forces replacement, i.e. a new snapshot; sku and tags (e.g. ``version``) update in
  place (PATCH, LRO).
- ``source_disk`` is compared case-insensitively (``normalise`` lower-cases it), locations in
  short form. ``time_created`` is what ARM reports (``properties.timeCreated``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import field_validator

from modelinfra.providers.azure import arm_ids, listing
from modelinfra.providers.azure.compute_ops import ComputeOps
from modelinfra.providers.azure.names import (
    AzureTags,
    DiskName,
    Location,
    ResourceGroupName,
    normalise_location,
)
from modelinfra.providers.base import FollowUp, ResourceContext, ResourceHandler, strip_managed_tags
from modelinfra.spec.fields import SpecModel

SNAPSHOTS = ComputeOps("snapshots", "snapshot")

class DiskSnapshotSpec(SpecModel):
    name: DiskName
    """Snapshot name, 1 to 80 letters, digits, '_', '.' or '-'."""
    resource_group: ResourceGroupName
    """Resource group it lives in (e.g. ``${rg.name}``)."""
    location: Location
    source_disk: str
    """ARM id of the managed disk to snapshot (e.g. ``${disk.id}``)."""
    incremental: bool = False
    """Store only the changes since the disk's previous snapshot (cheaper; billed by used size)."""
    sku: Literal["Standard_LRS", "Premium_LRS", "Standard_ZRS"] | None = None
    """Storage type of the snapshot; unset lets Azure choose (Standard_LRS for full snapshots)."""
    tags: AzureTags

    @field_validator("source_disk")
    @classmethod
    def _disk_id(cls, value: str) -> str:
        return arm_ids.check_arm_id(value, namespace="Microsoft.Compute", type_name="disks")


class DiskSnapshotHandler(ResourceHandler[DiskSnapshotSpec]):
    type_name: ClassVar[str] = "azure.disk_snapshot"
    cloud_id_form: ClassVar[str] = "/subscriptions/SUB/resourceGroups/RG/providers/Microsoft.Compute/snapshots/NAME"
    cloud: ClassVar[str] = "azure"
    spec_model = DiskSnapshotSpec
    computed: ClassVar[tuple[str, ...]] = ("id", "time_created")
    force_new: ClassVar[tuple[str, ...]] = ("name", "resource_group", "location", "source_disk", "incremental")
    taggable: ClassVar[bool] = True
    lookup_keys: ClassVar[tuple[str, ...]] = ("resource_group", "name")

    def identify(self, ctx: ResourceContext, spec: DiskSnapshotSpec) -> str:
        return SNAPSHOTS.resource_id(ctx, spec.resource_group, spec.name)

    def normalise(self, attributes: dict[str, Any]) -> dict[str, Any]:
        return arm_ids.normalise_attributes(attributes, id_keys=("source_disk",))

    def read(self, ctx: ResourceContext, cloud_id: str) -> dict[str, Any] | None:
        found = SNAPSHOTS.get(ctx, cloud_id)
        return None if found is None else self._attributes(cloud_id, found[2])

    def batch_group(self, cloud_id: str) -> str | None:
        return listing.collection_of(cloud_id)

    def read_many(
        self, ctx: ResourceContext, recorded: Mapping[str, tuple[str, dict[str, Any]]]
    ) -> dict[str, dict[str, Any] | None | FollowUp]:
        """One listing of the resource group stands for a GET each (the list has full bodies)."""
        group = arm_ids.parse(next(iter(recorded.values()))[0]).resource_group or ""
        return listing.answers(recorded, SNAPSHOTS.list_group(ctx, group), self._attributes)

    def _attributes(self, cloud_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """The attributes a GET (or list) body describes."""
        parsed = arm_ids.parse(cloud_id)
        group, name = parsed.resource_group or "", parsed.name
        props = body.get("properties") or {}
        return self.normalise({
            "name": name,
            "resource_group": group,
            "location": body.get("location"),
            "source_disk": (props.get("creationData") or {}).get("sourceResourceId"),
            "incremental": bool(props.get("incremental", False)),
            "sku": (body.get("sku") or {}).get("name"),
            "tags": strip_managed_tags(body.get("tags")),
            "id": cloud_id,
            "time_created": props.get("timeCreated"),
        })

    def create(self, ctx: ResourceContext, spec: DiskSnapshotSpec) -> dict[str, Any]:
        body: dict[str, Any] = {
            "location": normalise_location(spec.location),
            "tags": {**spec.tags, **ctx.managed_tags},
            "properties": {
                "creationData": {"createOption": "Copy", "sourceResourceId": spec.source_disk},
                "incremental": spec.incremental,
            },
        }
        if spec.sku is not None:
            body["sku"] = {"name": spec.sku}
        SNAPSHOTS.create_or_update(ctx, spec.resource_group, spec.name, body)
        return self._reread(ctx, spec)

    def update(
        self, ctx: ResourceContext, spec: DiskSnapshotSpec, observed: dict[str, Any], changes: list[Any]
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"tags": {**spec.tags, **ctx.managed_tags}}
        if spec.sku is not None:
            body["sku"] = {"name": spec.sku}
        SNAPSHOTS.patch(ctx, spec.resource_group, spec.name, body)
        return self._reread(ctx, spec)

    def delete(self, ctx: ResourceContext, cloud_id: str, attributes: dict[str, Any]) -> None:
        SNAPSHOTS.delete(ctx, cloud_id)

    def _reread(self, ctx: ResourceContext, spec: DiskSnapshotSpec) -> dict[str, Any]:
        return SNAPSHOTS.visible(self.read(ctx, self.identify(ctx, spec)), spec.name)
