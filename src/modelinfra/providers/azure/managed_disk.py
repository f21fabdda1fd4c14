"""``azure.managed_disk``: a managed disk (``Microsoft.Compute/disks``). Cloud id: its ARM id.

Invariants
- create is a PUT (LRO); adopting an existing disk converges sku, size and tags.
- ``create_option``: ``Empty`` needs ``size_gb``; ``Copy`` needs ``source_id`` (the ARM id of a
  disk or snapshot); ``Import`` needs ``source_id`` (the VHD blob URI) and ``storage_account_id``.
- sku, size_gb (grow only: Azure cannot shrink a disk, so a smaller size is a ``TerminalError``)
  and tags update in place (PATCH, LRO); everything else forces replacement.
- ids are compared case-insensitively (``normalise`` lower-cases id-valued properties) and
  locations in short form, so ARM's casing never shows as a diff.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from modelinfra.errors import TerminalError
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

DiskSku = Literal["Standard_LRS", "Premium_LRS", "StandardSSD_LRS", "UltraSSD_LRS", "Premium_ZRS",
                  "StandardSSD_ZRS", "PremiumV2_LRS"]


DISKS = ComputeOps("disks", "disk")

class ManagedDiskSpec(SpecModel):
    name: DiskName
    """Disk name, 1 to 80 letters, digits, '_', '.' or '-'."""
    resource_group: ResourceGroupName
    """Resource group it lives in (e.g. ``${rg.name}``)."""
    location: Location
    sku: DiskSku = "Standard_LRS"
    """Disk storage type."""
    size_gb: int | None = Field(default=None, ge=1, le=32767)
    """Size in GiB (1 to 32767); required with ``create_option: Empty``; a disk only grows."""
    create_option: Literal["Empty", "Copy", "Import"] = "Empty"
    """How the disk is made: ``Empty``, ``Copy`` (of ``source_id``) or ``Import`` (a VHD blob)."""
    source_id: str | None = None
    """``Copy``: ARM id of the disk or snapshot copied; ``Import``: URI of the VHD blob."""
    storage_account_id: str | None = None
    """``Import`` only: ARM id of the storage account holding the VHD."""
    tags: AzureTags

    @model_validator(mode="after")
    def _sources_match_create_option(self) -> ManagedDiskSpec:
        option = self.create_option
        if option == "Empty":
            if self.size_gb is None:
                raise ValueError("size_gb is required with create_option: Empty")
            if self.source_id is not None or self.storage_account_id is not None:
                raise ValueError("source_id and storage_account_id are only allowed with create_option Copy or Import")
        if option == "Copy":
            if self.source_id is None:
                raise ValueError("source_id (the id of a disk or snapshot) is required with create_option: Copy")
            arm_ids.check_arm_id(self.source_id, namespace="Microsoft.Compute")
            if self.storage_account_id is not None:
                raise ValueError("storage_account_id is only allowed with create_option: Import")
        if option == "Import":
            if self.source_id is None or not self.source_id.lower().startswith(("https://", "http://")):
                raise ValueError("source_id (the URI of a VHD blob) is required with create_option: Import")
            if self.storage_account_id is None:
                raise ValueError("storage_account_id is required with create_option: Import")
            arm_ids.check_arm_id(self.storage_account_id, namespace="Microsoft.Storage", type_name="storageAccounts")
        return self


class ManagedDiskHandler(ResourceHandler[ManagedDiskSpec]):
    type_name: ClassVar[str] = "azure.managed_disk"
    cloud_id_form: ClassVar[str] = "/subscriptions/SUB/resourceGroups/RG/providers/Microsoft.Compute/disks/NAME"
    cloud: ClassVar[str] = "azure"
    spec_model = ManagedDiskSpec
    computed: ClassVar[tuple[str, ...]] = ("id",)
    force_new: ClassVar[tuple[str, ...]] = ("name", "resource_group", "location", "create_option", "source_id",
                                            "storage_account_id")
    taggable: ClassVar[bool] = True
    lookup_keys: ClassVar[tuple[str, ...]] = ("resource_group", "name")

    def identify(self, ctx: ResourceContext, spec: ManagedDiskSpec) -> str:
        return DISKS.resource_id(ctx, spec.resource_group, spec.name)

    def normalise(self, attributes: dict[str, Any]) -> dict[str, Any]:
        return arm_ids.normalise_attributes(attributes, id_keys=("source_id", "storage_account_id"))

    def read(self, ctx: ResourceContext, cloud_id: str) -> dict[str, Any] | None:
        found = DISKS.get(ctx, cloud_id)
        return None if found is None else self._attributes(cloud_id, found[2])

    def batch_group(self, cloud_id: str) -> str | None:
        return listing.collection_of(cloud_id)

    def read_many(
        self, ctx: ResourceContext, recorded: Mapping[str, tuple[str, dict[str, Any]]]
    ) -> dict[str, dict[str, Any] | None | FollowUp]:
        """One listing of the resource group stands for a GET each (the list has full bodies)."""
        group = arm_ids.parse(next(iter(recorded.values()))[0]).resource_group or ""
        return listing.answers(recorded, DISKS.list_group(ctx, group), self._attributes)

    def _attributes(self, cloud_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """The attributes a GET (or list) body describes."""
        parsed = arm_ids.parse(cloud_id)
        group, name = parsed.resource_group or "", parsed.name
        props = body.get("properties") or {}
        creation = props.get("creationData") or {}
        option = creation.get("createOption")
        return self.normalise({
            "name": name,
            "resource_group": group,
            "location": body.get("location"),
            "sku": (body.get("sku") or {}).get("name"),
            "size_gb": props.get("diskSizeGB"),
            "create_option": option,
            "source_id": creation.get("sourceUri") if option == "Import" else creation.get("sourceResourceId"),
            "storage_account_id": creation.get("storageAccountId"),
            "tags": strip_managed_tags(body.get("tags")),
            "id": cloud_id,
        })

    def create(self, ctx: ResourceContext, spec: ManagedDiskSpec) -> dict[str, Any]:
        creation: dict[str, Any] = {"createOption": spec.create_option}
        if spec.create_option == "Copy":
            creation["sourceResourceId"] = spec.source_id
        elif spec.create_option == "Import":
            creation["sourceUri"] = spec.source_id
            creation["storageAccountId"] = spec.storage_account_id
        properties: dict[str, Any] = {"creationData": creation}
        if spec.size_gb is not None:
            properties["diskSizeGB"] = spec.size_gb
        body = {
            "location": normalise_location(spec.location),
            "sku": {"name": spec.sku},
            "tags": {**spec.tags, **ctx.managed_tags},
            "properties": properties,
        }
        DISKS.create_or_update(ctx, spec.resource_group, spec.name, body)
        return self._reread(ctx, spec)

    def update(
        self, ctx: ResourceContext, spec: ManagedDiskSpec, observed: dict[str, Any], changes: list[Any]
    ) -> dict[str, Any]:
        current = observed.get("size_gb")
        if spec.size_gb is not None and isinstance(current, int) and spec.size_gb < current:
            raise TerminalError(f"disk {spec.name}: size_gb cannot shrink from {current} to {spec.size_gb} "
                                "(Azure only grows disks)")
        body: dict[str, Any] = {"sku": {"name": spec.sku}, "tags": {**spec.tags, **ctx.managed_tags}}
        if spec.size_gb is not None:
            body["properties"] = {"diskSizeGB": spec.size_gb}
        DISKS.patch(ctx, spec.resource_group, spec.name, body)
        return self._reread(ctx, spec)

    def delete(self, ctx: ResourceContext, cloud_id: str, attributes: dict[str, Any]) -> None:
        DISKS.delete(ctx, cloud_id)

    def _reread(self, ctx: ResourceContext, spec: ManagedDiskSpec) -> dict[str, Any]:
        return DISKS.visible(self.read(ctx, self.identify(ctx, spec)), spec.name)
