"""Index, then read, for S3 objects: one ``ListObjectVersions`` page (up to 1,000 entries) tells
the current version, ETag, size and storage class of many keys of one bucket; only an object whose
version moved since state (or that the listing cannot vouch for) needs its own ``HeadObject``.

What a listing proves, and what it does not:

- a key whose latest entry is a delete marker, or that has no entry at all in a part of the key
  space the listing fully covered, is gone (``read`` answers None there too);
- an object is unchanged when its current version id is the one state recorded (a real id, not
  ``null``: in an unversioned or suspended bucket an in-place overwrite keeps the id) with the
  same ETag, size and storage class. Metadata and content type are immutable within a version,
  so the recorded ones still hold, provided state recorded them unredacted;
- anything else (another version, a key past where listing stopped) is left to a ``HeadObject``.

The listing covers the keys' longest common prefix and stops once it has passed the last wanted
key, or after as many pages as there are wanted keys (never more requests than one HEAD each).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from modelinfra.values import SENSITIVE_MASK, is_redacted

HEAD_ONLY = ("content_type", "metadata", "sha256", "restored_from")
"""Attributes only a HEAD reads (the listing has none of them): taken from state when unchanged."""


@dataclass
class Listing:
    """The latest entry of each wanted key the listing reached (``None``: a delete marker), and
    whether a key the listing did not return is proven absent (``covers``)."""

    latest: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    complete: bool = False
    next_key: str | None = None

    def covers(self, key: str) -> bool:
        """True when the listing saw every entry of ``key`` that exists."""
        return self.complete or (self.next_key is not None and key < self.next_key)


def list_latest(client: Any, bucket: str, keys: Iterable[str], *, page_size: int = 1000) -> Listing:
    """Page through ``ListObjectVersions`` of ``bucket`` under the keys' common prefix
    (``page_size`` entries a page, S3's maximum by default), keeping the latest entry of each
    wanted key. Raises botocore's ``ClientError`` (``NoSuchBucket``...)."""
    wanted = set(keys)
    prefix, last = os.path.commonprefix(sorted(wanted)), max(wanted)
    listing = Listing()
    kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": page_size}
    for _page in range(max(1, len(wanted))):
        page = client.list_object_versions(**kwargs)
        for entry in page.get("Versions", []):
            if entry.get("IsLatest") and entry["Key"] in wanted:
                listing.latest[entry["Key"]] = entry
        for entry in page.get("DeleteMarkers", []):
            if entry.get("IsLatest") and entry["Key"] in wanted:
                listing.latest[entry["Key"]] = None
        if not page.get("IsTruncated"):
            listing.complete = True
            return listing
        listing.next_key = page.get("NextKeyMarker")
        if listing.next_key is None or listing.next_key > last:
            return listing
        kwargs.update(KeyMarker=listing.next_key, VersionIdMarker=page.get("NextVersionIdMarker", ""))
    return listing


def has_version(recorded: dict[str, Any]) -> bool:
    """True when state recorded a real version id (not none or ``null``), which a listing can match."""
    return recorded.get("version_id") not in (None, "", "null")


def unchanged(entry: dict[str, Any], recorded: dict[str, Any]) -> bool:
    """True when the listed current version is provably the one ``recorded`` describes."""
    if not has_version(recorded) or entry.get("VersionId") != recorded["version_id"]:
        return False
    if any(name not in recorded or is_redacted(recorded[name]) or recorded[name] == SENSITIVE_MASK
           for name in HEAD_ONLY):
        return False
    return ((entry.get("ETag") or "").strip('"') == recorded.get("etag") and entry.get("Size") == recorded.get("size")
            and (entry.get("StorageClass") or "STANDARD") == recorded.get("storage_class"))
