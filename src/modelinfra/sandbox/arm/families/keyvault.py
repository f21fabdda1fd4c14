"""``Microsoft.KeyVault/vaults`` (api-version 2023-07-01, the newest stable the specs' examples use
for vaults; 2024-11-01 and 2022-07-01 accepted).

Wire shape and codes from ``keyvault/resource-manager/Microsoft.KeyVault/stable/2023-07-01/keyvault.json``
and its x-ms-examples (createVault.json, getVault.json, updateVault.json, deleteVault.json):

- PUT 201 (create) / 200 (replace); GET 200; PATCH 200 (merge of ``properties``); DELETE 200, 204
  when missing. ``properties.tenantId`` (a GUID) and ``properties.sku`` (``family`` A, ``name``
  standard|premium) are required (400 ``BadRequest``); ``location`` is required.
- names: 3-24 letters, digits and hyphens, starting with a letter, ending with a letter or digit,
  no consecutive hyphens (400 ``VaultNameNotValid``); globally unique (409 ``VaultAlreadyExists``).
- ``softDeleteRetentionInDays`` 7..90 (default 90); ``enableSoftDelete`` defaults to true and cannot
  be turned off; ``enablePurgeProtection`` once true cannot be set false (400 ``BadRequest``).
- computed: ``vaultUri`` (``https://{name}.vault.azure.net/``), ``hsmPoolResourceId``,
  ``provisioningState`` Succeeded, ``systemData`` (as getVault.json shows it). ``networkAcls``: ``bypass`` AzureServices|None, ``defaultAction``
  Allow|Deny, ``ipRules`` [{value}], ``virtualNetworkRules`` [{id}].
- ``accessPolicies`` (``AccessPolicyEntry``): at most 1024 entries, each with ``tenantId`` (GUID),
  ``objectId`` (a non-empty string), optional ``applicationId`` (GUID) and ``permissions`` {``keys``,
  ``secrets``, ``certificates``, ``storage``: lists of the spec's enum values}; anything else is 400
  ``BadRequest`` naming the path. Enums are matched case-insensitively and stored in the spec's
  spelling (``Get`` comes back ``get``, ``WRAPKEY`` as ``wrapKey``), as the service answers in its
  own casing. Policies are kept (not applied) while ``enableRbacAuthorization`` is true.
- soft delete is not emulated: a deleted vault is gone at once (its name free again).
"""

from __future__ import annotations

import re
from typing import Any

from modelinfra.sandbox.arm.bodies import get_path, system_data
from modelinfra.sandbox.arm.errors import bad_request, conflict
from modelinfra.sandbox.arm.lro import utc_now_iso
from modelinfra.sandbox.arm.resource_type import Family, RequestContext, ResourceType

API_VERSIONS = ("2023-07-01", "2024-11-01", "2022-07-01")
VAULT_TYPE = "Microsoft.KeyVault/vaults"
_NAME = re.compile(r"^[A-Za-z](?!.*--)[A-Za-z0-9-]{1,22}[A-Za-z0-9]$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
MAX_ACCESS_POLICIES = 1024
PERMISSIONS: dict[str, tuple[str, ...]] = {  # keyvault.json 2023-07-01, definitions/Permissions
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


def _check_access_policies(policies: Any) -> None:
    """``properties.accessPolicies`` against ``AccessPolicyEntry``; 400 BadRequest naming the path."""
    if not isinstance(policies, list):
        raise bad_request("BadRequest", "properties.accessPolicies must be an array.")
    if len(policies) > MAX_ACCESS_POLICIES:
        raise bad_request("BadRequest", f"A vault can hold at most {MAX_ACCESS_POLICIES} access policies.")
    for index, entry in enumerate(policies):
        where = f"properties.accessPolicies[{index}]"
        if not isinstance(entry, dict):
            raise bad_request("BadRequest", f"{where} must be an object.")
        if not _GUID.match(str(entry.get("tenantId") or "")):
            raise bad_request("BadRequest", f"{where}.tenantId is required and must be a GUID.")
        if not isinstance(entry.get("objectId"), str) or not entry["objectId"]:
            raise bad_request("BadRequest", f"{where}.objectId is required.")
        if entry.get("applicationId") is not None and not _GUID.match(str(entry["applicationId"])):
            raise bad_request("BadRequest", f"{where}.applicationId must be a GUID.")
        permissions = entry.get("permissions")
        if not isinstance(permissions, dict):
            raise bad_request("BadRequest", f"{where}.permissions is required.")
        for kind, values in permissions.items():
            if kind not in PERMISSIONS or not isinstance(values, list):
                raise bad_request("BadRequest", f"{where}.permissions.{kind} is not a permission list "
                                                f"(keys, secrets, certificates, storage).")
            spelling = {p.lower(): p for p in PERMISSIONS[kind]}
            for value in values:
                if str(value).lower() not in spelling:
                    raise bad_request("BadRequest", f"Invalid value '{value}' at {where}.permissions.{kind}; "
                                                    f"allowed: {', '.join(PERMISSIONS[kind])}.")


def _canonical_access_policies(policies: list[dict[str, Any]]) -> None:
    for entry in policies:
        for kind, values in entry["permissions"].items():
            spelling = {p.lower(): p for p in PERMISSIONS[kind]}
            entry["permissions"][kind] = [spelling[str(v).lower()] for v in values]


def _validate(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    name = body["name"]
    if not _NAME.match(name):
        raise bad_request("VaultNameNotValid",
                          f"The vault name '{name}' is invalid: 3-24 letters, digits and hyphens, starting with a "
                          "letter, ending with a letter or digit, without consecutive hyphens.")
    if ctx.store.name_taken(VAULT_TYPE, body):
        raise conflict("VaultAlreadyExists", f"The vault name '{name}' is already in use.")
    props = body.setdefault("properties", {})
    if not _GUID.match(str(props.get("tenantId") or "")):
        raise bad_request("BadRequest", "properties.tenantId is required and must be a GUID.")
    sku = props.get("sku") or {}
    if sku.get("name") not in ("standard", "premium") or sku.get("family", "A") != "A":
        raise bad_request("BadRequest", f"properties.sku {sku!r} is invalid: family A, name standard or premium.")
    days = props.get("softDeleteRetentionInDays")
    if not isinstance(days, int) or not 7 <= days <= 90:
        raise bad_request("BadRequest", f"softDeleteRetentionInDays {days!r} must be between 7 and 90.")
    if props.get("enableSoftDelete") is False:
        raise bad_request("BadRequest", "Soft delete cannot be disabled (enableSoftDelete must be true).")
    if existing is not None and get_path(existing, "properties.enablePurgeProtection") and \
            props.get("enablePurgeProtection") is not True:
        raise bad_request("BadRequest", "Purge protection of a vault cannot be disabled once enabled.")
    if props.get("accessPolicies") is not None:
        _check_access_policies(props["accessPolicies"])
    acls = props.get("networkAcls")
    if acls is not None:
        if acls.get("defaultAction", "Allow") not in ("Allow", "Deny") or \
                acls.get("bypass", "AzureServices") not in ("AzureServices", "None"):
            raise bad_request("BadRequest", f"networkAcls {acls!r}: defaultAction Allow|Deny, bypass AzureServices|None.")


def _normalize(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    body["systemData"] = system_data(existing, utc_now_iso())
    props = body["properties"]
    props["sku"].setdefault("family", "A")
    props["vaultUri"] = f"https://{body['name'].lower()}.vault.azure.net/"
    if props.get("enablePurgeProtection") is None:
        props.pop("enablePurgeProtection", None)  # the service leaves it out until it is set
    _canonical_access_policies(props.get("accessPolicies") or [])
    acls = props.get("networkAcls")
    if acls is not None:
        acls.setdefault("bypass", "AzureServices")
        acls.setdefault("defaultAction", "Allow")
        acls.setdefault("ipRules", [])
        acls.setdefault("virtualNetworkRules", [])


VAULT = ResourceType(
    type=VAULT_TYPE,
    path="resourceGroups/{resourceGroupName}/providers/Microsoft.KeyVault/vaults/{vaultName}",
    api_versions=API_VERSIONS,
    put_status=(201, 200),
    delete_status=200,
    patch_replaces=("tags", "properties.accessPolicies", "properties.networkAcls"),
    defaults={"tags": {}, "properties": {
        "accessPolicies": [], "enabledForDeployment": False, "enabledForDiskEncryption": False,
        "enabledForTemplateDeployment": False, "enableSoftDelete": True, "softDeleteRetentionInDays": 90,
        "enableRbacAuthorization": False, "publicNetworkAccess": "Enabled", "hsmPoolResourceId": None}},
    validate=_validate,
    normalize=_normalize,
)

FAMILY = Family(name="keyvault", types=(VAULT,))
