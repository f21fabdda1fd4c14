"""``azure.ml_workspace``: an Azure Machine Learning workspace. Cloud id: its ARM id.

Talks to api-version 2025-12-01 through :class:`~modelinfra.providers.azure.ml_client.MlClient`.

Property names follow Terraform's ``azurerm_machine_learning_workspace`` (minus the ``_id``
suffixes); wire names are the REST spec's (``containerRegistry``, ``hbiWorkspace``, ``friendlyName``,
``primaryUserAssignedIdentity``, the ``identity`` envelope).

Invariants
- create is a PUT (LRO); adopting an existing workspace converges it. ``application_insights``,
  ``container_registry``, ``identity``, ``primary_user_assigned_identity``, ``description``,
  ``friendly_name``, ``sku``, ``public_network_access`` and tags update in place (PATCH, LRO: all are
  ``WorkspacePropertiesUpdateParameters``).
- name, resource_group, location, ``storage_account``, ``key_vault`` and ``high_business_impact``
  force replacement: the service cannot re-point a workspace at another storage account or key
  vault, nor change its HBI flag.
- ``identity`` is always written (a workspace needs one; default system-assigned), through the
  shared :mod:`~modelinfra.providers.azure.managed_identity`; a UserAssigned-only identity needs
  ``primary_user_assigned_identity`` (the service refuses it without).
- ``description`` / ``friendly_name`` / ``container_registry`` of None are not managed (the service
  names the workspace after itself when no friendly name is given).
- referenced ids (``storage_account``, ``key_vault``, ``application_insights``,
  ``container_registry``, ``primary_user_assigned_identity``, identity ids) are compared
  case-insensitively (ARM may answer in other casing): they are normalised to lower case on both
  sides.
- delete is an LRO; a missing workspace is success.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field, model_validator

from modelinfra.providers.azure import arm_ids
from modelinfra.providers.azure.errors import (
    azure_errors,
    ignore_not_found,
    read_or_none,
    visible_after_write,
)
from modelinfra.providers.azure.managed_identity import (
    ManagedIdentity,
    UserIdentityId,
    identity_body,
    normalise_identity,
    principal_id,
    read_identity,
)
from modelinfra.providers.azure.ml_client import NAMESPACE, MlClient
from modelinfra.providers.azure.names import (
    AzureTags,
    Location,
    ResourceGroupName,
    arm_id_of,
    normalise_location,
)
from modelinfra.providers.base import ResourceContext, ResourceHandler, strip_managed_tags
from modelinfra.spec.fields import SpecModel

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,32}$")
ID_PROPERTIES = ("storage_account", "key_vault", "application_insights", "container_registry",
                 "primary_user_assigned_identity")
DEFAULT_SKU = "Basic"


def check_workspace_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"workspace name {name!r} must be 3 to 33 letters, digits, hyphens or underscores, "
                         "starting with a letter or digit")
    return name


WorkspaceName = Annotated[str, AfterValidator(check_workspace_name)]
StorageAccountId = Annotated[str, arm_id_of("Microsoft.Storage", "storageAccounts")]
KeyVaultId = Annotated[str, arm_id_of("Microsoft.KeyVault", "vaults")]
AppInsightsId = Annotated[str, arm_id_of("Microsoft.Insights", "components")]
ContainerRegistryId = Annotated[str, arm_id_of("Microsoft.ContainerRegistry", "registries")]


def _system_assigned() -> ManagedIdentity:
    return ManagedIdentity(type="SystemAssigned")


class MlWorkspaceSpec(SpecModel):
    name: WorkspaceName
    """Workspace name, 3 to 33 letters, digits, '-' or '_'."""
    resource_group: ResourceGroupName
    """Resource group it lives in (e.g. ``${rg.name}``)."""
    location: Location
    storage_account: StorageAccountId
    """ARM id of the storage account the workspace uses (``${account.id}``)."""
    key_vault: KeyVaultId
    """ARM id of the Key Vault the workspace uses (``${vault.id}``)."""
    application_insights: AppInsightsId | None = None
    """ARM id of the Application Insights component for telemetry; unset: none."""
    sku: Literal["Basic"] = DEFAULT_SKU
    """Workspace edition."""
    public_network_access: Literal["Enabled", "Disabled"] = "Enabled"
    """Whether the workspace is reachable from public networks."""
    container_registry: ContainerRegistryId | None = Field(
        default=None, description="ARM id of the container registry for the workspace's images "
                                  "(``${acr.id}``); unset: not managed (the service makes one on first use).")
    identity: ManagedIdentity = Field(
        default_factory=_system_assigned, description="Managed identities of the workspace (default: "
                                                      "system-assigned).")
    primary_user_assigned_identity: UserIdentityId | None = Field(
        default=None, description="The user-assigned identity (one of identity.identity_ids) the workspace acts "
                                  "as; required with identity type UserAssigned.")
    high_business_impact: bool = Field(
        default=False, description="Flag the workspace as holding high-business-impact data (less diagnostic "
                                   "data collected).")
    description: str | None = Field(default=None, description="Free-text description; unset: not managed.")
    friendly_name: str | None = Field(
        default=None, description="Display name shown in the studio; unset: not managed (the service uses the "
                                  "name).")
    tags: AzureTags

    @model_validator(mode="after")
    def _primary_identity(self) -> MlWorkspaceSpec:
        primary = self.primary_user_assigned_identity
        if self.identity.type == "UserAssigned" and primary is None:
            raise ValueError("identity type 'UserAssigned' needs primary_user_assigned_identity (one of "
                             "identity.identity_ids)")
        if primary is not None and arm_ids.canonical(primary) not in {
                arm_ids.canonical(i) for i in self.identity.identity_ids}:
            raise ValueError("primary_user_assigned_identity must be one of identity.identity_ids")
        return self


class MlWorkspaceHandler(ResourceHandler[MlWorkspaceSpec]):
    type_name: ClassVar[str] = "azure.ml_workspace"
    cloud_id_form: ClassVar[str] = "/subscriptions/SUB/resourceGroups/RG/providers/Microsoft.MachineLearningServices/workspaces/NAME"
    cloud: ClassVar[str] = "azure"
    spec_model = MlWorkspaceSpec
    computed: ClassVar[tuple[str, ...]] = ("id", "identity_principal_id")
    force_new: ClassVar[tuple[str, ...]] = ("name", "resource_group", "location", "storage_account", "key_vault",
                                            "high_business_impact")
    taggable: ClassVar[bool] = True
    lookup_keys: ClassVar[tuple[str, ...]] = ("resource_group", "name")

    def identify(self, ctx: ResourceContext, spec: MlWorkspaceSpec) -> str:
        return workspace_id(ctx, spec.resource_group, spec.name)

    def normalise(self, attributes: dict[str, Any]) -> dict[str, Any]:
        out = dict(attributes)
        if "location" in out:
            out["location"] = normalise_location(out["location"])
        for key in ID_PROPERTIES:
            if out.get(key):
                out[key] = arm_ids.canonical(out[key])
        if "identity" in out:
            out["identity"] = normalise_identity(out["identity"])
        return out

    def read(self, ctx: ResourceContext, cloud_id: str) -> dict[str, Any] | None:
        parsed = arm_ids.parse(cloud_id)
        client = MlClient(ctx.session)
        body = read_or_none(f"reading ML workspace {parsed.name}", lambda: client.get(cloud_id))
        if body is None:
            return None
        props = body.get("properties") or {}
        return self.normalise({
            "name": parsed.name,
            "resource_group": parsed.resource_group,
            "location": body.get("location"),
            "storage_account": props.get("storageAccount"),
            "key_vault": props.get("keyVault"),
            "application_insights": props.get("applicationInsights"),
            # Basic is the only SKU; some answers leave ``sku`` out (Workspace get.json, 2024-04-01)
            "sku": (body.get("sku") or {}).get("name") or DEFAULT_SKU,
            "public_network_access": props.get("publicNetworkAccess"),
            "container_registry": props.get("containerRegistry") or None,
            "identity": read_identity(body),
            "primary_user_assigned_identity": props.get("primaryUserAssignedIdentity") or None,
            "high_business_impact": bool(props.get("hbiWorkspace")),
            "description": props.get("description"),
            "friendly_name": props.get("friendlyName"),
            "tags": strip_managed_tags(body.get("tags")),
            "id": cloud_id,
            "identity_principal_id": principal_id(body),
        })

    def create(self, ctx: ResourceContext, spec: MlWorkspaceSpec) -> dict[str, Any]:
        cloud_id = self.identify(ctx, spec)
        properties = {**self._settings(spec), "storageAccount": spec.storage_account, "keyVault": spec.key_vault,
                      "hbiWorkspace": spec.high_business_impact}
        body = {
            "location": normalise_location(spec.location),
            "identity": identity_body(spec.identity),
            "sku": {"name": spec.sku, "tier": spec.sku},
            "tags": {**spec.tags, **ctx.managed_tags},
            "properties": properties,
        }
        with azure_errors(f"creating ML workspace {spec.name}"):
            MlClient(ctx.session).put(cloud_id, body)
        return self._reread(ctx, spec)

    def update(
        self, ctx: ResourceContext, spec: MlWorkspaceSpec, observed: dict[str, Any], changes: list[Any]
    ) -> dict[str, Any]:
        body = {"sku": {"name": spec.sku, "tier": spec.sku}, "tags": {**spec.tags, **ctx.managed_tags},
                "identity": identity_body(spec.identity, observed), "properties": self._settings(spec)}
        with azure_errors(f"updating ML workspace {spec.name}"):
            MlClient(ctx.session).patch(self.identify(ctx, spec), body)
        return self._reread(ctx, spec)

    def delete(self, ctx: ResourceContext, cloud_id: str, attributes: dict[str, Any]) -> None:
        name = arm_ids.parse(cloud_id).name
        ignore_not_found(f"deleting ML workspace {name}", lambda: MlClient(ctx.session).delete(cloud_id))

    @staticmethod
    def _settings(spec: MlWorkspaceSpec) -> dict[str, Any]:
        """The properties both create and update write."""
        properties: dict[str, Any] = {"publicNetworkAccess": spec.public_network_access}
        optional = {"applicationInsights": spec.application_insights, "containerRegistry": spec.container_registry,
                    "primaryUserAssignedIdentity": spec.primary_user_assigned_identity,
                    "description": spec.description, "friendlyName": spec.friendly_name}
        properties.update({key: value for key, value in optional.items() if value is not None})
        return properties

    def _reread(self, ctx: ResourceContext, spec: MlWorkspaceSpec) -> dict[str, Any]:
        return visible_after_write(self.read(ctx, self.identify(ctx, spec)), f"ML workspace {spec.name}")


def workspace_id(ctx: ResourceContext, resource_group: str, name: str) -> str:
    return arm_ids.resource_id(ctx.session.subscription_id, resource_group, NAMESPACE, "workspaces", name)
