"""``azure.storage_account``: a storage account and its blob-service data-protection settings.
Cloud id: its ARM id.

Invariants
- create is a PUT (LRO): adopting an existing account converges it; then the blob service's
  versioning, soft delete and point-in-time restore are written with
  ``blob_services.set_service_properties`` (always, so an adopted account converges too).
- update PATCHes only the account when account settings changed and PUTs the blob service
  properties only when a blob setting changed.
- name, resource_group, location, kind, is_hns_enabled and infrastructure_encryption_enabled force
  replacement; everything else is in place. Network rules, identity and customer-managed key:
  ``storage_account_extra`` (None there means "not managed").
- ``blob_soft_delete_days`` / ``point_in_time_restore_days`` / ``container_delete_retention_days``
  of ``None`` mean "off" (written as disabled); point-in-time restore needs versioning, soft delete
  for longer than the restore window, and change feed (turned on with it).
- names come from the cloud id, locations are compared in short form, so ARM's casing never
  shows as a diff.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from modelinfra.providers.azure import arm_ids, listing
from modelinfra.providers.azure import storage_account_extra as extra
from modelinfra.providers.azure.errors import (
    azure_errors,
    ignore_not_found,
    read_or_none,
    visible_after_write,
)
from modelinfra.providers.azure.managed_identity import identity_body
from modelinfra.providers.azure.names import (
    AzureTags,
    Location,
    ResourceGroupName,
    StorageAccountName,
    normalise_location,
)
from modelinfra.providers.base import FollowUp, ResourceContext, ResourceHandler, strip_managed_tags
from modelinfra.spec.fields import SpecModel

BLOB_SETTINGS = ("blob_versioning", "blob_soft_delete_days", "point_in_time_restore_days",
                 "container_delete_retention_days")
ACCOUNT_SETTINGS = ("sku", "access_tier", "min_tls_version", "allow_blob_public_access", "https_only", "tags",
                    "network_rules", "public_network_access", "shared_access_key_enabled", "identity",
                    "customer_managed_key", "allow_cross_tenant_replication")

TIERED_KINDS = ("StorageV2", "BlobStorage")
Sku = Literal[
    "Standard_LRS", "Standard_GRS", "Standard_RAGRS", "Standard_ZRS", "Standard_GZRS", "Standard_RAGZRS",
    "Premium_LRS", "Premium_ZRS",
]


class StorageAccountSpec(SpecModel):
    name: StorageAccountName
    """Account name, 3 to 24 lowercase letters and digits, globally unique."""
    resource_group: ResourceGroupName
    """Resource group it lives in (e.g. ``${rg.name}``)."""
    location: Location
    sku: Sku = "Standard_LRS"
    """Replication and performance tier (the API's SKU name)."""
    kind: Literal["StorageV2", "BlobStorage", "BlockBlobStorage", "FileStorage", "Storage"] = "StorageV2"
    """Account kind; ``StorageV2`` for general purpose v2."""
    access_tier: Literal["Hot", "Cool", "Cold"] | None = "Hot"
    """Default blob access tier (StorageV2 / BlobStorage only)."""
    min_tls_version: Literal["TLS1_0", "TLS1_1", "TLS1_2", "TLS1_3"] = "TLS1_2"
    """Lowest TLS version clients may use."""
    allow_blob_public_access: bool = False
    """Allow containers to grant anonymous read access."""
    https_only: bool = True
    """Refuse plain HTTP requests."""
    blob_versioning: bool = False
    """Keep previous versions of every blob (needed for point-in-time restore)."""
    blob_soft_delete_days: int | None = Field(default=None, ge=1, le=365)
    """Days deleted blobs are kept and restorable (1 to 365); unset: soft delete off."""
    point_in_time_restore_days: int | None = Field(default=None, ge=1, le=365)
    """Days block blobs can be restored to an earlier state; needs blob_versioning and a longer soft
    delete."""
    tags: AzureTags
    network_rules: extra.NetworkRules | None = Field(
        default=None, description="Firewall: default action, bypass, IP and subnet rules; unset: not managed.")
    public_network_access: Literal["Enabled", "Disabled"] = Field(
        default="Enabled", description="Whether the account is reachable from public networks at all.")
    shared_access_key_enabled: bool = Field(
        default=True, description="Allow requests authorized with the account key (false: Entra ID only).")
    identity: extra.StorageIdentity | None = Field(
        default=None, description="Managed identity of the account; unset: not managed.")
    customer_managed_key: extra.CustomerManagedKey | None = Field(
        default=None, description="Encrypt with a Key Vault key read by a user-assigned identity; unset: not "
                                  "managed.")
    is_hns_enabled: bool = Field(default=False, description="Hierarchical namespace (Data Lake Storage Gen2).")
    infrastructure_encryption_enabled: bool = Field(
        default=False, description="A second layer of encryption at the infrastructure level.")
    allow_cross_tenant_replication: bool = Field(
        default=False, description="Allow object replication to and from accounts of other tenants.")
    container_delete_retention_days: int | None = Field(
        default=None, ge=1, le=365, description="Days deleted containers are kept and restorable; unset: off.")

    @model_validator(mode="after")
    def _combination(self) -> StorageAccountSpec:
        extra.check_combination(self.identity, self.customer_managed_key, self.kind, self.is_hns_enabled)
        return self

    @model_validator(mode="after")
    def _access_tier_needs_a_tiered_kind(self) -> StorageAccountSpec:
        if self.kind in TIERED_KINDS or self.access_tier is None:
            return self
        if "access_tier" in self.model_fields_set:
            raise ValueError(f"access_tier applies only to kind StorageV2 or BlobStorage, not {self.kind}")
        self.access_tier = None  # the default "Hot" does not apply to this kind
        return self

    @model_validator(mode="after")
    def _restore_needs_versioning_and_soft_delete(self) -> StorageAccountSpec:
        days = self.point_in_time_restore_days
        if days is None:
            return self
        if not self.blob_versioning:
            raise ValueError("point_in_time_restore_days requires blob_versioning: true")
        if self.blob_soft_delete_days is None:
            raise ValueError("point_in_time_restore_days requires blob_soft_delete_days")
        if days >= self.blob_soft_delete_days:
            raise ValueError(f"point_in_time_restore_days ({days}) must be less than blob_soft_delete_days "
                             f"({self.blob_soft_delete_days})")
        return self


class StorageAccountHandler(ResourceHandler[StorageAccountSpec]):
    type_name: ClassVar[str] = "azure.storage_account"
    cloud_id_form: ClassVar[str] = "/subscriptions/SUB/resourceGroups/RG/providers/Microsoft.Storage/storageAccounts/NAME"
    cloud: ClassVar[str] = "azure"
    spec_model = StorageAccountSpec
    computed: ClassVar[tuple[str, ...]] = ("id", "primary_blob_endpoint", "identity_principal_id")
    force_new: ClassVar[tuple[str, ...]] = ("name", "resource_group", "location", "kind", "is_hns_enabled",
                                            "infrastructure_encryption_enabled")
    taggable: ClassVar[bool] = True
    lookup_keys: ClassVar[tuple[str, ...]] = ("resource_group", "name")

    def identify(self, ctx: ResourceContext, spec: StorageAccountSpec) -> str:
        return account_id(ctx, spec.resource_group, spec.name)

    def normalise(self, attributes: dict[str, Any]) -> dict[str, Any]:
        return extra.normalise(arm_ids.normalise_attributes(attributes))

    # -- read ------------------------------------------------------------------------------------
    def read(self, ctx: ResourceContext, cloud_id: str) -> dict[str, Any] | None:
        parsed = arm_ids.parse(cloud_id)
        group, name = parsed.resource_group or "", parsed.name
        client = ctx.session.mgmt("storage")
        account = read_or_none(f"reading storage account {name}",
                               lambda: client.storage_accounts.get_properties(group, name))
        return None if account is None else self._with_blob_service(ctx, cloud_id, account.as_dict())

    def batch_group(self, cloud_id: str) -> str | None:
        return listing.collection_of(cloud_id)

    def read_many(
        self, ctx: ResourceContext, recorded: Mapping[str, tuple[str, dict[str, Any]]]
    ) -> dict[str, dict[str, Any] | None | FollowUp]:
        """One ``ListByResourceGroup`` (full account bodies) stands for a GET of each account; its
        blob service settings are not in the list, so each listed account keeps a follow-up GET
        of those alone."""
        group = arm_ids.parse(next(iter(recorded.values()))[0]).resource_group or ""
        client = ctx.session.mgmt("storage")
        listed = listing.index(f"listing storage accounts of {group}",
                               lambda: client.storage_accounts.list_by_resource_group(group))
        return listing.answers(recorded, listed, lambda cloud_id, body: partial(_finish, self, cloud_id, body))

    def _with_blob_service(self, ctx: ResourceContext, cloud_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """The attributes of the account whose GET (or list) body is ``body``: reads its blob service."""
        parsed = arm_ids.parse(cloud_id)
        group, name = parsed.resource_group or "", parsed.name
        client = ctx.session.mgmt("storage")
        props = body.get("properties") or {}
        blob = read_or_none(f"reading blob service of {name}",
                            lambda: client.blob_services.get_service_properties(group, name))
        blob_props = (blob.as_dict().get("properties") or {}) if blob is not None else {}
        soft = blob_props.get("deleteRetentionPolicy") or {}
        restore = blob_props.get("restorePolicy") or {}
        containers = blob_props.get("containerDeleteRetentionPolicy") or {}
        return self.normalise({
            "name": name,
            "resource_group": group,
            "location": body.get("location"),
            "sku": (body.get("sku") or {}).get("name"),
            "kind": body.get("kind"),
            "access_tier": props.get("accessTier"),
            "min_tls_version": props.get("minimumTlsVersion"),
            "allow_blob_public_access": bool(props.get("allowBlobPublicAccess", False)),
            "https_only": bool(props.get("supportsHttpsTrafficOnly", True)),
            "blob_versioning": bool(blob_props.get("isVersioningEnabled", False)),
            "blob_soft_delete_days": soft.get("days") if soft.get("enabled") else None,
            "point_in_time_restore_days": restore.get("days") if restore.get("enabled") else None,
            "container_delete_retention_days": containers.get("days") if containers.get("enabled") else None,
            **extra.read_attributes(body),
            "tags": strip_managed_tags(body.get("tags")),
            "id": cloud_id,
            "primary_blob_endpoint": (props.get("primaryEndpoints") or {}).get("blob"),
        })

    # -- write -----------------------------------------------------------------------------------
    def create(self, ctx: ResourceContext, spec: StorageAccountSpec) -> dict[str, Any]:
        client = ctx.session.mgmt("storage")
        body = {
            "location": normalise_location(spec.location),
            "kind": spec.kind,
            **self._account_body(ctx, spec, create=True),
        }
        with azure_errors(f"creating storage account {spec.name}"):
            client.storage_accounts.begin_create(spec.resource_group, spec.name, body).result()
        self._write_blob_service(ctx, spec)
        return self._reread(ctx, spec)

    def update(
        self, ctx: ResourceContext, spec: StorageAccountSpec, observed: dict[str, Any], changes: list[Any]
    ) -> dict[str, Any]:
        changed = {str(getattr(c, "path", c)).split(".")[0].split("[")[0] for c in changes}
        client = ctx.session.mgmt("storage")
        if not changes or changed & set(ACCOUNT_SETTINGS):
            with azure_errors(f"updating storage account {spec.name}"):
                client.storage_accounts.update(spec.resource_group, spec.name,
                                               self._account_body(ctx, spec, observed=observed))
        if not changes or changed & set(BLOB_SETTINGS):
            self._write_blob_service(ctx, spec)
        return self._reread(ctx, spec)

    def delete(self, ctx: ResourceContext, cloud_id: str, attributes: dict[str, Any]) -> None:
        parsed = arm_ids.parse(cloud_id)
        client = ctx.session.mgmt("storage")
        ignore_not_found(f"deleting storage account {parsed.name}",
                         lambda: client.storage_accounts.delete(parsed.resource_group or "", parsed.name))

    # -- helpers ---------------------------------------------------------------------------------
    @staticmethod
    def _account_body(ctx: ResourceContext, spec: StorageAccountSpec, *, create: bool = False,
                      observed: dict[str, Any] | None = None) -> dict[str, Any]:
        """The settings shared by create (PUT, ``create``: with the create-only ones) and update
        (PATCH, ``observed``: the account as last read, to drop identities no longer named)."""
        properties: dict[str, Any] = {
            "minimumTlsVersion": spec.min_tls_version,
            "allowBlobPublicAccess": spec.allow_blob_public_access,
            "supportsHttpsTrafficOnly": spec.https_only,
            **extra.account_properties(spec, create=create),
        }
        if spec.access_tier is not None:
            properties["accessTier"] = spec.access_tier
        body = {"sku": {"name": spec.sku}, "tags": {**spec.tags, **ctx.managed_tags}, "properties": properties}
        identity = identity_body(spec.identity, observed)
        return body if identity is None else {**body, "identity": identity}

    @staticmethod
    def _write_blob_service(ctx: ResourceContext, spec: StorageAccountSpec) -> None:
        soft, restore = spec.blob_soft_delete_days, spec.point_in_time_restore_days
        containers = spec.container_delete_retention_days
        properties: dict[str, Any] = {
            "isVersioningEnabled": spec.blob_versioning,
            "deleteRetentionPolicy": {"enabled": True, "days": soft} if soft else {"enabled": False},
            "restorePolicy": {"enabled": True, "days": restore} if restore else {"enabled": False},
            "containerDeleteRetentionPolicy": {"enabled": True, "days": containers} if containers else {"enabled": False},
        }
        if restore:
            properties["changeFeed"] = {"enabled": True}  # required by point-in-time restore
        client = ctx.session.mgmt("storage")
        with azure_errors(f"setting blob service properties of {spec.name}"):
            client.blob_services.set_service_properties(spec.resource_group, spec.name, {"properties": properties})

    def _reread(self, ctx: ResourceContext, spec: StorageAccountSpec) -> dict[str, Any]:
        return visible_after_write(self.read(ctx, self.identify(ctx, spec)), f"storage account {spec.name}")


def account_id(ctx: ResourceContext, resource_group: str, name: str) -> str:
    return arm_ids.resource_id(ctx.session.subscription_id, resource_group, "Microsoft.Storage",
                               "storageAccounts", name)


def _finish(handler: StorageAccountHandler, cloud_id: str, body: dict[str, Any], ctx: ResourceContext) -> dict[str, Any]:
    """The follow-up of a listed account: its blob service settings (one GET)."""
    return handler._with_blob_service(ctx, cloud_id, body)
