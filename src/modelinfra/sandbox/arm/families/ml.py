"""``Microsoft.MachineLearningServices``: workspaces, model containers and model versions
(api-version 2025-12-01, the newest stable with all three; a few older stable versions accepted).

- workspaces: PUT 202 + ``Location`` (LRO; polled until 200 with the workspace), GET, PATCH 202
  (LRO), DELETE 202 (LRO; 204 when missing). ``properties.storageAccount`` is required and must
  name a storage account that exists in the emulator (400 ``ValidationError``); ``keyVault``,
  ``applicationInsights`` and ``containerRegistry`` must be well-formed ARM ids of their types when
  given (they are not looked up). ``storageAccount``, ``keyVault`` and ``hbiWorkspace`` cannot change
  after creation (400; ``hbiWorkspace`` is not among ``WorkspacePropertiesUpdateParameters``), while
  ``applicationInsights``, ``containerRegistry``, ``description``, ``friendlyName``,
  ``publicNetworkAccess``, ``primaryUserAssignedIdentity`` and the ``identity`` may (PUT or PATCH).
  ``identity`` is a ``ManagedServiceIdentity`` (``None``|``SystemAssigned``|``UserAssigned``|
  ``SystemAssigned,UserAssigned``, any casing in, canonical out; user identities sent as ``null`` are
  removed; a PATCHed identity replaces the stored one whole); with ``UserAssigned`` alone ``primaryUserAssignedIdentity`` is required, and when given it
  must be one of the workspace's user-assigned identities (400). Names: 3-33 letters, digits, hyphens
  and underscores, starting with a letter or digit. ``sku`` defaults to Basic, ``friendlyName`` to the
  name, ``hbiWorkspace`` to false; computed ``workspaceId``, ``discoveryUrl``,
  ``mlFlowTrackingUri``, ``creationTime``, ``privateLinkCount``, ``serviceProvisionedResourceGroup``,
  the identity's ``principalId``/``tenantId`` (and each user-assigned identity's ``clientId``/
  ``principalId``) and, when ``managedNetwork`` is given, its ``networkId``, ``status`` and each
  outbound rule's ``category``/``status`` (keys of the 2025-12-01 example Workspace/get.json).
- ``workspaces/{ws}/models/{name}`` (containers) and ``.../models/{name}/versions/{version}``:
  PUT 201 (200 when it exists), GET, DELETE 200 (204 when missing); a missing workspace or
  container is 404 ``ParentResourceNotFound``. A version's ``modelUri`` is required, its
  ``properties`` and ``tags`` are maps of strings (400 ``ValidationError``); ``modelUri`` and
  ``modelType`` are immutable, and ``properties`` may gain keys but not lose or change one (409
  ``Conflict`` when a PUT does); ``description``, ``tags`` and ``isArchived`` may change. ``modelType``
  is a free string (the SDKs write ``custom_model``/``mlflow_model``/``triton_model``, the REST
  examples ``CustomModel``...), default ``CustomModel``. Creating a version updates its container's
  ``latestVersion``/``nextVersion``.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from modelinfra.sandbox.arm.bodies import (
    get_path,
    identity_problem,
    normalize_managed_identity,
    stable_guid,
    system_data,
)
from modelinfra.sandbox.arm.errors import ArmError, bad_request, conflict
from modelinfra.sandbox.arm.lro import utc_now_iso
from modelinfra.sandbox.arm.resource_type import Family, Lro, RequestContext, ResourceType

API_VERSIONS = ("2025-12-01", "2025-09-01", "2025-06-01", "2024-10-01", "2024-04-01")
WORKSPACE_TYPE = "Microsoft.MachineLearningServices/workspaces"
CONTAINER_TYPE = "Microsoft.MachineLearningServices/workspaces/models"
VERSION_TYPE = "Microsoft.MachineLearningServices/workspaces/models/versions"
STORAGE_ACCOUNT_TYPE = "Microsoft.Storage/storageAccounts"

_WS_PATH = "resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningServices/workspaces/{workspaceName}"
_WORKSPACE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,32}$")
_ARM_ID = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/(?P<type>[^/]+/[^/]+)/[^/]+$",
                     re.IGNORECASE)
_REFERENCES = (("storageAccount", "Microsoft.Storage/storageAccounts"), ("keyVault", "Microsoft.KeyVault/vaults"),
               ("applicationInsights", "Microsoft.Insights/components"),
               ("containerRegistry", "Microsoft.ContainerRegistry/registries"))
_IMMUTABLE = ("storageAccount", "keyVault")


# -- workspaces ------------------------------------------------------------------------------------
def _validation_error(message: str) -> ArmError:
    return bad_request("ValidationError", message)


def _validate_workspace(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    name = body["name"]
    if not _WORKSPACE_NAME.match(name):
        raise _validation_error(f"Workspace name '{name}' is invalid: 3-33 letters, digits, hyphens and "
                                "underscores, starting with a letter or digit.")
    props = body.setdefault("properties", {})
    for key, arm_type in _REFERENCES:
        value = props.get(key)
        if value is None:
            continue
        match = _ARM_ID.match(str(value))
        if not match or match.group("type").lower() != arm_type.lower():
            raise _validation_error(f"properties.{key} '{value}' is not the ARM id of a {arm_type}.")
    account = props.get("storageAccount")
    if not account:
        raise _validation_error("properties.storageAccount is required.")
    record = ctx.store.get(account)
    if record is None or record.rtype.type != STORAGE_ACCOUNT_TYPE:
        raise _validation_error(f"The storage account '{account}' referenced by the workspace does not exist.")
    if existing is not None:
        for key in _IMMUTABLE:
            before = get_path(existing, f"properties.{key}")
            if before is not None and str(before).lower() != str(props.get(key) or "").lower():
                raise _validation_error(f"properties.{key} of an existing workspace cannot be changed.")
        if bool(get_path(existing, "properties.hbiWorkspace")) != bool(props.get("hbiWorkspace")):
            raise _validation_error("properties.hbiWorkspace of an existing workspace cannot be changed.")
    public = props.get("publicNetworkAccess")
    if public not in ("Enabled", "Disabled"):
        raise _validation_error(f"publicNetworkAccess '{public}' must be Enabled or Disabled.")
    if not isinstance(props.get("hbiWorkspace", False), bool):
        raise _validation_error("properties.hbiWorkspace must be a boolean.")
    for key in ("description", "friendlyName"):
        if props.get(key) is not None and not isinstance(props[key], str):
            raise _validation_error(f"properties.{key} must be a string.")
    _validate_identity(body.get("identity"), props.get("primaryUserAssignedIdentity"))


def _validate_identity(identity: Any, primary: Any) -> None:
    problem = identity_problem(identity)
    if problem is not None:
        raise _validation_error(problem)
    kind = str((identity or {}).get("type") or "").replace(" ", "").lower()
    users = {k.lower() for k, v in ((identity or {}).get("userAssignedIdentities") or {}).items() if v is not None}
    if kind == "userassigned" and not primary:
        raise _validation_error("properties.primaryUserAssignedIdentity is required when the workspace identity "
                                "type is UserAssigned.")
    if primary and str(primary).lower() not in users:
        raise _validation_error(f"properties.primaryUserAssignedIdentity '{primary}' is not one of the workspace's "
                                "user-assigned identities.")


def _normalize_workspace(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    body["sku"]["tier"] = body["sku"]["name"]
    props = body["properties"]
    props.setdefault("workspaceId", str(uuid.uuid4()))
    props.setdefault("creationTime", utc_now_iso())
    location = body.get("location") or "westus"
    props["discoveryUrl"] = f"https://{location}.api.azureml.ms/discovery"
    props["mlFlowTrackingUri"] = (f"azureml://{location}.api.azureml.ms/mlflow/v1.0/subscriptions/"
                                  f"{ctx.subscription_id}/resourceGroups/{ctx.params['resourceGroupName']}"
                                  f"/providers/Microsoft.MachineLearningServices/workspaces/{body['name']}")
    props.setdefault("friendlyName", body["name"])
    normalize_managed_identity(body)
    props["privateLinkCount"] = len(props.get("privateEndpointConnections") or [])
    props.setdefault("privateEndpointConnections", [])
    props["serviceProvisionedResourceGroup"] = f"{body['name']}_{stable_guid(body['id'])[:16].replace('-', '')}"
    _normalize_managed_network(body["id"], props.get("managedNetwork"))


def _normalize_managed_network(workspace_id: str, network: Any) -> None:
    """The computed parts of ``managedNetwork``: its id, its status (``Active`` once isolated; Spark
    is never made ready here), and each outbound rule's ``category``/``status`` (a rule the user adds
    is ``UserDefined`` and ``Inactive`` until compute provisions the network)."""
    if not isinstance(network, dict):
        return
    network.setdefault("isolationMode", "Disabled")
    network["networkId"] = stable_guid(workspace_id, "managedNetwork")
    network["status"] = {"status": "Inactive" if network["isolationMode"] == "Disabled" else "Active",
                         "sparkReady": False}
    for rule in (network.get("outboundRules") or {}).values():
        if isinstance(rule, dict):
            rule.setdefault("category", "UserDefined")
            rule.setdefault("status", "Inactive")


WORKSPACE = ResourceType(
    type=WORKSPACE_TYPE,
    path=_WS_PATH,
    api_versions=API_VERSIONS,
    put_lro=Lro("location"),
    patch_lro=Lro("location"),
    patch_replaces=("tags", "identity"),  # a PATCHed identity is taken whole (removed user identities: null)
    delete_lro=Lro("location"),
    defaults={"tags": {}, "sku": {"name": "Basic"}, "identity": {"type": "SystemAssigned"},
              "properties": {"publicNetworkAccess": "Enabled", "hbiWorkspace": False, "v1LegacyMode": False,
                             "allowPublicAccessWhenBehindVnet": False}},
    preserve=("properties.workspaceId", "properties.creationTime"),
    validate=_validate_workspace,
    normalize=_normalize_workspace,
)


# -- model containers and versions -----------------------------------------------------------------
def _normalize_asset(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    body["systemData"] = system_data(existing, utc_now_iso())
    props = body.setdefault("properties", {})
    for key, value in (("tags", {}), ("properties", {}), ("isArchived", False)):
        if props.get(key) is None:
            props[key] = value


def _validate_version(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    props = body.setdefault("properties", {})
    uri = props.get("modelUri")
    if not isinstance(uri, str) or not uri:
        raise _validation_error("properties.modelUri is required.")
    for key in ("properties", "tags"):
        value = props.get(key)
        if value is not None and (not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values())):
            raise _validation_error(f"properties.{key} must be a map of strings.")
    if existing is None:
        return
    before = get_path(existing, "properties.modelUri")
    if before != uri:
        raise conflict("Conflict", f"Model version '{body['name']}' already exists with modelUri '{before}'; a "
                       "model version is immutable: register a new version instead.")
    kind = get_path(existing, "properties.modelType")
    if kind != props.get("modelType"):
        raise conflict("Conflict", f"Model version '{body['name']}' already exists with modelType '{kind}'; a "
                       "model version is immutable: register a new version instead.")
    had, has = get_path(existing, "properties.properties") or {}, props.get("properties") or {}
    changed = sorted(key for key, value in had.items() if has.get(key) != value)
    if changed:
        raise conflict("Conflict", f"Properties {', '.join(changed)} of model version '{body['name']}' cannot be "
                       "removed or changed once set; only new properties can be added.")


def _version_created(ctx: RequestContext, body: dict[str, Any]) -> None:
    container = ctx.store.get(body["id"].rsplit("/versions/", 1)[0])
    if container is None:
        return
    props = container.body.setdefault("properties", {})
    props["latestVersion"] = body["name"]
    if body["name"].isdigit():
        props["nextVersion"] = str(max(int(body["name"]) + 1, int(props.get("nextVersion") or 1)))


CONTAINER = ResourceType(
    type=CONTAINER_TYPE,
    path=_WS_PATH + "/models/{name}",
    parent=WORKSPACE_TYPE,
    api_versions=API_VERSIONS,
    requires_location=False,
    put_status=(201, 200),
    patch=False,
    delete_status=200,
    defaults={"properties": {"nextVersion": "1"}},
    normalize=_normalize_asset,
)

VERSION = ResourceType(
    type=VERSION_TYPE,
    path=_WS_PATH + "/models/{name}/versions/{version}",
    parent=CONTAINER_TYPE,
    api_versions=API_VERSIONS,
    requires_location=False,
    put_status=(201, 200),
    patch=False,
    delete_status=200,
    defaults={"properties": {"modelType": "CustomModel", "isAnonymous": False, "flavors": {}}},
    validate=_validate_version,
    normalize=_normalize_asset,
    on_create=_version_created,
)

FAMILY = Family(name="ml", types=(WORKSPACE, CONTAINER, VERSION))
