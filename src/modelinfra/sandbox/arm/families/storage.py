"""``Microsoft.Storage``: storage accounts, the blob service singleton and blob containers.

Wire shapes follow the 2026-09-01 REST spec that azure-mgmt-storage 25.3 speaks (``properties``
nested, never flattened):

- storageAccounts: PUT 202 + ``Location`` (+ ``Retry-After``), polled until 200 with the account;
  GET; PATCH 200; DELETE 200 (204 when missing); POST ``listKeys`` (``$expand=kerb`` accepted);
  subscription POST ``providers/Microsoft.Storage/checkNameAvailability``. Names are 3-24 lowercase
  alphanumerics (400 ``AccountNameInvalid``) and globally unique (409 ``StorageAccountAlreadyTaken``).
  ``primaryEndpoints.blob`` is the emulator's Azurite endpoint; ``listKeys`` key1 is its key.
- blobServices/default: created with the account; GET/PUT 200. A PUT merges into the stored
  properties (unnamed properties keep their values). ``restorePolicy`` needs versioning, change feed
  and a delete retention longer than the restore window (400 ``InvalidBlobServiceProperties``).
- containers: PUT 201 (200 when it exists), GET, PATCH 200, DELETE 200 (204 when missing); mirrored
  into Azurite. ``publicAccess`` other than ``None`` on an account without ``allowBlobPublicAccess``
  is 409 ``PublicAccessNotPermitted``.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from typing import Any

from modelinfra.sandbox.arm.bodies import get_path, with_defaults
from modelinfra.sandbox.arm.errors import ArmError, bad_request, conflict
from modelinfra.sandbox.arm.families import storage_access
from modelinfra.sandbox.arm.lro import utc_now_iso
from modelinfra.sandbox.arm.resource_type import Family, Lro, ProviderAction, RequestContext, ResourceType
from modelinfra.sandbox.arm.store import Record

API_VERSIONS = ("2026-09-01", "2025-08-01", "2025-06-01", "2025-01-01", "2024-01-01", "2023-05-01",
                "2023-01-01", "2022-09-01")

ACCOUNT_TYPE = "Microsoft.Storage/storageAccounts"
BLOB_SERVICE_TYPE = "Microsoft.Storage/storageAccounts/blobServices"
CONTAINER_TYPE = "Microsoft.Storage/storageAccounts/blobServices/containers"

_ACCOUNT_NAME = re.compile(r"^[a-z0-9]{3,24}$")
_CONTAINER_NAME = re.compile(r"^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_METADATA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SKUS = ("Standard_LRS", "Standard_GRS", "Standard_RAGRS", "Standard_ZRS", "Premium_LRS", "Premium_ZRS",
        "Standard_GZRS", "Standard_RAGZRS", "StandardV2_LRS", "StandardV2_ZRS", "StandardV2_GRS",
        "StandardV2_GZRS", "PremiumV2_LRS", "PremiumV2_ZRS")
KINDS = ("Storage", "StorageV2", "BlobStorage", "FileStorage", "BlockBlobStorage")
_PUBLIC_ACCESS = {"none": "None", "blob": "Blob", "container": "Container"}


# -- storage accounts ------------------------------------------------------------------------------
def name_problem(ctx: RequestContext, name: str, own_id: str | None = None) -> tuple[str, str] | None:
    """(reason, message) when ``name`` cannot be used for a new account, else None."""
    if not _ACCOUNT_NAME.match(name):
        return ("AccountNameInvalid",
                f"{name} is not a valid storage account name. Storage account name must be between 3 and 24 "
                "characters in length and use numbers and lower-case letters only.")
    for record in ctx.store.of_type(ACCOUNT_TYPE):
        if record.body.get("name", "").lower() == name.lower() and record.key != (own_id or "").lower():
            return ("AlreadyExists", f"The storage account named {name} is already taken.")
    return None


def _validate_account(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    problem = name_problem(ctx, body["name"], body["id"])
    if problem:
        reason, message = problem
        if reason == "AccountNameInvalid":
            raise bad_request("AccountNameInvalid", message)
        raise conflict("StorageAccountAlreadyTaken", message)
    sku = get_path(body, "sku.name")
    if sku is None:
        raise bad_request("MissingRequiredProperty", "The 'sku' property is required.")
    if sku not in SKUS:
        raise bad_request("SkuNotSupported", f"The sku '{sku}' is not supported. Supported: {', '.join(SKUS)}.")
    if body.get("kind") not in KINDS:
        raise bad_request("InvalidValuesForRequestParameters", f"Values for request parameters are invalid: kind "
                          f"'{body.get('kind')}'. Supported: {', '.join(KINDS)}.")
    tls = get_path(body, "properties.minimumTlsVersion")
    if tls not in ("TLS1_0", "TLS1_1", "TLS1_2", "TLS1_3"):
        raise bad_request("InvalidValuesForRequestParameters", f"minimumTlsVersion '{tls}' is invalid.")
    storage_access.validate(body, existing)


def _blob_endpoint(ctx: RequestContext, name: str) -> str:
    if ctx.config.blob_endpoint:
        return ctx.config.blob_endpoint.rstrip("/") + "/"
    return f"https://{name}.blob.core.windows.net/"


def _normalize_account(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    name = body["name"]
    sku = body["sku"]
    sku["tier"] = "Premium" if sku["name"].startswith("Premium") else "Standard"
    props = body.setdefault("properties", {})
    if body.get("kind") in ("StorageV2", "BlobStorage"):
        props.setdefault("accessTier", "Hot")
    now = utc_now_iso()
    props.setdefault("creationTime", now)
    props.setdefault("keyCreationTime", {"key1": now, "key2": now})
    _add_reported_facts(body, props)
    props["primaryEndpoints"] = {
        "blob": _blob_endpoint(ctx, name),
        "queue": f"https://{name}.queue.core.windows.net/",
        "table": f"https://{name}.table.core.windows.net/",
        "file": f"https://{name}.file.core.windows.net/",
        "dfs": f"https://{name}.dfs.core.windows.net/",
        "web": f"https://{name}.z13.web.core.windows.net/",
        **_routed_endpoints(name, props),
    }
    props["primaryLocation"] = body["location"]
    props["statusOfPrimary"] = "available"
    storage_access.normalize(body, existing)


_PAIRED_REGIONS = {"westus": "eastus", "eastus": "westus", "westus2": "westcentralus", "westcentralus": "westus2",
                   "eastus2": "centralus", "centralus": "eastus2", "northeurope": "westeurope",
                   "westeurope": "northeurope", "uksouth": "ukwest", "ukwest": "uksouth"}
_ROUTED_ENDPOINTS = (("publishMicrosoftEndpoints", "microsoft", ("blob", "queue", "table", "file", "web", "dfs")),
                     ("publishInternetEndpoints", "internet", ("blob", "file", "web", "dfs")))


def _routed_endpoints(name: str, props: dict[str, Any]) -> dict[str, Any]:
    """``microsoftEndpoints``/``internetEndpoints`` for the routing preference's publish flags."""
    routing = props.get("routingPreference") or {}
    return {f"{label}Endpoints": {service: f"https://{name}-{label}routing."
                                           f"{'z13.web' if service == 'web' else service}.core.windows.net/"
                                  for service in services}
            for flag, label, services in _ROUTED_ENDPOINTS if routing.get(flag)}


def _add_reported_facts(body: dict[str, Any], props: dict[str, Any]) -> None:
    """Read-only facts StorageAccountGetProperties.json shows: migration/conversion flags, when each
    encryption service was enabled, and the secondary region of a geo-redundant SKU."""
    props.setdefault("accountMigrationInProgress", False)
    props.setdefault("isSkuConversionBlocked", False)
    for service in (get_path(props, "encryption.services") or {}).values():
        if isinstance(service, dict) and service.get("enabled"):
            service.setdefault("lastEnabledTime", props["creationTime"])
    if "GRS" in body["sku"]["name"]:
        props["secondaryLocation"] = _PAIRED_REGIONS.get(body["location"], body["location"])
        props["statusOfSecondary"] = "available"
    else:
        props.pop("secondaryLocation", None)
        props.pop("statusOfSecondary", None)


def _create_blob_service(ctx: RequestContext, account: dict[str, Any]) -> None:
    service_id = account["id"] + "/blobServices/default"
    body = {"id": service_id, "name": "default", "type": BLOB_SERVICE_TYPE, "sku": dict(account["sku"]),
            "properties": with_defaults(BLOB_SERVICE_DEFAULTS, {})}
    ctx.store.put(Record(service_id, BLOB_SERVICE, body))


def account_key(ctx: RequestContext, account_id: str, key_name: str) -> str:
    """key1 is the Azurite key when the emulator has one; other keys are stable fakes."""
    if key_name == "key1" and ctx.config.account_key:
        return ctx.config.account_key
    digest = hashlib.sha512(f"{account_id.lower()}|{key_name}".encode()).digest()
    return base64.b64encode(digest).decode()


def _list_keys(ctx: RequestContext, account: dict[str, Any], request: Any) -> tuple[int, Any]:
    created = get_path(account, "properties.keyCreationTime", {}) or {}
    keys = [{"keyName": name, "value": account_key(ctx, account["id"], name), "permissions": "FULL",
             "creationTime": created.get(name)} for name in ("key1", "key2")]
    return 200, {"keys": keys}


def _check_name_availability(ctx: RequestContext, request: Any) -> tuple[int, Any]:
    if not isinstance(request, dict) or not isinstance(request.get("name"), str):
        raise bad_request("InvalidRequestContent", "The request must carry {'name', 'type'}.")
    problem = name_problem(ctx, request["name"])
    if problem is None:
        return 200, {"nameAvailable": True}
    reason, message = problem
    return 200, {"nameAvailable": False, "reason": reason, "message": message}


ACCOUNT = ResourceType(
    type=ACCOUNT_TYPE,
    path="resourceGroups/{resourceGroupName}/providers/Microsoft.Storage/storageAccounts/{accountName}",
    api_versions=API_VERSIONS,
    put_lro=Lro("location"),
    delete_status=200,
    defaults={
        "tags": {},
        "kind": "StorageV2",
        "properties": {
            "minimumTlsVersion": "TLS1_2",
            "allowBlobPublicAccess": False,
            "supportsHttpsTrafficOnly": True,
            "isHnsEnabled": False,
            "networkAcls": {"bypass": "AzureServices", "defaultAction": "Allow", "ipRules": [],
                            "virtualNetworkRules": []},
            "encryption": {"keySource": "Microsoft.Storage",
                           "services": {"blob": {"enabled": True, "keyType": "Account"},
                                        "file": {"enabled": True, "keyType": "Account"}}},
        },
    },
    preserve=("properties.creationTime", "properties.keyCreationTime"),
    patch_replaces=("tags", "identity"),  # the Storage RP takes a PATCHed identity whole
    validate=_validate_account,
    normalize=_normalize_account,
    on_create=_create_blob_service,
    actions={"listkeys": _list_keys},
)


# -- blob service ------------------------------------------------------------------------------------
BLOB_SERVICE_DEFAULTS: dict[str, Any] = {
    "cors": {"corsRules": []},
    "deleteRetentionPolicy": {"enabled": False, "allowPermanentDelete": False},
    "containerDeleteRetentionPolicy": {"enabled": False},
    "isVersioningEnabled": False,
    "changeFeed": {"enabled": False},
    "restorePolicy": {"enabled": False},
}


def _normalize_blob_service(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    """Merge the PUT into the stored properties, then check the restore-policy prerequisites."""
    base = (existing or {}).get("properties") or BLOB_SERVICE_DEFAULTS
    props = with_defaults(base, body.get("properties") or {})
    for policy in ("deleteRetentionPolicy", "containerDeleteRetentionPolicy"):
        retention = props.get(policy) or {}
        if retention.get("enabled") and not (isinstance(retention.get("days"), int) and 1 <= retention["days"] <= 365):
            raise _invalid_service(f"{policy}.days must be an integer from 1 to 365.")
    restore = props.get("restorePolicy") or {}
    if restore.get("enabled"):
        days = restore.get("days")
        retention = props.get("deleteRetentionPolicy") or {}
        if not isinstance(days, int) or days < 1:
            raise _invalid_service("restorePolicy.days must be an integer of at least 1.")
        if not props.get("isVersioningEnabled") or not (props.get("changeFeed") or {}).get("enabled"):
            raise _invalid_service("Point-in-time restore requires blob versioning and change feed.")
        if not retention.get("enabled") or not isinstance(retention.get("days"), int) or retention["days"] <= days:
            raise _invalid_service("Point-in-time restore requires blob soft delete with more retention days "
                                   "than restorePolicy.days.")
        restore.setdefault("minRestoreTime", utc_now_iso())
        restore.setdefault("lastEnabledTime", restore["minRestoreTime"])
    else:
        restore.pop("minRestoreTime", None)
    body["properties"] = props
    account = ctx.store.get(body["id"].rsplit("/blobServices/", 1)[0])
    if account is not None:
        body["sku"] = dict(account.body.get("sku", {}))


def _invalid_service(message: str) -> ArmError:
    return bad_request("InvalidBlobServiceProperties", message)


BLOB_SERVICE = ResourceType(
    type=BLOB_SERVICE_TYPE,
    path="resourceGroups/{resourceGroupName}/providers/Microsoft.Storage/storageAccounts/{accountName}"
         "/blobServices/default",
    parent=ACCOUNT_TYPE,
    api_versions=API_VERSIONS,
    requires_location=False,
    provisioning_state=False,
    put_status=(200, 200),
    patch=False,
    normalize=_normalize_blob_service,
)


# -- containers --------------------------------------------------------------------------------------
def _account_of(ctx: RequestContext, container_id: str) -> Record | None:
    return ctx.store.get(container_id.rsplit("/blobServices/", 1)[0])


def _validate_container(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    name = body["name"]
    if not _CONTAINER_NAME.match(name):
        raise bad_request("ContainerOperationFailure",
                          f"The specified resource name '{name}' contains invalid characters: container names "
                          "are 3-63 lowercase letters, digits and single hyphens.")
    props = body.setdefault("properties", {})
    access = _PUBLIC_ACCESS.get(str(props.get("publicAccess") or "None").lower())
    if access is None:
        raise bad_request("InvalidValuesForRequestParameters",
                          f"publicAccess '{props.get('publicAccess')}' is not one of None, Blob, Container.")
    props["publicAccess"] = access
    account = _account_of(ctx, body["id"])
    allowed = bool(get_path(account.body, "properties.allowBlobPublicAccess")) if account else False
    if access != "None" and not allowed:
        raise conflict("PublicAccessNotPermitted", "Public access is not permitted on this storage account.")
    metadata = props.get("metadata") or {}
    bad = [key for key in metadata if not _METADATA_NAME.match(key)]
    if bad:
        raise bad_request("InvalidMetadata", f"Metadata names must be valid C# identifiers: {', '.join(bad)}.")


def _normalize_container(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    props = body.setdefault("properties", {})
    props.setdefault("metadata", {})
    props["lastModifiedTime"] = utc_now_iso()
    for key, value in (("leaseStatus", "Unlocked"), ("leaseState", "Available"),
                       ("hasImmutabilityPolicy", False), ("hasLegalHold", False), ("deleted", False),
                       ("remainingRetentionDays", 0), ("defaultEncryptionScope", "$account-encryption-key"),
                       ("denyEncryptionScopeOverride", False)):
        props.setdefault(key, value)
    body["etag"] = f'"0x8D{uuid.uuid4().hex[:13].upper()}"'


def _mirror(action: str, ctx: RequestContext, body: dict[str, Any]) -> None:
    bridge = ctx.config.azurite
    if bridge is None:
        return
    props = body.get("properties") or {}
    try:
        if action == "create":
            bridge.create_container(body["name"], props.get("publicAccess"), props.get("metadata") or {})
        else:
            bridge.update_container(body["name"], props.get("publicAccess"), props.get("metadata") or {})
    except Exception as exc:
        raise bad_request("ContainerOperationFailure", f"Azurite refused the container: {exc}") from exc


def _create_container(ctx: RequestContext, body: dict[str, Any]) -> None:
    _mirror("create", ctx, body)


def _update_container(ctx: RequestContext, body: dict[str, Any], previous: dict[str, Any]) -> None:
    _mirror("update", ctx, body)


def _delete_container(ctx: RequestContext, body: dict[str, Any]) -> None:
    """Delete in Azurite unless another emulated account still holds a container of that name."""
    bridge = ctx.config.azurite
    if bridge is None:
        return
    name = body["name"].lower()
    if any(r.body.get("name", "").lower() == name for r in ctx.store.of_type(CONTAINER_TYPE)):
        return
    bridge.delete_container(body["name"])


CONTAINER = ResourceType(
    type=CONTAINER_TYPE,
    path="resourceGroups/{resourceGroupName}/providers/Microsoft.Storage/storageAccounts/{accountName}"
         "/blobServices/default/containers/{containerName}",
    parent=BLOB_SERVICE_TYPE,
    api_versions=API_VERSIONS,
    requires_location=False,
    provisioning_state=False,
    put_status=(201, 200),
    patch_replaces=("tags", "properties.metadata"),
    delete_status=200,
    defaults={"properties": {"publicAccess": "None", "metadata": {}}},
    validate=_validate_container,
    normalize=_normalize_container,
    on_create=_create_container,
    on_update=_update_container,
    on_delete=_delete_container,
)

FAMILY = Family(
    name="storage",
    types=(ACCOUNT, BLOB_SERVICE, CONTAINER),
    provider_actions=(ProviderAction("providers/Microsoft.Storage/checkNameAvailability",
                                     _check_name_availability, api_versions=API_VERSIONS),),
)
