"""``azure.log_analytics_workspace``: a Log Analytics workspace
(``Microsoft.OperationalInsights/workspaces``, api-version 2023-09-01). Cloud id: its ARM id.

Invariants: create and update are a PUT (the service replaces); name, resource_group and location
force replacement; sku and retention update in place. ``workspace_id`` is the workspace's
``customerId`` (a GUID agents and queries use), as Terraform's azurerm names it.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field

from modelinfra.providers.azure.names import AzureTags, Location, ResourceGroupName
from modelinfra.providers.azure.tracked import TrackedArmHandler
from modelinfra.providers.base import ResourceContext
from modelinfra.spec.fields import SpecModel

API_VERSION = "2023-09-01"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$")


def check_workspace_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"Log Analytics workspace name {name!r} must be 4 to 63 letters, digits or hyphens, "
                         "starting and ending with a letter or digit")
    return name


class LogAnalyticsWorkspaceSpec(SpecModel):
    name: Annotated[str, AfterValidator(check_workspace_name)]
    """Workspace name, 4 to 63 letters, digits and hyphens."""
    resource_group: ResourceGroupName
    """Resource group it lives in (e.g. ``${rg.name}``)."""
    location: Location
    sku: Literal["PerGB2018"] = Field("PerGB2018", description="The pricing tier (pay per GB ingested).")
    retention_in_days: int = Field(30, ge=30, le=730, description="Days data is kept (30 to 730).")
    tags: AzureTags


class LogAnalyticsWorkspaceHandler(TrackedArmHandler[LogAnalyticsWorkspaceSpec]):
    type_name: ClassVar[str] = "azure.log_analytics_workspace"
    cloud_id_form: ClassVar[str] = "/subscriptions/SUB/resourceGroups/RG/providers/Microsoft.OperationalInsights/workspaces/NAME"
    spec_model = LogAnalyticsWorkspaceSpec
    computed: ClassVar[tuple[str, ...]] = ("id", "workspace_id")
    force_new: ClassVar[tuple[str, ...]] = ("name", "resource_group", "location")
    namespace: ClassVar[str] = "Microsoft.OperationalInsights"
    arm_type: ClassVar[str] = "workspaces"
    api_version: ClassVar[str] = API_VERSION
    label: ClassVar[str] = "Log Analytics workspace"

    def body(self, ctx: ResourceContext, spec: LogAnalyticsWorkspaceSpec) -> dict[str, Any]:
        return {"properties": {"sku": {"name": spec.sku}, "retentionInDays": spec.retention_in_days}}

    def attributes(self, body: dict[str, Any]) -> dict[str, Any]:
        props = body.get("properties") or {}
        return {"sku": (props.get("sku") or {}).get("name"), "retention_in_days": props.get("retentionInDays"),
                "workspace_id": props.get("customerId")}
