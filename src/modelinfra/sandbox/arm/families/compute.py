"""``Microsoft.Compute``: managed disks and snapshots (azure-mgmt-compute 39, api-version 2026-03-02).

PUT, PATCH and DELETE are LROs as in the REST spec: 202 + ``Azure-AsyncOperation`` + ``Location``
(+ ``Retry-After``); the poller then GETs the resource. DELETE of a missing one is 204.

``properties.creationData.createOption``: ``Empty`` (needs ``diskSizeGB``; disks only), ``Copy``
(``sourceResourceId`` must name an existing disk or snapshot, else 404 ``NotFound``; the size
defaults to the source's and may not be smaller) or ``Import`` (needs ``sourceUri``). ``creationData``
cannot change after creation (409 ``PropertyChangeNotAllowed``), nor can a disk shrink (400).
Computed: ``timeCreated``, ``uniqueId``, ``diskSizeBytes``, ``diskState``, ``sku.tier``.
"""

from __future__ import annotations

import uuid
from typing import Any

from modelinfra.sandbox.arm.bodies import get_path
from modelinfra.sandbox.arm.errors import ArmError, bad_request, conflict, not_found
from modelinfra.sandbox.arm.lro import utc_now_iso
from modelinfra.sandbox.arm.resource_type import Family, Lro, RequestContext, ResourceType

API_VERSIONS = ("2026-03-02", "2025-01-02", "2024-03-02", "2023-10-02", "2023-04-02", "2022-07-02")
DISK_TYPE = "Microsoft.Compute/disks"
SNAPSHOT_TYPE = "Microsoft.Compute/snapshots"
DISK_SKUS = ("Standard_LRS", "Premium_LRS", "StandardSSD_LRS", "UltraSSD_LRS", "Premium_ZRS", "StandardSSD_ZRS",
             "PremiumV2_LRS")
SNAPSHOT_SKUS = ("Standard_LRS", "Premium_LRS", "Standard_ZRS")
_GIB = 1024**3


def _invalid(message: str, target: str = "") -> ArmError:
    return bad_request("InvalidParameter", message + (f" Target: '{target}'." if target else ""))


def _source(ctx: RequestContext, source_id: Any) -> dict[str, Any]:
    if not isinstance(source_id, str) or not source_id:
        raise _invalid("Required parameter 'sourceResourceId' is missing (null).", "sourceResourceId")
    record = ctx.store.get(source_id)
    if record is None or record.rtype.type not in (DISK_TYPE, SNAPSHOT_TYPE):
        raise not_found("NotFound", f"Resource {source_id} is not found.")
    return record.body


def _validator(kind: str, skus: tuple[str, ...], options: tuple[str, ...]) -> Any:
    def validate(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
        props = body.setdefault("properties", {})
        creation = props.get("creationData")
        if not isinstance(creation, dict) or not creation.get("createOption"):
            raise _invalid("Required parameter 'creationData.createOption' is missing (null).", "createOption")
        option = creation["createOption"]
        if option not in options:
            raise _invalid(f"createOption '{option}' is not supported for a {kind}; use one of {', '.join(options)}.",
                           "createOption")
        sku = get_path(body, "sku.name")
        if sku not in skus:
            raise _invalid(f"The value '{sku}' of sku.name is invalid; use one of {', '.join(skus)}.", "sku.name")
        size = props.get("diskSizeGB")
        if size is not None and (not isinstance(size, int) or size < 1):
            raise _invalid("diskSizeGB must be a positive integer.", "diskSizeGB")
        if existing is not None:
            before = {k: v for k, v in (get_path(existing, "properties.creationData") or {}).items()
                      if k in ("createOption", "sourceResourceId", "sourceUri", "storageAccountId")}
            after = {k: v for k, v in creation.items() if k in before or k in ("sourceResourceId", "sourceUri")}
            if before.get("createOption") != option or any(after.get(k) != before.get(k) for k in after):
                raise conflict("PropertyChangeNotAllowed", "Changing property 'creationData' is not allowed.")
            old_size = get_path(existing, "properties.diskSizeGB")
            if size is not None and old_size is not None and size < old_size:
                raise bad_request("BadRequest", f"Disk size reduction is not supported ({old_size} -> {size} GB).")
            return
        if option == "Empty" and size is None:
            raise _invalid("Required parameter 'diskSizeGB' is missing (null).", "diskSizeGB")
        if option == "Copy":
            source = _source(ctx, creation.get("sourceResourceId"))
            source_size = get_path(source, "properties.diskSizeGB")
            if size is not None and source_size is not None and size < source_size:
                raise _invalid(f"diskSizeGB {size} is smaller than the source's {source_size} GB.", "diskSizeGB")
        if option == "Import" and not creation.get("sourceUri"):
            raise _invalid("Required parameter 'sourceUri' is missing (null).", "sourceUri")

    return validate


def _normalize(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    props = body["properties"]
    sku = body["sku"]
    sku["tier"] = "Premium" if sku["name"].startswith("Premium") or sku["name"].startswith("Ultra") else "Standard"
    creation = props["creationData"]
    if existing is None and creation["createOption"] == "Copy":
        source = _source(ctx, creation["sourceResourceId"])
        props.setdefault("diskSizeGB", get_path(source, "properties.diskSizeGB"))
        creation["sourceUniqueId"] = get_path(source, "properties.uniqueId")
    if existing is None and creation["createOption"] == "Import":
        props.setdefault("diskSizeGB", 32)
    if props.get("diskSizeGB") is not None:
        props["diskSizeBytes"] = int(props["diskSizeGB"]) * _GIB
    props.setdefault("timeCreated", utc_now_iso())
    props.setdefault("uniqueId", str(uuid.uuid4()))
    props.setdefault("encryption", {"type": "EncryptionAtRestWithPlatformKey"})
    props.setdefault("networkAccessPolicy", "AllowAll")
    props.setdefault("publicNetworkAccess", "Enabled")
    if body["type"] == DISK_TYPE:
        props["diskState"] = "Unattached"
    else:
        props.setdefault("incremental", False)
        if props["incremental"]:
            props.setdefault("incrementalSnapshotFamilyId", str(uuid.uuid4()))


_COMMON: dict[str, Any] = {
    "api_versions": API_VERSIONS,
    "put_status": (200, 200),
    "put_lro": Lro("async"),
    "patch_lro": Lro("async"),
    "delete_lro": Lro("async"),
    "preserve": ("properties.timeCreated", "properties.uniqueId", "properties.incrementalSnapshotFamilyId",
                 "properties.creationData.sourceUniqueId"),
    "normalize": _normalize,
}

DISK = ResourceType(
    type=DISK_TYPE,
    path="resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/disks/{diskName}",
    defaults={"tags": {}, "sku": {"name": "Standard_LRS"}},
    validate=_validator("disk", DISK_SKUS, ("Empty", "Copy", "Import")),
    **_COMMON,
)

SNAPSHOT = ResourceType(
    type=SNAPSHOT_TYPE,
    path="resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/snapshots/{snapshotName}",
    defaults={"tags": {}, "sku": {"name": "Standard_LRS"}},
    validate=_validator("snapshot", SNAPSHOT_SKUS, ("Copy", "Import")),
    **_COMMON,
)

FAMILY = Family(name="compute", types=(DISK, SNAPSHOT))
