"""Key Vault access policies (``properties.accessPolicies``) for ``azure.key_vault``: spec model,
wire shape and canonical form.

Names follow azurerm_key_vault's ``access_policy`` blocks (``tenant_id``, ``object_id``,
``key_permissions``, ``secret_permissions``, ``certificate_permissions``, ``storage_permissions``);
permission values are those of the REST spec (keyvault.json, ``Permissions``), written in any casing
(Terraform's ``Get``/``WrapKey`` and ARM's ``get``/``wrapKey`` are one value: ARM enums are
case-insensitive and the service answers in its own casing).

Canonical form (``canonical_policies``), equal for lists the service treats alike: ids lower-cased,
each permission list in the REST spec's spelling, de-duplicated and sorted (a set), entries sorted by
(tenant_id, object_id, application_id). Pure functions, no SDK.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from modelinfra.providers.azure.names import Guid
from modelinfra.spec.fields import SpecModel

PERMISSIONS: dict[str, tuple[str, ...]] = {
    "keys": ("all", "encrypt", "decrypt", "wrapKey", "unwrapKey", "sign", "verify", "get", "list", "create",
             "update", "import", "delete", "backup", "restore", "recover", "purge", "release", "rotate",
             "getrotationpolicy", "setrotationpolicy"),
    "secrets": ("all", "get", "list", "set", "delete", "backup", "restore", "recover", "purge"),
    "certificates": ("all", "get", "list", "delete", "create", "import", "update", "managecontacts", "getissuers",
                     "listissuers", "setissuers", "deleteissuers", "manageissuers", "recover", "purge", "backup",
                     "restore"),
    "storage": ("all", "get", "list", "delete", "set", "update", "regeneratekey", "recover", "purge", "backup",
                "restore", "setsas", "listsas", "getsas", "deletesas"),
}
FIELDS = {"key_permissions": "keys", "secret_permissions": "secrets",
          "certificate_permissions": "certificates", "storage_permissions": "storage"}
MAX_POLICIES = 1024  # the service's limit per vault


def canonical_permissions(kind: str, values: list[str]) -> list[str]:
    """``values`` in the REST spec's spelling, as a sorted set; ``ValueError`` for an unknown one."""
    spelling = {p.lower(): p for p in PERMISSIONS[kind]}
    out = set()
    for value in values:
        known = spelling.get(str(value).lower())
        if known is None:
            raise ValueError(f"unknown {kind} permission {value!r}; one of {', '.join(PERMISSIONS[kind])}")
        out.add(known)
    return sorted(out, key=str.lower)


class AccessPolicy(SpecModel):
    """One identity's data-plane permissions (an azurerm ``access_policy`` block)."""

    tenant_id: Guid | None = Field(None, description="Tenant of the identity; unset: the vault's tenant.")
    object_id: str = Field(description="Object id of the user, group or service principal (e.g. a managed "
                                       "identity's principal_id).")
    application_id: Guid | None = Field(None, description="Application id of a client acting for the identity "
                                                          "(a compound identity); usually unset.")
    key_permissions: list[str] = Field(default_factory=list, description="Key permissions, e.g. Get, WrapKey.")
    secret_permissions: list[str] = Field(default_factory=list, description="Secret permissions, e.g. Get, List.")
    certificate_permissions: list[str] = Field(default_factory=list, description="Certificate permissions.")
    storage_permissions: list[str] = Field(default_factory=list, description="Storage account key permissions.")

    @field_validator("object_id")
    @classmethod
    def _valid_object(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("object_id must not be empty")
        return value

    @field_validator(*FIELDS)
    @classmethod
    def _valid_permissions(cls, values: list[str], info: Any) -> list[str]:
        canonical_permissions(FIELDS[info.field_name], values)
        return values


def check_policies(policies: list[AccessPolicy] | None) -> list[AccessPolicy] | None:
    if policies is not None and len(policies) > MAX_POLICIES:
        raise ValueError(f"a vault holds at most {MAX_POLICIES} access policies (got {len(policies)})")
    return policies


def to_arm(policy: dict[str, Any], default_tenant: str) -> dict[str, Any]:
    """One spec-vocabulary policy as the wire's ``AccessPolicyEntry``."""
    entry: dict[str, Any] = {
        "tenantId": policy.get("tenant_id") or default_tenant,
        "objectId": policy["object_id"],
        "permissions": {kind: canonical_permissions(kind, policy.get(name) or []) for name, kind in FIELDS.items()},
    }
    if policy.get("application_id"):
        entry["applicationId"] = policy["application_id"]
    return entry


def from_arm(entry: dict[str, Any]) -> dict[str, Any]:
    """One ``AccessPolicyEntry`` in spec vocabulary (permissions as the service spells them)."""
    permissions = entry.get("permissions") or {}
    return {
        "tenant_id": entry.get("tenantId"),
        "object_id": entry.get("objectId"),
        "application_id": entry.get("applicationId"),
        **{name: list(permissions.get(kind) or []) for name, kind in FIELDS.items()},
    }


def canonical_policies(policies: Any) -> Any:
    """The canonical form of the module docstring; anything not a list of mappings as found."""
    if not isinstance(policies, list) or not all(isinstance(p, dict) for p in policies):
        return policies
    out = []
    for policy in policies:
        item = dict(policy)
        for key in ("tenant_id", "object_id", "application_id"):
            if isinstance(item.get(key), str):
                item[key] = item[key].lower()
        for name, kind in FIELDS.items():
            values = item.get(name)
            if isinstance(values, list) and all(isinstance(v, str) for v in values):
                try:
                    item[name] = canonical_permissions(kind, values)
                except ValueError:
                    item[name] = sorted(set(values))
        out.append(item)
    return sorted(out, key=lambda p: (str(p.get("tenant_id")), str(p.get("object_id")), str(p.get("application_id"))))
