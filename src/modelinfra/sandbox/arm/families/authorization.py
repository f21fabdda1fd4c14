"""``Microsoft.Authorization``: role assignments (api-version 2022-04-01) and the built-in role
definitions they point at.

Wire shape from ``authorization/.../stable/2022-04-01/authorization-RoleAssignmentsCalls.json`` and
its examples (RoleAssignments_CreateForResourceGroup.json, RoleAssignments_Get.json,
RoleAssignments_Delete.json) and ``authorization-RoleDefinitionsCalls.json``:

- role assignments live under a *scope*: the subscription, a resource group or a (top-level)
  resource: ``{scope}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}``.
  PUT 201 (200 when the same assignment exists), GET 200, DELETE 200 (204 when missing); no PATCH.
  The name must be a GUID (400 ``InvalidRoleAssignmentId``); ``principalId`` a GUID (400
  ``InvalidPrincipalId``); ``roleDefinitionId`` an existing role definition (400
  ``RoleDefinitionDoesNotExist``). Another assignment of the same role to the same principal at
  the same scope is 409 ``RoleAssignmentExists``; a PUT changing role, principal or scope of an
  existing assignment is 400 ``RoleAssignmentUpdateNotPermitted``. A missing scope resource is 404.
  Computed: ``scope``, ``createdOn``, ``updatedOn``, ``createdBy``, ``updatedBy``.
- role definitions: ``GET providers/Microsoft.Authorization/roleDefinitions`` (``$filter=roleName eq
  '...'``) and ``.../roleDefinitions/{id}`` serve the built-in roles in ``BUILT_IN_ROLES``.
"""

from __future__ import annotations

import re
from typing import Any

from modelinfra.sandbox.arm.errors import bad_request, conflict, not_found
from modelinfra.sandbox.arm.lro import utc_now_iso
from modelinfra.sandbox.arm.resource_type import Family, ProviderAction, RequestContext, ResourceType

API_VERSIONS = ("2022-04-01", "2020-10-01-preview", "2015-07-01")
ASSIGNMENT_TYPE = "Microsoft.Authorization/roleAssignments"
DEFINITION_TYPE = "Microsoft.Authorization/roleDefinitions"
BUILT_IN_ROLES: dict[str, str] = {
    "Owner": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "Contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Storage Blob Data Reader": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    "AcrPull": "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    "AcrPush": "8311e382-0749-4cb8-b61a-304f252e45ec",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Key Vault Administrator": "00482a5a-887f-4fb3-b363-3b7fe8e74483",
    "AzureML Data Scientist": "f6c7c914-8db3-469d-8ca1-694a8f32e121",
    "Azure Service Bus Data Sender": "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39",
    "Azure Service Bus Data Receiver": "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0",
}
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_ROLE_NAME_FILTER = re.compile(r"^\s*roleName\s+eq\s+'((?:[^']|'')*)'\s*$", re.IGNORECASE)
_AUTHZ = re.compile(r"/providers/Microsoft\.Authorization/", re.IGNORECASE)
_RA = "providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}"


def _definition(subscription_id: str, name: str, guid: str) -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{subscription_id}/providers/{DEFINITION_TYPE}/{guid}",
        "name": guid, "type": DEFINITION_TYPE,
        "properties": {"roleName": name, "type": "BuiltInRole", "description": f"The built-in role {name}.",
                       "assignableScopes": ["/"], "permissions": [{"actions": [], "notActions": [],
                                                                  "dataActions": [], "notDataActions": []}],
                       "createdOn": "2015-02-02T21:55:09.8806423Z", "updatedOn": "2024-01-01T00:00:00.0000000Z",
                       "createdBy": None, "updatedBy": None},
    }


def _list_definitions(ctx: RequestContext, _body: Any) -> tuple[int, Any]:
    wanted = None
    raw = ctx.query.get("$filter")
    if raw:
        match = _ROLE_NAME_FILTER.match(raw)
        if not match:
            raise bad_request("InvalidFilterInQueryString", f"The filter '{raw}' is not supported.")
        wanted = match.group(1).replace("''", "'")
    items = [_definition(ctx.subscription_id, name, guid) for name, guid in BUILT_IN_ROLES.items()
             if wanted is None or name.lower() == wanted.lower()]
    return 200, {"value": items}


def _get_definition(ctx: RequestContext, _body: Any) -> tuple[int, Any]:
    guid = ctx.params["roleDefinitionId"].lower()
    for name, known in BUILT_IN_ROLES.items():
        if known == guid:
            return 200, _definition(ctx.subscription_id, name, guid)
    raise not_found("RoleDefinitionDoesNotExist", f"The specified role definition with ID '{guid}' does not exist.")


def _scope_of(resource_id: str) -> str:
    return _AUTHZ.split(resource_id, maxsplit=1)[0]


def _validate(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    name = body["name"]
    if not _GUID.match(name):
        raise bad_request("InvalidRoleAssignmentId",
                          f"The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID.")
    props = body.setdefault("properties", {})
    principal = str(props.get("principalId") or "")
    if not _GUID.match(principal):
        raise bad_request("InvalidPrincipalId", "A valid principal ID must be provided for role assignment.")
    definition = str(props.get("roleDefinitionId") or "")
    guid = definition.rstrip("/").rsplit("/", 1)[-1].lower()
    if f"/providers/{DEFINITION_TYPE}/".lower() not in definition.lower() or guid not in BUILT_IN_ROLES.values():
        raise bad_request("RoleDefinitionDoesNotExist",
                          f"The specified role definition with ID '{guid}' does not exist.")
    scope = _scope_of(body["id"])
    if existing is not None:
        before = existing.get("properties") or {}
        if before.get("principalId") != principal or \
                str(before.get("roleDefinitionId", "")).lower() != definition.lower():
            raise bad_request("RoleAssignmentUpdateNotPermitted",
                              "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.")
        return
    for record in ctx.store.of_type(ASSIGNMENT_TYPE):
        other = record.body.get("properties") or {}
        if (record.key != body["id"].lower() and str(other.get("scope", "")).lower() == scope.lower()
                and other.get("principalId") == principal
                and str(other.get("roleDefinitionId", "")).lower() == definition.lower()):
            raise conflict("RoleAssignmentExists", "The role assignment already exists.")


def _normalize(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    props = body["properties"]
    props["scope"] = _scope_of(body["id"])
    now = utc_now_iso()
    before = (existing or {}).get("properties") or {}
    props["createdOn"] = before.get("createdOn") or now
    props["updatedOn"] = now
    props["createdBy"] = before.get("createdBy") or "modelinfra-emulator"
    props["updatedBy"] = "modelinfra-emulator"
    for key in ("condition", "conditionVersion", "description", "delegatedManagedIdentityResourceId"):
        props.setdefault(key, None)
    props.setdefault("principalType", "User")


def _assignment(path: str, parent: str | None) -> ResourceType:
    return ResourceType(type=ASSIGNMENT_TYPE, path=path, parent=parent, api_versions=API_VERSIONS,
                        requires_location=False, provisioning_state=False, put_status=(201, 200), patch=False,
                        delete_status=200, not_found_code="RoleAssignmentNotFound",
                        validate=_validate, normalize=_normalize)


ASSIGNMENT_TYPES = (
    _assignment(_RA, None),
    _assignment("resourceGroups/{resourceGroupName}/" + _RA, "Microsoft.Resources/resourceGroups"),
    _assignment("resourceGroups/{resourceGroupName}/providers/{resourceProviderNamespace}/{resourceType}/"
                "{resourceName}/" + _RA, "(the scope resource)"),
)

FAMILY = Family(
    name="authorization",
    types=ASSIGNMENT_TYPES,
    provider_actions=(
        ProviderAction(f"providers/{DEFINITION_TYPE}", _list_definitions, method="GET", api_versions=API_VERSIONS),
        ProviderAction(f"providers/{DEFINITION_TYPE}/{{roleDefinitionId}}", _get_definition, method="GET",
                       api_versions=API_VERSIONS),
    ),
)
