"""``azure.application_insights``: a workspace-based Application Insights component
(``Microsoft.Insights/components``, api-version 2020-02-02). Cloud id: its ARM id.

Invariants
- create and update are a PUT (the service replaces); name, resource_group and location force
  replacement. ``workspace_id`` (the ARM id of a Log Analytics workspace) is compared
  case-insensitively.
- ``instrumentation_key`` and ``connection_string`` are sensitive (whoever holds them can send
  telemetry; Terraform's azurerm marks both so): only ``read_sensitive`` returns them, so they never
  reach state, plans or drift reports. ``app_id`` is not a secret.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field

from modelinfra.providers.azure import arm_ids
from modelinfra.providers.azure.errors import azure_errors
from modelinfra.providers.azure.names import AzureTags, Location, ResourceGroupName
from modelinfra.providers.azure.tracked import TrackedArmHandler
from modelinfra.providers.base import ResourceContext
from modelinfra.spec.fields import SpecModel

API_VERSION = "2020-02-02"
_FORBIDDEN = set("%&\\?/")


def check_component_name(name: str) -> str:
    if not 1 <= len(name) <= 260:
        raise ValueError(f"Application Insights name {name!r} must be 1 to 260 characters long")
    if set(name) & _FORBIDDEN or name.endswith((".", " ")):
        raise ValueError(f"Application Insights name {name!r} must not contain any of %&\\?/ nor end with a "
                         "period or a space")
    return name


def _workspace_id(value: str) -> str:
    return arm_ids.check_arm_id(value, namespace="Microsoft.OperationalInsights", type_name="workspaces")


class ApplicationInsightsSpec(SpecModel):
    name: Annotated[str, AfterValidator(check_component_name)]
    """Component name, 1 to 260 characters, unique within the resource group."""
    resource_group: ResourceGroupName
    """Resource group it lives in (e.g. ``${rg.name}``)."""
    location: Location
    workspace_id: Annotated[str, AfterValidator(_workspace_id)] = Field(
        description="ARM id of the Log Analytics workspace the telemetry is stored in.")
    application_type: Literal["web", "other"] = Field("web", description="The kind of application monitored.")
    tags: AzureTags


class ApplicationInsightsHandler(TrackedArmHandler[ApplicationInsightsSpec]):
    type_name: ClassVar[str] = "azure.application_insights"
    cloud_id_form: ClassVar[str] = "/subscriptions/SUB/resourceGroups/RG/providers/Microsoft.Insights/components/NAME"
    spec_model = ApplicationInsightsSpec
    computed: ClassVar[tuple[str, ...]] = ("id", "app_id", "instrumentation_key", "connection_string")
    sensitive: ClassVar[tuple[str, ...]] = ("instrumentation_key", "connection_string")
    force_new: ClassVar[tuple[str, ...]] = ("name", "resource_group", "location")
    namespace: ClassVar[str] = "Microsoft.Insights"
    arm_type: ClassVar[str] = "components"
    api_version: ClassVar[str] = API_VERSION
    label: ClassVar[str] = "Application Insights"
    id_keys: ClassVar[tuple[str, ...]] = ("workspace_id",)

    def body(self, ctx: ResourceContext, spec: ApplicationInsightsSpec) -> dict[str, Any]:
        return {"kind": "web", "properties": {"Application_Type": spec.application_type,
                                              "WorkspaceResourceId": spec.workspace_id,
                                              "IngestionMode": "LogAnalytics"}}

    def attributes(self, body: dict[str, Any]) -> dict[str, Any]:
        props = body.get("properties") or {}
        return {"workspace_id": props.get("WorkspaceResourceId"), "application_type": props.get("Application_Type"),
                "app_id": props.get("AppId")}

    def read_sensitive(self, ctx: ResourceContext, cloud_id: str) -> dict[str, Any]:
        """The instrumentation key and connection string (fetched now, never stored)."""
        with azure_errors(f"reading the keys of Application Insights {arm_ids.parse(cloud_id).name}"):
            body = self.client(ctx).get(cloud_id) or {}
        props = body.get("properties") or {}
        return {"instrumentation_key": props.get("InstrumentationKey"),
                "connection_string": props.get("ConnectionString")}
