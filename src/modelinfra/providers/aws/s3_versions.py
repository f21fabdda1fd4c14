"""Versions of one S3 object: listing them, deleting them all, and the choice of the version a
point-in-time restore brings back.

Order: newest first, as S3 lists a key's versions (ties in ``LastModified`` keep S3's order).
``restore_target`` costs one paginated ListObjectVersions call plus one HeadObject (to learn the
chosen version's recorded SHA-256); ``list_versions`` heads every version (for the CLI).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from modelinfra.errors import TerminalError
from modelinfra.providers.aws.errors import aws_errors, is_code
from modelinfra.providers.base import ResourceContext

DELETE_BATCH = 1000  # DeleteObjects limit
META_SHA256 = "modelinfra-sha256"
META_RESTORED_FROM = "modelinfra-restored-from"


@dataclass(frozen=True)
class RestoreTarget:
    """The version to make current again, and how the restore is labelled (``restored_from``)."""

    version_id: str
    sha256: str | None
    label: str


def object_history(client: Any, bucket: str, key: str) -> list[dict[str, Any]]:
    """Every version and delete marker of exactly ``key``, newest first; each a ListObjectVersions
    entry with ``DeleteMarker`` set. Empty when the bucket does not exist."""
    from botocore.exceptions import ClientError

    entries: list[dict[str, Any]] = []
    try:
        for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key):
            entries += [{**v, "DeleteMarker": False} for v in page.get("Versions", []) if v["Key"] == key]
            entries += [{**m, "DeleteMarker": True} for m in page.get("DeleteMarkers", []) if m["Key"] == key]
    except ClientError as exc:
        if is_code(exc, "NoSuchBucket"):
            return []
        raise
    # stable sort: newest first; among equal timestamps the latest one first, else S3's order
    return sorted(entries, key=lambda e: (e["LastModified"], bool(e.get("IsLatest"))), reverse=True)


def delete_all_versions(client: Any, bucket: str, key: str) -> int:
    """Delete every version and delete marker of exactly ``key`` (not of other keys sharing its
    prefix), as terraform-provider-aws deletes an ``aws_s3_object``: versions first, then the
    markers, in DeleteObjects batches. Returns how many entries went; 0 when the bucket is gone.
    ``TerminalError`` naming the first entry S3 refused (e.g. under object lock)."""
    history = object_history(client, bucket, key)
    entries = [e for e in history if not e["DeleteMarker"]] + [e for e in history if e["DeleteMarker"]]
    for start in range(0, len(entries), DELETE_BATCH):
        batch = [{"Key": key, "VersionId": e["VersionId"]} for e in entries[start:start + DELETE_BATCH]]
        errors = client.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True}).get("Errors", [])
        errors = [e for e in errors if e.get("Code") not in ("NoSuchKey", "NoSuchVersion")]
        if errors:
            first = errors[0]
            raise TerminalError(f"deleting s3://{bucket}/{key}: {len(errors)} version(s) could not be deleted, e.g. "
                                f"{first.get('VersionId')} ({first.get('Code')}: {first.get('Message')})")
    return len(entries)


def restore_target(client: Any, bucket: str, key: str, *, at: datetime | None = None,
                   version_id: str | None = None) -> RestoreTarget:
    """The version current at ``at`` (the newest with ``LastModified <= at``), or ``version_id``.
    ``TerminalError`` when there is no such version (none yet at ``at``, deleted at ``at``, unknown id)
    or when ``at`` lies in the future."""
    where = f"s3://{bucket}/{key}"
    if at is not None and at > datetime.now(UTC):
        # a future T would pick the latest version now and a different one later: never stable
        raise TerminalError(f"restore_at {at.isoformat()} is in the future; pick a time when the version "
                            f"of {where} to restore was current")
    with aws_errors(f"listing versions of {where}"):
        history = object_history(client, bucket, key)
    if version_id is not None:
        chosen = next((e for e in history if e["VersionId"] == version_id), None)
        if chosen is None or chosen["DeleteMarker"]:
            raise TerminalError(f"{where} has no version {version_id}")
        label = version_id
    else:
        assert at is not None
        chosen = next((e for e in history if e["LastModified"] <= at), None)
        if chosen is None:
            raise TerminalError(f"no version of {where} existed at {at.isoformat()}")
        if chosen["DeleteMarker"]:
            raise TerminalError(f"no version of {where} existed at {at.isoformat()} (it had been deleted at "
                                f"{chosen['LastModified'].isoformat()})")
        label = f"{chosen['VersionId']} (as of {at.isoformat()})"
    with aws_errors(f"reading version {chosen['VersionId']} of {where}"):
        head = client.head_object(Bucket=bucket, Key=key, VersionId=chosen["VersionId"])
    return RestoreTarget(chosen["VersionId"], head.get("Metadata", {}).get(META_SHA256), label)


def list_versions(ctx: ResourceContext, bucket: str, key: str) -> list[dict[str, Any]]:
    """Versions of ``s3://bucket/key`` newest first (delete markers left out), each
    ``{version_id, last_modified (ISO 8601), size, is_latest, sha256, restored_from}``; the last two
    are None when the version carries no such modelinfra metadata. Empty if there is none."""
    client = ctx.session.client("s3")
    with aws_errors(f"listing versions of s3://{bucket}/{key}"):
        versions = [e for e in object_history(client, bucket, key) if not e["DeleteMarker"]]

    def describe(entry: dict[str, Any]) -> dict[str, Any]:
        with aws_errors(f"reading version {entry['VersionId']} of s3://{bucket}/{key}"):
            metadata = client.head_object(Bucket=bucket, Key=key, VersionId=entry["VersionId"]).get("Metadata", {})
        return {
            "version_id": entry["VersionId"],
            "last_modified": entry["LastModified"].isoformat(),
            "size": entry.get("Size"),
            "is_latest": bool(entry.get("IsLatest")),
            "sha256": metadata.get(META_SHA256),
            "restored_from": metadata.get(META_RESTORED_FROM),
        }

    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="s3-versions") as pool:
        return list(pool.map(describe, versions))
