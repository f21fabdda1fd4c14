"""``azure.container_registry``: an Azure Container Registry (``Microsoft.ContainerRegistry/registries``,
api-version 2023-07-01). Cloud id: its ARM id.

Invariants: create is a PUT (LRO) and adopts; sku, ``admin_enabled``, ``public_network_access``
and tags update in place (PATCH, LRO); name, resource_group and location force replacement. The
admin user is off by default (use Entra identities and ``AcrPull`` role assignments instead);
disabling public network access needs the Premium SKU (checked at validate time).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field, model_validator

from modelinfra.providers.azure.names import AzureTags, Location, ResourceGroupName
from modelinfra.providers.azure.tracked import TrackedArmHandler
from modelinfra.providers.base import ResourceContext
from modelinfra.spec.fields import SpecModel

API_VERSION = "2023-07-01"
_NAME = re.compile(r"^[A-Za-z0-9]{5,50}$")


def check_registry_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"container registry name {name!r} must be 5 to 50 letters or digits")
    return name


class ContainerRegistrySpec(SpecModel):
    name: Annotated[str, AfterValidator(check_registry_name)]
    """Registry name, 5 to 50 letters and digits, globally unique (``<name>.azurecr.io``)."""
    resource_group: ResourceGroupName
    """Resource group it lives in (e.g. ``${rg.name}``)."""
    location: Location
    sku: Literal["Basic", "Standard", "Premium"] = Field("Basic", description="The registry's service tier.")
    admin_enabled: bool = Field(False, description="Enable the admin user (a shared username and password).")
    public_network_access: Literal["Enabled", "Disabled"] = Field(
        "Enabled", description="Whether the registry is reachable from public networks (Disabled needs Premium).")
    tags: AzureTags

    @model_validator(mode="after")
    def _private_needs_premium(self) -> ContainerRegistrySpec:
        if self.public_network_access == "Disabled" and self.sku != "Premium":
            raise ValueError("public_network_access: Disabled requires sku: Premium")
        return self


class ContainerRegistryHandler(TrackedArmHandler[ContainerRegistrySpec]):
    type_name: ClassVar[str] = "azure.container_registry"
    cloud_id_form: ClassVar[str] = "/subscriptions/SUB/resourceGroups/RG/providers/Microsoft.ContainerRegistry/registries/NAME"
    spec_model = ContainerRegistrySpec
    computed: ClassVar[tuple[str, ...]] = ("id", "login_server")
    force_new: ClassVar[tuple[str, ...]] = ("name", "resource_group", "location")
    namespace: ClassVar[str] = "Microsoft.ContainerRegistry"
    arm_type: ClassVar[str] = "registries"
    api_version: ClassVar[str] = API_VERSION
    label: ClassVar[str] = "container registry"
    update_by_patch: ClassVar[bool] = True

    def body(self, ctx: ResourceContext, spec: ContainerRegistrySpec) -> dict[str, Any]:
        return {"sku": {"name": spec.sku},
                "properties": {"adminUserEnabled": spec.admin_enabled,
                               "publicNetworkAccess": spec.public_network_access}}

    def attributes(self, body: dict[str, Any]) -> dict[str, Any]:
        props = body.get("properties") or {}
        return {"sku": (body.get("sku") or {}).get("name"), "admin_enabled": bool(props.get("adminUserEnabled")),
                "public_network_access": props.get("publicNetworkAccess"), "login_server": props.get("loginServer")}
