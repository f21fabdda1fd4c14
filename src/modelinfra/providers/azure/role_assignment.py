"""``azure.role_assignment``: a role assignment (``Microsoft.Authorization/roleAssignments``,
api-version 2022-04-01) of a role to a principal at a scope. Cloud id: its ARM id
``{scope}/providers/Microsoft.Authorization/roleAssignments/{name}``.

Invariants
- the name is a UUID derived from scope, role and principal (``assignment_name``: uuid5, scope and
  ids compared case-insensitively), so ``identify`` needs no cloud call and an interrupted create
  is found again; the same role given by name or by id yields different names (a replacement).
- a role assignment is immutable: every property forces replacement; ``update`` is never planned.
- ``role_definition_name`` is resolved to the role definition id at create time
  (``GET /subscriptions/{id}/providers/Microsoft.Authorization/roleDefinitions?$filter=roleName eq
  '...'``); read answers both the id and the name. An unknown role name is a ``TerminalError``.
- delete of a missing assignment is success.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field, model_validator

from modelinfra.errors import TerminalError
from modelinfra.providers.azure import arm_ids
from modelinfra.providers.azure.errors import (
    azure_errors,
    ignore_not_found,
    read_or_none,
    visible_after_write,
)
from modelinfra.providers.azure.names import Guid
from modelinfra.providers.azure.rest_client import ArmRestClient
from modelinfra.providers.base import ResourceContext, ResourceHandler
from modelinfra.spec.fields import SpecModel

API_VERSION = "2022-04-01"
AUTHZ = "/providers/Microsoft.Authorization"
_NAMESPACE = uuid.UUID("6f3c0f0e-6d4e-4a53-9a8e-6d6f64656c69")  # modelinfra's uuid5 namespace for assignments


def _scope(value: str) -> str:
    return arm_ids.check_arm_id(value)


def _role_definition_id(value: str) -> str:
    return arm_ids.check_arm_id(value, namespace="Microsoft.Authorization", type_name="roleDefinitions")


class RoleAssignmentSpec(SpecModel):
    scope: Annotated[str, AfterValidator(_scope)] = Field(
        description="ARM id of what the role applies to: a subscription, a resource group or a resource.")
    role_definition_name: str | None = Field(
        None, description="A role's name (Contributor, AcrPull...); exclusive with role_definition_id.")
    role_definition_id: Annotated[str, AfterValidator(_role_definition_id)] | None = Field(
        None, description="A role definition's ARM id; exclusive with role_definition_name.")
    principal_id: Guid = Field(description="Object id of the user, group or service principal granted the role.")
    principal_type: Literal["User", "Group", "ServicePrincipal", "ForeignGroup", "Device"] = Field(
        "ServicePrincipal", description="What kind of principal principal_id names.")

    @model_validator(mode="after")
    def _exactly_one_role(self) -> RoleAssignmentSpec:
        if (self.role_definition_name is None) == (self.role_definition_id is None):
            raise ValueError("give exactly one of role_definition_name and role_definition_id")
        return self


def assignment_name(scope: str, role: str, principal_id: str) -> str:
    """The deterministic assignment name (a GUID) for this scope, role (name or id) and principal."""
    key = "|".join((arm_ids.canonical(scope), role.strip().lower(), principal_id.lower()))
    return str(uuid.uuid5(_NAMESPACE, key))


class RoleAssignmentHandler(ResourceHandler[RoleAssignmentSpec]):
    type_name: ClassVar[str] = "azure.role_assignment"
    cloud_id_form: ClassVar[str] = "SCOPE/providers/Microsoft.Authorization/roleAssignments/NAME (SCOPE: the ARM id it is assigned at)"
    cloud: ClassVar[str] = "azure"
    spec_model = RoleAssignmentSpec
    computed: ClassVar[tuple[str, ...]] = ("id",)
    force_new: ClassVar[tuple[str, ...]] = ("scope", "role_definition_name", "role_definition_id", "principal_id",
                                            "principal_type")

    def identify(self, ctx: ResourceContext, spec: RoleAssignmentSpec) -> str:
        role = spec.role_definition_id or spec.role_definition_name or ""
        name = assignment_name(spec.scope, role, spec.principal_id)
        return f"{spec.scope.rstrip('/')}{AUTHZ}/roleAssignments/{name}"

    def normalise(self, attributes: dict[str, Any]) -> dict[str, Any]:
        out = arm_ids.normalise_attributes(attributes, id_keys=("scope", "role_definition_id"))
        if isinstance(out.get("principal_id"), str):
            out["principal_id"] = out["principal_id"].lower()
        return out

    def read(self, ctx: ResourceContext, cloud_id: str) -> dict[str, Any] | None:
        client = ArmRestClient(ctx.session, API_VERSION)
        body = read_or_none("reading role assignment " + cloud_id, lambda: client.get(cloud_id))
        if body is None:
            return None
        props = body.get("properties") or {}
        definition_id = str(props.get("roleDefinitionId") or "")
        definition = read_or_none("reading role definition " + definition_id, lambda: client.get(definition_id))
        return self.normalise({
            "scope": props.get("scope"),
            "role_definition_name": ((definition or {}).get("properties") or {}).get("roleName"),
            "role_definition_id": definition_id,
            "principal_id": props.get("principalId"),
            "principal_type": props.get("principalType"),
            "id": cloud_id,
        })

    def create(self, ctx: ResourceContext, spec: RoleAssignmentSpec) -> dict[str, Any]:
        cloud_id = self.identify(ctx, spec)
        body = {"properties": {"roleDefinitionId": self._role_id(ctx, spec), "principalId": spec.principal_id,
                               "principalType": spec.principal_type}}
        with azure_errors(f"assigning {spec.role_definition_name or spec.role_definition_id} at {spec.scope}"):
            ArmRestClient(ctx.session, API_VERSION).put(cloud_id, body)
        return visible_after_write(self.read(ctx, cloud_id), "role assignment " + cloud_id)

    def update(self, ctx: ResourceContext, spec: RoleAssignmentSpec, observed: dict[str, Any],
               changes: list[Any]) -> dict[str, Any]:
        raise TerminalError("a role assignment cannot change in place; every property forces replacement")

    def delete(self, ctx: ResourceContext, cloud_id: str, attributes: dict[str, Any]) -> None:
        ignore_not_found("deleting role assignment " + cloud_id,
                         lambda: ArmRestClient(ctx.session, API_VERSION).delete(cloud_id))

    @staticmethod
    def _role_id(ctx: ResourceContext, spec: RoleAssignmentSpec) -> str:
        if spec.role_definition_id is not None:
            return spec.role_definition_id
        name = spec.role_definition_name or ""
        path = f"/subscriptions/{ctx.session.subscription_id}{AUTHZ}/roleDefinitions"
        with azure_errors(f"looking up role {name!r}"):
            found = ArmRestClient(ctx.session, API_VERSION).list(
                path, {"$filter": f"roleName eq '{name.replace(chr(39), chr(39) * 2)}'"})
        if not found:
            raise TerminalError(f"role {name!r} does not exist in subscription {ctx.session.subscription_id}")
        return str(found[0]["id"])
