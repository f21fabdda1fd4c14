"""``azure.blob_container``: a blob container, managed through ARM (``Microsoft.Storage``
``.../blobServices/default/containers``). Cloud id: its ARM id.

Invariants
- create is a PUT (201 new, 200 existing): adopting converges public access and metadata.
- update PATCHes public access and metadata; name, account and resource_group force replacement.
- delete of a missing container (or account, or group) succeeds.
- ``url`` is the account's primary blob endpoint plus the container name (so it points at Azurite
  in the sandbox); names come from the cloud id.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from modelinfra.providers.azure import arm_ids
from modelinfra.providers.azure.errors import (
    azure_errors,
    ignore_not_found,
    read_or_none,
    visible_after_write,
)
from modelinfra.providers.azure.names import ContainerName, Metadata, ResourceGroupName, StorageAccountName
from modelinfra.providers.base import ResourceContext, ResourceHandler
from modelinfra.spec.fields import SpecModel

PUBLIC_ACCESS = {"none": "None", "blob": "Blob", "container": "Container"}


class BlobContainerSpec(SpecModel):
    name: ContainerName
    """Container name: 3 to 63 lowercase letters, digits and single hyphens."""
    account: StorageAccountName
    """Name of the storage account (e.g. ``${account.name}``)."""
    resource_group: ResourceGroupName
    """Resource group of the storage account."""
    public_access: Literal["none", "blob", "container"] = "none"
    """Anonymous read access: ``none``, ``blob`` (blobs only) or ``container`` (blobs and listing)."""
    metadata: Metadata
    """Container metadata (names are C# identifiers)."""


class BlobContainerHandler(ResourceHandler[BlobContainerSpec]):
    type_name: ClassVar[str] = "azure.blob_container"
    cloud_id_form: ClassVar[str] = "/subscriptions/SUB/resourceGroups/RG/providers/Microsoft.Storage/storageAccounts/ACCOUNT/blobServices/default/containers/NAME"
    cloud: ClassVar[str] = "azure"
    spec_model = BlobContainerSpec
    computed: ClassVar[tuple[str, ...]] = ("id", "url")
    force_new: ClassVar[tuple[str, ...]] = ("name", "account", "resource_group")
    lookup_keys: ClassVar[tuple[str, ...]] = ("resource_group", "account", "name")

    def identify(self, ctx: ResourceContext, spec: BlobContainerSpec) -> str:
        return arm_ids.resource_id(ctx.session.subscription_id, spec.resource_group, "Microsoft.Storage",
                                   "storageAccounts", spec.account, "blobServices", "default",
                                   "containers", spec.name)

    def read(self, ctx: ResourceContext, cloud_id: str) -> dict[str, Any] | None:
        group, account, name = _names(cloud_id)
        client = ctx.session.mgmt("storage")
        container = read_or_none(f"reading container {name}", lambda: client.blob_containers.get(group, account, name))
        if container is None:
            return None
        props = container.as_dict().get("properties") or {}
        endpoint = _blob_endpoint(ctx, group, account)
        access = str(props.get("publicAccess") or "None").lower()
        return {
            "name": name,
            "account": account,
            "resource_group": group,
            "public_access": access,
            "metadata": dict(props.get("metadata") or {}),
            "id": cloud_id,
            "url": f"{endpoint.rstrip('/')}/{name}" if endpoint else None,
        }

    def create(self, ctx: ResourceContext, spec: BlobContainerSpec) -> dict[str, Any]:
        client = ctx.session.mgmt("storage")
        with azure_errors(f"creating container {spec.name}"):
            client.blob_containers.create(spec.resource_group, spec.account, spec.name, _body(spec))
        return self._reread(ctx, spec)

    def update(
        self, ctx: ResourceContext, spec: BlobContainerSpec, observed: dict[str, Any], changes: list[Any]
    ) -> dict[str, Any]:
        client = ctx.session.mgmt("storage")
        with azure_errors(f"updating container {spec.name}"):
            client.blob_containers.update(spec.resource_group, spec.account, spec.name, _body(spec))
        return self._reread(ctx, spec)

    def delete(self, ctx: ResourceContext, cloud_id: str, attributes: dict[str, Any]) -> None:
        group, account, name = _names(cloud_id)
        client = ctx.session.mgmt("storage")
        ignore_not_found(f"deleting container {name}", lambda: client.blob_containers.delete(group, account, name))

    def _reread(self, ctx: ResourceContext, spec: BlobContainerSpec) -> dict[str, Any]:
        return visible_after_write(self.read(ctx, self.identify(ctx, spec)), f"container {spec.name}")


def _body(spec: BlobContainerSpec) -> dict[str, Any]:
    return {"properties": {"publicAccess": PUBLIC_ACCESS[spec.public_access], "metadata": dict(spec.metadata)}}


def _names(cloud_id: str) -> tuple[str, str, str]:
    parsed = arm_ids.parse(cloud_id)
    return parsed.resource_group or "", parsed.name_of("storageAccounts"), parsed.name_of("containers")


def _blob_endpoint(ctx: ResourceContext, group: str, account: str) -> str | None:
    client = ctx.session.mgmt("storage")
    found = read_or_none(f"reading storage account {account}",
                         lambda: client.storage_accounts.get_properties(group, account))
    if found is None:
        return None
    props = found.as_dict().get("properties") or {}
    return (props.get("primaryEndpoints") or {}).get("blob")
