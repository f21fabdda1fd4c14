"""``azure.ml_workspace``: an Azure Machine Learning workspace. Cloud id: its ARM id.

Talks to api-version 2025-12-01 through :class:`~modelinfra.providers.azure.ml_client.MlClient`.

Invariants
- create is a PUT (LRO); adopting an existing workspace converges it. ``application_insights``,
  ``sku``, ``public_network_access`` and tags update in place (PATCH, LRO).
- name, resource_group, location, ``storage_account`` and ``key_vault`` force replacement: the
  service cannot re-point a workspace at another storage account or key vault.
- referenced ids (``storage_account``, ``key_vault``, ``application_insights``) are compared
  case-insensitively (ARM may answer in other casing): they are normalised to lower case on both
  sides.
- delete is an LRO; a missing workspace is success.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator

from modelinfra.providers.azure import arm_ids
from modelinfra.providers.azure.errors import (
    azure_errors,
    ignore_not_found,
    read_or_none,
    visible_after_write,
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
ID_PROPERTIES = ("storage_account", "key_vault", "application_insights")
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
    tags: AzureTags


class MlWorkspaceHandler(ResourceHandler[MlWorkspaceSpec]):
    type_name: ClassVar[str] = "azure.ml_workspace"
    cloud_id_form: ClassVar[str] = "/subscriptions/SUB/resourceGroups/RG/providers/Microsoft.MachineLearningServices/workspaces/NAME"
    cloud: ClassVar[str] = "azure"
    spec_model = MlWorkspaceSpec
    computed: ClassVar[tuple[str, ...]] = ("id",)
    force_new: ClassVar[tuple[str, ...]] = ("name", "resource_group", "location", "storage_account", "key_vault")
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
            "tags": strip_managed_tags(body.get("tags")),
            "id": cloud_id,
        })

    def create(self, ctx: ResourceContext, spec: MlWorkspaceSpec) -> dict[str, Any]:
        cloud_id = self.identify(ctx, spec)
        properties = {**self._settings(spec), "storageAccount": spec.storage_account, "keyVault": spec.key_vault}
        body = {
            "location": normalise_location(spec.location),
            "identity": {"type": "SystemAssigned"},
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
                "properties": self._settings(spec)}
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
        if spec.application_insights is not None:
            properties["applicationInsights"] = spec.application_insights
        return properties

    def _reread(self, ctx: ResourceContext, spec: MlWorkspaceSpec) -> dict[str, Any]:
        return visible_after_write(self.read(ctx, self.identify(ctx, spec)), f"ML workspace {spec.name}")


def workspace_id(ctx: ResourceContext, resource_group: str, name: str) -> str:
    return arm_ids.resource_id(ctx.session.subscription_id, resource_group, NAMESPACE, "workspaces", name)
