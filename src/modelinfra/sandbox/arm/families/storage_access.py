"""Storage-account access settings as ``Microsoft.Storage`` serves them (2023-05-01 and later):
``networkAcls``, ``publicNetworkAccess``, ``allowSharedKeyAccess``, ``allowCrossTenantReplication``,
the managed ``identity`` and customer-managed-key ``encryption``. Used by ``storage.py``'s account
hooks; shares no code with the clients.

Wire rules kept here (from the REST spec and its x-ms-examples):
- ``networkAcls.defaultAction`` is ``Allow``|``Deny`` (required when ``networkAcls`` is sent);
  ``bypass`` a comma-separated combination of ``None``, ``Logging``, ``Metrics``, ``AzureServices``
  (spelt back canonically, ``"Logging, Metrics"``); ``ipRules`` ``[{value, action: Allow}]`` with an
  IPv4 address or CIDR; ``virtualNetworkRules`` ``[{id, action: Allow, state: Succeeded}]``.
- ``publicNetworkAccess`` is ``Enabled``|``Disabled``|``SecuredByPerimeter``.
- ``identity.type`` is ``None``|``SystemAssigned``|``UserAssigned``|``SystemAssigned,UserAssigned``
  (any casing in, canonical out); a system identity gets a ``principalId``/``tenantId``, each user
  identity ``{principalId, clientId}``; user identities without a ``UserAssigned`` type are 400.
  A PATCH replaces the whole ``identity`` (entries sent as ``null`` are dropped).
- ``encryption.keySource`` ``Microsoft.Keyvault`` needs ``keyvaultproperties.keyname`` and
  ``keyvaulturi``; ``encryption.identity.userAssignedIdentity`` must be one of the account's user
  identities (400 otherwise). The answer adds ``currentVersionedKeyIdentifier`` and
  ``lastKeyRotationTimestamp``.
- ``isHnsEnabled`` and ``encryption.requireInfrastructureEncryption`` cannot change once the
  account exists (400 ``InvalidValuesForRequestParameters``).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from modelinfra.sandbox.arm.bodies import get_path, identity_problem, normalize_managed_identity, stable_guid
from modelinfra.sandbox.arm.errors import ArmError, bad_request
from modelinfra.sandbox.arm.lro import utc_now_iso

BYPASS = {"none": "None", "logging": "Logging", "metrics": "Metrics", "azureservices": "AzureServices"}
PUBLIC_ACCESS = ("Enabled", "Disabled", "SecuredByPerimeter")
IMMUTABLE = ("properties.isHnsEnabled", "properties.encryption.requireInfrastructureEncryption")


def _invalid(message: str) -> ArmError:
    return bad_request("InvalidValuesForRequestParameters", f"Values for request parameters are invalid: {message}")


def validate(body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    """400 for what the service refuses in these settings (``body``: the would-be stored account)."""
    props = body.get("properties") or {}
    for name in ("allowSharedKeyAccess", "allowCrossTenantReplication", "isHnsEnabled"):
        if props.get(name) is not None and not isinstance(props[name], bool):
            raise _invalid(f"{name} must be a boolean.")
    access = props.get("publicNetworkAccess")
    if access is not None and access not in PUBLIC_ACCESS:
        raise _invalid(f"publicNetworkAccess '{access}'. Supported: {', '.join(PUBLIC_ACCESS)}.")
    _validate_acls(props.get("networkAcls"))
    _validate_identity(body.get("identity"))
    _validate_encryption(body, props.get("encryption") or {})
    if existing is not None:
        for path in IMMUTABLE:
            before, after = bool(get_path(existing, path)), bool(get_path(body, path))
            if before != after:
                raise _invalid(f"{path.rsplit('.', 1)[1]} cannot be changed once the account exists.")


def _validate_acls(acls: Any) -> None:
    if acls is None:
        return
    if not isinstance(acls, dict) or acls.get("defaultAction") not in ("Allow", "Deny"):
        raise _invalid("networkAcls.defaultAction must be Allow or Deny.")
    for part in str(acls.get("bypass") or "None").split(","):
        if part.strip().lower() not in BYPASS:
            raise _invalid(f"networkAcls.bypass '{acls.get('bypass')}': use a combination of None, Logging, "
                           "Metrics and AzureServices.")
    for rule in acls.get("ipRules") or []:
        value = str((rule or {}).get("value") or "")
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            network = None
        if network is None or network.version != 4:
            raise _invalid(f"networkAcls.ipRules value '{value}' is not an IPv4 address or range.")
    for rule in acls.get("virtualNetworkRules") or []:
        if "/subnets/" not in str((rule or {}).get("id") or "").lower():
            raise _invalid(f"networkAcls.virtualNetworkRules id '{(rule or {}).get('id')}' is not a subnet id.")


def _validate_identity(identity: Any) -> None:
    problem = identity_problem(identity)
    if problem is not None:
        raise _invalid(problem)


def _validate_encryption(body: dict[str, Any], encryption: dict[str, Any]) -> None:
    source = str(encryption.get("keySource") or "Microsoft.Storage")
    if source.lower() not in ("microsoft.storage", "microsoft.keyvault"):
        raise _invalid(f"encryption.keySource '{source}'. Supported: Microsoft.Storage, Microsoft.Keyvault.")
    if source.lower() != "microsoft.keyvault":
        return
    vault = encryption.get("keyvaultproperties") or {}
    if not vault.get("keyname") or not str(vault.get("keyvaulturi") or "").startswith("https://"):
        raise _invalid("encryption.keyvaultproperties needs keyname and an https keyvaulturi.")
    wanted = str(get_path(encryption, "identity.userAssignedIdentity") or "")
    users = {key.lower() for key in (get_path(body, "identity.userAssignedIdentities") or {})}
    if wanted and wanted.lower() not in users:
        raise bad_request("InvalidEncryptionIdentity",
                          f"The user assigned identity '{wanted}' is not associated with the storage account.")
    if not wanted and "SystemAssigned" not in str(get_path(body, "identity.type") or ""):
        raise bad_request("InvalidEncryptionIdentity",
                          "A customer-managed key needs a system-assigned identity or encryption.identity.")


def normalize(body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    """Canonical spellings and the computed fields the service adds to these settings."""
    props = body.setdefault("properties", {})
    acls = props.get("networkAcls")
    if isinstance(acls, dict):
        parts = [BYPASS[p.strip().lower()] for p in str(acls.get("bypass") or "None").split(",")]
        acls["bypass"] = ", ".join(p for p in parts if p != "None") or "None"
        acls["ipRules"] = [{"value": r["value"], "action": "Allow"} for r in acls.get("ipRules") or []]
        acls["virtualNetworkRules"] = [{"id": r["id"], "action": "Allow", "state": "Succeeded"}
                                       for r in acls.get("virtualNetworkRules") or []]
        acls.setdefault("resourceAccessRules", [])
    normalize_managed_identity(body)
    encryption = props.get("encryption") or {}
    vault = encryption.get("keyvaultproperties")
    if str(encryption.get("keySource") or "").lower() == "microsoft.keyvault" and isinstance(vault, dict):
        encryption["keySource"] = "Microsoft.Keyvault"
        before = get_path(existing or {}, "properties.encryption.keyvaultproperties") or {}
        version = vault.get("keyversion") or stable_guid(vault["keyvaulturi"], vault["keyname"]).replace("-", "")
        vault["currentVersionedKeyIdentifier"] = f"{vault['keyvaulturi'].rstrip('/')}/keys/{vault['keyname']}/{version}"
        vault["lastKeyRotationTimestamp"] = (before.get("lastKeyRotationTimestamp")
                                             if before.get("keyname") == vault["keyname"] else None) or utc_now_iso()
    elif isinstance(encryption, dict) and encryption:
        encryption.pop("keyvaultproperties", None)
        encryption.pop("identity", None)
