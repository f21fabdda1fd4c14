"""Azure Monitor: ``Microsoft.OperationalInsights/workspaces`` (Log Analytics) and
``Microsoft.Insights/components`` (Application Insights, workspace-based).

Log Analytics workspaces (api-version 2023-09-01; 2025-02-01, 2022-10-01 and 2020-08-01 accepted;
``operationalinsights/.../stable/2023-09-01/Workspaces.json``, examples WorkspacesCreate.json,
WorkspacesGet.json, WorkspacesDelete.json):

- PUT 200 (create and replace; the spec allows 201/202, the service answers 200), GET 200, PATCH
  200, DELETE 200 (204 when missing). ``sku.name`` one of the spec's SKUs (400 ``InvalidParameter``);
  ``retentionInDays`` 30..730 for PerGB2018 (400). Names: 4-63 letters, digits and hyphens,
  starting and ending with a letter or digit (400 ``InvalidWorkspaceName``).
- computed: ``customerId`` (a GUID, kept across replaces), ``createdDate``, ``modifiedDate``,
  ``sku.lastSkuUpdate``, ``workspaceCapping``, ``features``, ``provisioningState`` Succeeded.

Application Insights components (api-version 2020-02-02; ``applicationinsights/.../stable/2020-02-02/
components_API.json``, examples ComponentsCreate.json, ComponentsGet.json, ComponentsUpdateTagsOnly.json):

- PUT 200 (create and replace), GET 200, PATCH 200 (``ComponentsUpdateTags``: only ``tags``),
  DELETE 200 (204 when missing). ``kind`` and ``properties.Application_Type`` (web|other) are
  required (400 ``BadRequest``); ``WorkspaceResourceId`` must name an existing Log Analytics
  workspace (400 ``BadRequest``) and then ``IngestionMode`` is ``LogAnalytics``.
- computed (PascalCase as the service writes them): ``AppId``, ``ApplicationId`` (the name),
  ``InstrumentationKey``, ``ConnectionString``, ``CreationDate``, ``TenantId``, ``Retention`` ...
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from modelinfra.sandbox.arm.bodies import get_path
from modelinfra.sandbox.arm.errors import bad_request
from modelinfra.sandbox.arm.lro import utc_now_iso
from modelinfra.sandbox.arm.resource_type import Family, RequestContext, ResourceType

WORKSPACE_API_VERSIONS = ("2023-09-01", "2025-02-01", "2022-10-01", "2020-08-01")
COMPONENT_API_VERSIONS = ("2020-02-02", "2015-05-01")
WORKSPACE_TYPE = "Microsoft.OperationalInsights/workspaces"
COMPONENT_TYPE = "Microsoft.Insights/components"
WORKSPACE_SKUS = ("Free", "Standard", "Premium", "PerNode", "PerGB2018", "Standalone", "CapacityReservation",
                  "LACluster")
TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"  # what the specs' examples show

_WORKSPACE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$")
_COMPONENT_FORBIDDEN = set("%&\\?/")


# -- Log Analytics workspaces ----------------------------------------------------------------------
def _validate_workspace(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    name = body["name"]
    if not _WORKSPACE_NAME.match(name):
        raise bad_request("InvalidWorkspaceName",
                          f"The workspace name '{name}' is invalid: 4-63 letters, digits and hyphens, starting and "
                          "ending with a letter or digit.")
    props = body.setdefault("properties", {})
    sku = get_path(props, "sku.name")
    if sku not in WORKSPACE_SKUS:
        raise bad_request("InvalidParameter", f"The sku '{sku}' is not valid; use one of {', '.join(WORKSPACE_SKUS)}.")
    days = props.get("retentionInDays")
    if sku == "PerGB2018" and (not isinstance(days, int) or not 30 <= days <= 730):
        raise bad_request("InvalidParameter", f"retentionInDays {days!r} must be between 30 and 730 for PerGB2018.")


def _normalize_workspace(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    props = body["properties"]
    now = utc_now_iso()
    props.setdefault("customerId", str(uuid.uuid4()))
    props.setdefault("createdDate", now)
    props["modifiedDate"] = now
    before = get_path(existing or {}, "properties.sku") or {}
    props["sku"]["lastSkuUpdate"] = before.get("lastSkuUpdate") if before.get("name") == props["sku"]["name"] \
        else now
    props.setdefault("workspaceCapping", {"dailyQuotaGb": -1.0, "quotaNextResetTime": now,
                                          "dataIngestionStatus": "RespectQuota"})


WORKSPACE = ResourceType(
    type=WORKSPACE_TYPE,
    path="resourceGroups/{resourceGroupName}/providers/Microsoft.OperationalInsights/workspaces/{workspaceName}",
    api_versions=WORKSPACE_API_VERSIONS,
    put_status=(200, 200),
    delete_status=200,
    defaults={"tags": {}, "properties": {
        "sku": {"name": "PerGB2018"}, "retentionInDays": 30, "source": "Azure",
        "publicNetworkAccessForIngestion": "Enabled", "publicNetworkAccessForQuery": "Enabled",
        "features": {"legacy": 0, "searchVersion": 1, "enableLogAccessUsingOnlyResourcePermissions": True}}},
    preserve=("properties.customerId", "properties.createdDate"),
    validate=_validate_workspace,
    normalize=_normalize_workspace,
)


# -- Application Insights components ---------------------------------------------------------------
def _validate_component(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    name = body["name"]
    if not 1 <= len(name) <= 260 or set(name) & _COMPONENT_FORBIDDEN or name.endswith((".", " ")):
        raise bad_request("BadRequest", f"The component name '{name}' is invalid: 1-260 characters, none of %&\\?/, "
                          "not ending with a period or space.")
    if not body.get("kind"):
        raise bad_request("BadRequest", "The kind property is required (web, ios, other, store, java, phone).")
    props = body.setdefault("properties", {})
    if props.get("Application_Type") not in ("web", "other"):
        raise bad_request("BadRequest", f"Application_Type {props.get('Application_Type')!r} must be web or other.")
    workspace = props.get("WorkspaceResourceId")
    if workspace:
        record = ctx.store.get(str(workspace))
        if record is None or record.rtype.type != WORKSPACE_TYPE:
            raise bad_request("BadRequest", f"The Log Analytics workspace '{workspace}' does not exist.")


def _normalize_component(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    props = body["properties"]
    props["ApplicationId"] = body["name"]
    props.setdefault("AppId", str(uuid.uuid4()))
    key = props.setdefault("InstrumentationKey", str(uuid.uuid4()))
    location = body.get("location") or "westus"
    props["ConnectionString"] = (f"InstrumentationKey={key};IngestionEndpoint=https://{location}-0.in."
                                 f"applicationinsights.azure.com/;LiveEndpoint=https://{location}.livediagnostics."
                                 f"monitor.azure.com/;ApplicationId={props['AppId']}")
    props.setdefault("CreationDate", utc_now_iso())
    props["TenantId"] = ctx.subscription_id
    props["IngestionMode"] = "LogAnalytics" if props.get("WorkspaceResourceId") else "ApplicationInsights"


COMPONENT = ResourceType(
    type=COMPONENT_TYPE,
    path="resourceGroups/{resourceGroupName}/providers/Microsoft.Insights/components/{resourceName}",
    api_versions=COMPONENT_API_VERSIONS,
    put_status=(200, 200),
    delete_status=200,
    defaults={"tags": {}, "properties": {
        "Flow_Type": "Bluefield", "Request_Source": "rest", "RetentionInDays": 90, "SamplingPercentage": None,
        "DisableIpMasking": False, "DisableLocalAuth": False, "ForceCustomerStorageForProfiler": False,
        "publicNetworkAccessForIngestion": "Enabled", "publicNetworkAccessForQuery": "Enabled",
        "HockeyAppId": None, "HockeyAppToken": None}},
    preserve=("properties.AppId", "properties.InstrumentationKey", "properties.CreationDate"),
    validate=_validate_component,
    normalize=_normalize_component,
)

FAMILY = Family(name="monitor", types=(WORKSPACE, COMPONENT))
