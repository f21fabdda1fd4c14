"""Pure helpers on JSON bodies: merge-patch, defaults, dotted paths, location normalisation, and the
computed envelope parts several families answer (``systemData``, managed-identity ids)."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from typing import Any

READ_ONLY_KEYS = ("id", "name", "type", "etag", "systemData")
EMULATOR_TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
"""The tenant the emulator's managed identities live in (the one the specs' examples show)."""
EMULATOR_ACTOR = "modelinfra-emulator"


def merge_patch(target: dict[str, Any], patch: Mapping[str, Any], atomic: tuple[str, ...] = ("tags",),
                _prefix: str = "") -> dict[str, Any]:
    """RFC 7396 merge-patch, except that the dotted paths in ``atomic`` (``tags``, maps such as
    ``properties.metadata``) are replaced wholesale, as ARM does."""
    result = copy.deepcopy(target)
    for key, value in patch.items():
        path = _prefix + key
        if value is None:
            result.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(result.get(key), dict) and path not in atomic:
            result[key] = merge_patch(result[key], value, atomic, path + ".")
        else:
            result[key] = copy.deepcopy(value)
    return result


def with_defaults(defaults: Mapping[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
    """``body`` deep-merged over ``defaults`` (body wins; dicts merge recursively)."""
    result = copy.deepcopy(dict(defaults))
    for key, value in body.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), dict):
            result[key] = with_defaults(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def get_path(body: Mapping[str, Any], dotted: str, default: Any = None) -> Any:
    node: Any = body
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return default
        node = node[part]
    return node


def set_path(body: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = body
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value


def normalize_location(location: str) -> str:
    """ARM's canonical location name: ``"West US 2"`` -> ``"westus2"``."""
    return location.replace(" ", "").lower()


def strip_read_only(body: Mapping[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in body.items() if k not in READ_ONLY_KEYS}


def stable_guid(*parts: str) -> str:
    """A GUID that is the same for the same (case-insensitive) ``parts``: ids that must survive a PUT
    that replaces the resource (a managed identity's principal, a network id)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "|".join(part.lower() for part in parts)))


def system_data(existing: Mapping[str, Any] | None, now: str) -> dict[str, Any]:
    """ARM's ``systemData`` for a write at ``now``: creation facts kept from ``existing`` (the stored
    body, None on create), last-modified facts from this write."""
    created = (existing or {}).get("systemData") or {}
    return {"createdBy": created.get("createdBy", EMULATOR_ACTOR),
            "createdByType": created.get("createdByType", "Application"),
            "createdAt": created.get("createdAt", now),
            "lastModifiedBy": EMULATOR_ACTOR, "lastModifiedByType": "Application", "lastModifiedAt": now}


def fill_managed_identity(resource_id: str, identity: Any) -> None:
    """Add the ids Azure AD assigns to a ``ManagedServiceIdentity`` in place: ``principalId`` and
    ``tenantId`` when it is system-assigned, ``clientId``/``principalId`` per user-assigned identity.
    Stable for the resource id (and the identity id), so a replacing PUT keeps them."""
    if not isinstance(identity, dict):
        return
    kind = str(identity.get("type") or "").replace(" ", "").lower()
    if "systemassigned" in kind:
        identity["principalId"] = stable_guid(resource_id, "system-identity")
        identity["tenantId"] = EMULATOR_TENANT_ID
    users = identity.get("userAssignedIdentities")
    if isinstance(users, dict):
        for user_id in list(users):
            users[user_id] = {"clientId": stable_guid(user_id, "client"),
                              "principalId": stable_guid(user_id, "principal")}


IDENTITY_TYPES = {t.lower(): t for t in ("None", "SystemAssigned", "UserAssigned", "SystemAssigned,UserAssigned")}
"""``ManagedServiceIdentity.type`` values (v4 common types), keyed by their lower-case, spaceless form."""


def identity_problem(identity: Any) -> str | None:
    """What ARM refuses in a ``ManagedServiceIdentity`` (None: nothing): an unknown ``type`` (any
    casing and spacing is accepted), user identities without a ``UserAssigned`` type or the reverse,
    keys that are not user-assigned identity ids. Entries sent as ``null`` (removals) do not count."""
    if identity is None:
        return None
    if not isinstance(identity, dict):
        return "identity must be an object."
    kind = IDENTITY_TYPES.get(str(identity.get("type") or "").replace(" ", "").lower())
    if kind is None:
        return f"identity.type '{identity.get('type')}'. Supported: {', '.join(IDENTITY_TYPES.values())}."
    users = {k: v for k, v in (identity.get("userAssignedIdentities") or {}).items() if v is not None}
    if users and "UserAssigned" not in kind:
        return "userAssignedIdentities are only allowed with identity type UserAssigned."
    if "UserAssigned" in kind and not users:
        return f"identity type {kind} needs userAssignedIdentities."
    for key in users:
        if "/providers/microsoft.managedidentity/userassignedidentities/" not in key.lower():
            return f"'{key}' is not a user-assigned identity id."
    return None


def normalize_managed_identity(body: dict[str, Any]) -> None:
    """``body["identity"]`` (already checked by :func:`identity_problem`) as ARM answers it: the
    canonical type, the user identities not removed (``null``), and the ids Azure AD assigns."""
    identity = body.get("identity")
    if not isinstance(identity, dict):
        return
    kind = IDENTITY_TYPES[str(identity.get("type")).replace(" ", "").lower()]
    users = {key: {} for key, value in (identity.get("userAssignedIdentities") or {}).items() if value is not None}
    out: dict[str, Any] = {"type": kind, **({"userAssignedIdentities": users} if users else {})}
    fill_managed_identity(body["id"], out)
    body["identity"] = out
