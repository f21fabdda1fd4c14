"""S3 Intelligent-Tiering configurations, which moto 5.2 does not implement at all (its router
answers ``?intelligent-tiering`` requests as if they were other bucket calls).

Put/Get/List/DeleteBucketIntelligentTieringConfiguration as the S3 API reference describes them:
- PUT ``/?intelligent-tiering&id=ID`` stores the ``IntelligentTieringConfiguration`` XML body
  (its ``Id`` must equal the query's ``id``, else ``InvalidArgument``; ``Tierings`` days are
  checked against AWS's ranges: ARCHIVE_ACCESS 90-730, DEEP_ARCHIVE_ACCESS 180-730);
- GET with ``id`` returns it, or 404 ``NoSuchConfiguration``; GET without ``id`` lists every
  configuration of the bucket, ordered by id (at most 100 a page, ``ContinuationToken``);
- DELETE with ``id`` removes it (404 ``NoSuchConfiguration`` when absent).
A missing bucket is ``NoSuchBucket`` first, as on AWS. Configurations are kept per moto bucket
object (weakly), so deleting the bucket forgets them.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

import xmltodict

S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
PAGE_SIZE = 100
DAY_RANGES = {"ARCHIVE_ACCESS": (90, 730), "DEEP_ARCHIVE_ACCESS": (180, 730)}
LOCK = threading.Lock()
CONFIGS: weakref.WeakKeyDictionary[Any, dict[str, dict[str, Any]]] = weakref.WeakKeyDictionary()
"""moto ``FakeBucket`` -> configuration id -> the configuration (xmltodict form, no namespace)."""

Reply = tuple[int, dict[str, str], str]


def _error(status: int, code: str, message: str) -> Reply:
    body = xmltodict.unparse({"Error": {"Code": code, "Message": message}})
    return status, {"content-type": "application/xml"}, body


def _xml(root: str, content: dict[str, Any]) -> Reply:
    body = xmltodict.unparse({root: {"@xmlns": S3_NS, **content}})
    return 200, {"content-type": "application/xml"}, body


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _check(config: dict[str, Any], config_id: str) -> Reply | None:
    if config.get("Id") != config_id:
        return _error(400, "InvalidArgument", "The Id in the configuration must match the id query parameter")
    if config.get("Status") not in ("Enabled", "Disabled"):
        return _error(400, "MalformedXML", "Status must be Enabled or Disabled")
    tierings = _as_list(config.get("Tiering"))
    if not tierings:
        return _error(400, "MalformedXML", "At least one Tiering is required")
    for tiering in tierings:
        tier = tiering.get("AccessTier")
        if tier not in DAY_RANGES:
            return _error(400, "MalformedXML", f"Invalid AccessTier {tier!r}")
        low, high = DAY_RANGES[tier]
        try:
            days = int(tiering.get("Days"))
        except (TypeError, ValueError):
            return _error(400, "MalformedXML", "Days must be an integer")
        if not low <= days <= high:
            return _error(400, "InvalidArgument", f"{tier} days must be between {low} and {high}")
    return None


def handle(method: str, bucket: Any, querystring: dict[str, Any], body: bytes | str) -> Reply:
    """Serve one ``?intelligent-tiering`` request for moto bucket object ``bucket``."""
    config_id = (querystring.get("id") or [None])[0]
    with LOCK:
        configs = CONFIGS.setdefault(bucket, {})
        if method == "PUT":
            if not config_id:
                return _error(400, "InvalidArgument", "id is required")
            try:
                parsed = xmltodict.parse(body)["IntelligentTieringConfiguration"] or {}
            except Exception:
                return _error(400, "MalformedXML", "The XML you provided was not well-formed")
            parsed = {k: v for k, v in parsed.items() if not k.startswith("@")}
            problem = _check(parsed, config_id)
            if problem:
                return problem
            configs[config_id] = parsed
            return 200, {}, ""
        if method == "DELETE":
            if configs.pop(config_id or "", None) is None:
                return _error(404, "NoSuchConfiguration", "The specified configuration does not exist.")
            return 204, {}, ""
        if config_id:
            if config_id not in configs:
                return _error(404, "NoSuchConfiguration", "The specified configuration does not exist.")
            return _xml("IntelligentTieringConfiguration", configs[config_id])
        ordered = sorted(configs)
        token = (querystring.get("continuation-token") or [None])[0]
        start = ordered.index(token) if token in ordered else 0
        page, rest = ordered[start:start + PAGE_SIZE], ordered[start + PAGE_SIZE:]
        content: dict[str, Any] = {"IsTruncated": "true" if rest else "false"}
        if token:
            content["ContinuationToken"] = token
        if rest:
            content["NextContinuationToken"] = rest[0]
        if page:
            content["IntelligentTieringConfiguration"] = [configs[i] for i in page]
        return _xml("ListBucketIntelligentTieringConfigurationsOutput", content)
