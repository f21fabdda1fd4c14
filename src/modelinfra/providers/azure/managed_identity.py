"""The managed ``identity`` of an ARM resource (``ManagedServiceIdentity``), shared by every type that
has one (``azure.storage_account``, ``azure.ml_workspace``): its spec model, the envelope a create or
update writes, how a GET body reads back, and how two of them compare.

Invariants
- ``type`` is spelt as Terraform does (``"SystemAssigned, UserAssigned"``) and written as ARM does
  (``"SystemAssigned,UserAssigned"``); reading accepts any casing and spacing and ``None``.
- ``identity_ids`` are a set to the service: compared sorted and in canonical (lower-case) form, so
  neither the service's ordering nor its casing shows as a diff.
- an update that drops user-assigned identities names each dropped one with ``null`` (ARM's
  merge-patch removal), so a PATCH and a PUT leave the same identities behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from modelinfra.providers.azure import arm_ids
from modelinfra.providers.azure.names import arm_id_of
from modelinfra.spec.fields import SpecModel

IDENTITY_WIRE = {"SystemAssigned": "SystemAssigned", "UserAssigned": "UserAssigned",
                 "SystemAssigned, UserAssigned": "SystemAssigned,UserAssigned"}
IDENTITY_SPEC = {wire.lower(): spec for spec, wire in IDENTITY_WIRE.items()}

UserIdentityId = Annotated[str, arm_id_of("Microsoft.ManagedIdentity", "userAssignedIdentities")]


class ManagedIdentity(SpecModel):
    """The resource's managed identities."""

    type: Literal["SystemAssigned", "UserAssigned", "SystemAssigned, UserAssigned"] = Field(
        description="Which managed identities the resource has.")
    identity_ids: list[UserIdentityId] = Field(
        default_factory=list, description="ARM ids of the user-assigned identities (with UserAssigned).")

    @model_validator(mode="after")
    def _ids_match_type(self) -> ManagedIdentity:
        if "UserAssigned" in self.type and not self.identity_ids:
            raise ValueError(f"identity type {self.type!r} needs identity_ids")
        if "UserAssigned" not in self.type and self.identity_ids:
            raise ValueError("identity_ids need identity type UserAssigned or 'SystemAssigned, UserAssigned'")
        return self


def identity_body(identity: ManagedIdentity | None, observed: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """The ``identity`` envelope to write (None: not managed). ``observed``: the resource's attributes
    as last read (on update), whose user-assigned identities the spec no longer names are sent as
    ``null`` so the service drops them."""
    if identity is None:
        return None
    body: dict[str, Any] = {"type": IDENTITY_WIRE[identity.type]}
    wanted = {arm_ids.canonical(i) for i in identity.identity_ids}
    had = ((observed or {}).get("identity") or {}).get("identity_ids") or []
    dropped: dict[str, Any] = {i: None for i in had if arm_ids.canonical(i) not in wanted}
    if wanted or dropped:
        body["userAssignedIdentities"] = {**dropped, **{i: {} for i in identity.identity_ids}}
    return body


def read_identity(body: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ``identity`` attribute of a GET body (None when the resource has no managed identity)."""
    identity = body.get("identity") or {}
    kind = IDENTITY_SPEC.get(str(identity.get("type") or "None").replace(" ", "").lower())
    if kind is None:
        return None
    return {"type": kind, "identity_ids": list(identity.get("userAssignedIdentities") or {})}


def principal_id(body: Mapping[str, Any]) -> str | None:
    """The system-assigned identity's principal (what a role assignment grants to), if any."""
    return (body.get("identity") or {}).get("principalId")


def normalise_identity(value: Any) -> Any:
    """``value`` (an ``identity`` attribute) with its ids sorted and canonical; anything else as is."""
    if not isinstance(value, dict):
        return value
    ids = value.get("identity_ids") or []
    return {**value, "identity_ids": sorted(arm_ids.canonical(i) if arm_ids.is_arm_id(i) else i for i in ids)}
