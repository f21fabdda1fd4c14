"""``azure.blob``: a block blob uploaded from a local file (a model artifact).

Cloud id: an ARM-style id below the container,
``/subscriptions/{sub}[/resourceGroups/{rg}]/providers/Microsoft.Storage/storageAccounts/{account}
/blobServices/default/containers/{container}/blobs/{name}`` (the name may contain ``/``; the group
segment is present only when the spec names it). Deterministic from the spec.

Invariants
- content is compared by the SHA-256 of the local file, streamed and stored in the blob's metadata
  ``modelinfra_sha256``; ``desired`` carries it, so a changed file is an update, an unchanged one a
  no-op, and a blob overwritten out of band (its metadata lost) reads back without the hash and
  shows as a diff. ETag and MD5 are never compared.
- create and a content change upload the whole file (parallel blocks above 4 MiB, progress to
  ``ctx.reporter.transfer``) with content type, metadata and access tier in the same request;
  other updates set only headers, metadata or tier.
- ``source`` is write-only; name, account, container and resource_group force replacement.
- delete removes the blob and its snapshots, then (on an account with blob versioning) every
  previous version of the name, so nothing the stack uploaded is left behind; with
  ``lifecycle.retain_versions`` (``ctx.retain_versions``) the previous versions stay (restorable).
  A missing blob, container or account is success. Versions follow the REST behaviour (Delete
  Blob of the base blob turns its current version into a previous one; a previous version is
  deleted by ``versionid``). Azurite 3.35 has no blob versions (it lists none and ignores
  ``versionid``), so against it only the base-blob path is exercised.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

from modelinfra.errors import TerminalError
from modelinfra.providers.azure import arm_ids
from modelinfra.providers.azure.blob_data import (
    MAX_CONCURRENCY,
    SHA256_METADATA,
    AccountEndpoint,
    account_endpoint,
    container_client,
)
from modelinfra.providers.azure.errors import (
    azure_errors,
    ignore_not_found,
    read_or_none,
    visible_after_write,
)
from modelinfra.providers.azure.names import (
    BlobName,
    ContainerName,
    Metadata,
    ResourceGroupName,
    StorageAccountName,
)
from modelinfra.providers.base import ResourceContext, ResourceHandler
from modelinfra.providers.hashing import file_sha256
from modelinfra.spec.fields import SpecModel

CONTENT_CHANGES = ("sha256",)


class BlobSpec(SpecModel):
    name: BlobName
    """Blob name, may contain ``/`` (virtual folders), e.g. ``models/ranker.bin``."""
    account: StorageAccountName
    """Name of the storage account (e.g. ``${account.name}``)."""
    container: ContainerName
    """Name of the blob container (e.g. ``${container.name}``)."""
    source: str = Field(min_length=1)
    """Local file uploaded as the blob, relative to the spec; compared by SHA-256, never by ETag/MD5."""
    content_type: str | None = None
    """MIME type; default guessed from the file name."""
    metadata: Metadata
    """Blob metadata; names are C# identifiers, ``modelinfra_sha256`` is set by modelinfra itself."""
    access_tier: Literal["Hot", "Cool", "Cold", "Archive"] | None = None
    """Blob access tier; unset keeps the account's default tier."""
    resource_group: ResourceGroupName | None = None
    """Resource group of the account; when set, the account key is fetched through ARM (listKeys)."""

    @field_validator("metadata")
    @classmethod
    def _no_reserved_metadata(cls, metadata: dict[str, str]) -> dict[str, str]:
        if any(key.lower() == SHA256_METADATA for key in metadata):
            raise ValueError(f"metadata name {SHA256_METADATA!r} is set by modelinfra itself")
        return metadata


def delete_previous_versions(client: Any, container: str, name: str) -> int:
    """Delete every previous version of exactly ``name`` (List Blobs ``include=versions``, then
    Delete Blob with ``versionid``); the current blob, if one was written meanwhile, is kept.
    Returns how many went; 0 on an account without versioning or a container that is gone."""
    label = f"deleting the previous versions of blob {container}/{name}"
    found = read_or_none(label, lambda: [item.version_id for item in client.list_blobs(
        name_starts_with=name, include=["versions"])
        if item.name == name and item.version_id and not item.is_current_version])
    for version_id in found or []:
        ignore_not_found(label, lambda v=version_id: client.get_blob_client(name).delete_blob(version_id=v))
    return len(found or [])


def blob_id(subscription_id: str, resource_group: str | None, account: str, container: str, name: str) -> str:
    base = arm_ids.resource_id(subscription_id, resource_group, "Microsoft.Storage", "storageAccounts", account,
                               "blobServices", "default", "containers", container)
    return f"{base}/blobs/{name}"


def parse_blob_id(cloud_id: str) -> tuple[str | None, str, str, str]:
    """``(resource_group, account, container, name)``; ``ValueError`` when not a blob id."""
    head, sep, name = cloud_id.partition("/blobs/")
    if not sep or not name:
        raise ValueError(f"{cloud_id!r} is not a blob id (expected .../containers/<container>/blobs/<name>)")
    parsed = arm_ids.parse(head)
    return parsed.resource_group, parsed.name_of("storageAccounts"), parsed.name_of("containers"), name


class BlobHandler(ResourceHandler[BlobSpec]):
    type_name: ClassVar[str] = "azure.blob"
    cloud_id_form: ClassVar[str] = "/subscriptions/SUB/resourceGroups/RG/providers/Microsoft.Storage/storageAccounts/ACCOUNT/blobServices/default/containers/CONTAINER/blobs/NAME"
    cloud: ClassVar[str] = "azure"
    spec_model = BlobSpec
    computed: ClassVar[tuple[str, ...]] = ("url", "sha256", "size", "etag")
    recomputed_on_update: ClassVar[tuple[str, ...]] = ("etag", "size")
    force_new: ClassVar[tuple[str, ...]] = ("name", "account", "container", "resource_group")
    write_only: ClassVar[tuple[str, ...]] = ("source",)
    derived: ClassVar[tuple[str, ...]] = ("sha256",)

    def identify(self, ctx: ResourceContext, spec: BlobSpec) -> str:
        return blob_id(ctx.session.subscription_id, spec.resource_group, spec.account, spec.container, spec.name)

    def desired(self, ctx: ResourceContext, spec: BlobSpec) -> dict[str, Any]:
        """The spec's attributes plus ``sha256`` of the local file (streamed, cached)."""
        return {**super().desired(ctx, spec), "sha256": file_sha256(self._source(ctx, spec))}

    # -- read ------------------------------------------------------------------------------------
    def read(self, ctx: ResourceContext, cloud_id: str) -> dict[str, Any] | None:
        group, account, container, name = parse_blob_id(cloud_id)
        where = account_endpoint(ctx, account, group)
        if where is None:
            return None
        blob = container_client(ctx, where, container).get_blob_client(name)
        props = read_or_none(f"reading blob {container}/{name}", blob.get_blob_properties)
        if props is None:
            return None
        metadata = dict(props.metadata or {})
        sha256 = next((metadata.pop(k) for k in list(metadata) if k.lower() == SHA256_METADATA), None)
        return {
            "name": name,
            "account": account,
            "container": container,
            "content_type": props.content_settings.content_type,
            "metadata": metadata,
            "access_tier": props.blob_tier,
            "resource_group": group,
            "url": blob.url,
            "sha256": sha256,
            "size": props.size,
            "etag": str(props.etag).strip('"'),
        }

    # -- write -----------------------------------------------------------------------------------
    def create(self, ctx: ResourceContext, spec: BlobSpec) -> dict[str, Any]:
        self._upload(ctx, spec)
        return self._reread(ctx, spec)

    def update(
        self, ctx: ResourceContext, spec: BlobSpec, observed: dict[str, Any], changes: list[Any]
    ) -> dict[str, Any]:
        paths = {str(getattr(c, "path", c)).split(".")[0] for c in changes}
        if not changes or paths & set(CONTENT_CHANGES):
            self._upload(ctx, spec)
            return self._reread(ctx, spec)
        blob = self._blob_client(ctx, spec)
        action = f"updating blob {spec.container}/{spec.name}"
        with azure_errors(action):
            if "metadata" in paths:
                sha256 = observed.get("sha256") or file_sha256(self._source(ctx, spec))
                blob.set_blob_metadata({**spec.metadata, SHA256_METADATA: sha256})
            if "content_type" in paths and spec.content_type is not None:
                from azure.storage.blob import ContentSettings

                blob.set_http_headers(ContentSettings(content_type=spec.content_type))
            if "access_tier" in paths and spec.access_tier is not None:
                blob.set_standard_blob_tier(spec.access_tier)
        return self._reread(ctx, spec)

    def delete(self, ctx: ResourceContext, cloud_id: str, attributes: dict[str, Any]) -> None:
        group, account, container, name = parse_blob_id(cloud_id)
        where = account_endpoint(ctx, account, group)
        if where is None:
            return
        client = container_client(ctx, where, container)
        blob = client.get_blob_client(name)
        ignore_not_found(f"deleting blob {container}/{name}", lambda: blob.delete_blob(delete_snapshots="include"))
        if not ctx.retain_versions:
            delete_previous_versions(client, container, name)

    def delete_note(self, ctx: ResourceContext, attributes: dict[str, Any]) -> str | None:
        if not ctx.retain_versions:
            return None
        where = f"blob {attributes['container']}/{attributes['name']}" if attributes.get("name") else "the blob"
        return f"lifecycle.retain_versions: the previous versions of {where} are kept"

    # -- helpers ---------------------------------------------------------------------------------
    def _upload(self, ctx: ResourceContext, spec: BlobSpec) -> None:
        from azure.storage.blob import ContentSettings

        path = self._source(ctx, spec)
        sha256 = file_sha256(path)
        size = path.stat().st_size
        content_type = spec.content_type or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        blob = self._blob_client(ctx, spec)

        def progress(done: int, total: int | None) -> None:
            ctx.reporter.transfer(ctx.address, done, total or size)

        with azure_errors(f"uploading {path} to blob {spec.container}/{spec.name}"), path.open("rb") as stream:
            blob.upload_blob(
                stream,
                length=size,
                overwrite=True,
                metadata={**spec.metadata, SHA256_METADATA: sha256},
                content_settings=ContentSettings(content_type=content_type),
                standard_blob_tier=spec.access_tier,
                max_concurrency=MAX_CONCURRENCY,
                progress_hook=progress,
            )

    def _blob_client(self, ctx: ResourceContext, spec: BlobSpec) -> Any:
        return container_client(ctx, self._where(ctx, spec), spec.container).get_blob_client(spec.name)

    @staticmethod
    def _where(ctx: ResourceContext, spec: BlobSpec) -> AccountEndpoint:
        where = account_endpoint(ctx, spec.account, spec.resource_group)
        if where is None:
            raise TerminalError(f"storage account {spec.account} not found"
                                + (f" in resource group {spec.resource_group}" if spec.resource_group else ""),
                                code="StorageAccountNotFound")
        return where

    @staticmethod
    def _source(ctx: ResourceContext, spec: BlobSpec) -> Path:
        path = Path(spec.source)
        path = path if path.is_absolute() else Path(ctx.spec_dir) / path
        if not path.is_file():
            raise TerminalError(f"source {spec.source!r}: no such file ({path})")
        return path

    def _reread(self, ctx: ResourceContext, spec: BlobSpec) -> dict[str, Any]:
        return visible_after_write(self.read(ctx, self.identify(ctx, spec)), f"blob {spec.container}/{spec.name}")
