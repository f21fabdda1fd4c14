"""S3 bucket lifecycle as AWS keeps it: ``NoncurrentVersionExpiration.NewerNoncurrentVersions``.

moto 5.2 parses a lifecycle rule's ``NoncurrentVersionExpiration`` but keeps only ``NoncurrentDays``,
so GetBucketLifecycleConfiguration never returns ``NewerNoncurrentVersions``. This extension:

- PutBucketLifecycleConfiguration: validates ``NewerNoncurrentVersions`` as AWS does (an integer,
  else ``MalformedXML``; 1..100, else ``InvalidArgument``), lets moto store the rules, then
  remembers each rule's value against moto's own ``LifecycleRule`` object.
- GetBucketLifecycleConfiguration: adds the remembered value back into that rule's
  ``NoncurrentVersionExpiration``; everything else is moto's answer unchanged.

Invariant: a value lives exactly as long as moto's rule object is the bucket's rule. A new
configuration replaces moto's rule objects, DeleteBucketLifecycle empties them and DeleteBucket
drops the bucket, so each of those forgets the value with no bookkeeping of its own (the store is
keyed weakly by rule object, not by bucket name and rule ID, which may be absent or repeated).

Intelligent-Tiering configurations, which moto lacks, are served by ``s3_tiering``.

``install`` swaps moto's ``S3Response`` for ``ExtendedS3Response`` in every view of moto's Flask
app for ``s3``; every other S3 request is handled by moto's code as before.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

import xmltodict
from moto.core.responses import ActionResult
from moto.s3.exceptions import InvalidArgumentError, MalformedXML
from moto.s3.models import LifecycleRule
from moto.s3.responses import S3Response

from modelinfra.sandbox.aws import s3_tiering as tiering
from modelinfra.sandbox.aws.s3_conditional import ConditionalS3Mixin

MIN_NEWER_NONCURRENT_VERSIONS = 1
MAX_NEWER_NONCURRENT_VERSIONS = 100
GET_LIFECYCLE_ACTION = "GetBucketLifecycleConfiguration"

LOCK = threading.Lock()
"""Serialises lifecycle PUT/GET so a GET never sees moto's new rules before their values."""

NEWER_NONCURRENT_VERSIONS: weakref.WeakKeyDictionary[LifecycleRule, int] = weakref.WeakKeyDictionary()
"""moto rule object -> its ``NoncurrentVersionExpiration.NewerNoncurrentVersions``."""


def install(app: Any) -> None:
    """Serve every view of moto's ``s3`` Flask ``app`` that calls ``S3Response`` with ``ExtendedS3Response``."""
    from moto.core.utils import convert_to_flask_response

    for endpoint, view in list(app.view_functions.items()):
        callback = getattr(view, "callback", None)
        if getattr(callback, "__self__", None) is S3Response:
            app.view_functions[endpoint] = convert_to_flask_response(getattr(ExtendedS3Response, callback.__name__))


def newer_noncurrent_versions(body: bytes | str) -> list[int | None]:
    """Per rule of a PutBucketLifecycleConfiguration ``body``, in order: its validated value or None.

    Raises ``MalformedXML`` for a non-integer and ``InvalidArgumentError`` outside 1..100.
    """
    config = xmltodict.parse(body)["LifecycleConfiguration"] or {}
    rules = config.get("Rule") or []
    values: list[int | None] = []
    for rule in rules if isinstance(rules, list) else [rules]:
        expiration = (rule or {}).get("NoncurrentVersionExpiration") or {}
        raw = expiration.get("NewerNoncurrentVersions")
        if raw is None:
            values.append(None)
            continue
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise MalformedXML() from None
        if not MIN_NEWER_NONCURRENT_VERSIONS <= value <= MAX_NEWER_NONCURRENT_VERSIONS:
            raise InvalidArgumentError(
                "'NewerNoncurrentVersions' in NoncurrentVersionExpiration action must be between "
                f"{MIN_NEWER_NONCURRENT_VERSIONS} and {MAX_NEWER_NONCURRENT_VERSIONS}",
                "NewerNoncurrentVersions", str(raw))
        values.append(value)
    return values


class ExtendedS3Response(ConditionalS3Mixin, S3Response):
    """moto's ``S3Response`` that keeps ``NewerNoncurrentVersions`` (see the module docstring), with
    atomic conditional writes and per-bucket fault injection (``s3_conditional``)."""

    def _bucket_response_get(self, bucket_name: str, querystring: dict[str, Any]) -> Any:
        if "intelligent-tiering" in querystring:
            return tiering.handle("GET", self.backend.get_bucket(bucket_name), querystring, b"")
        return super()._bucket_response_get(bucket_name, querystring)

    def _bucket_response_delete(self, bucket_name: str, querystring: dict[str, Any]) -> Any:
        if "intelligent-tiering" in querystring:
            return tiering.handle("DELETE", self.backend.get_bucket(bucket_name), querystring, b"")
        return super()._bucket_response_delete(bucket_name, querystring)

    def _bucket_response_put(self, request: Any, bucket_name: str, querystring: dict[str, Any]) -> Any:
        if "intelligent-tiering" in querystring:
            return tiering.handle("PUT", self.backend.get_bucket(bucket_name), querystring, self.body)
        if "lifecycle" not in querystring:
            return super()._bucket_response_put(request, bucket_name, querystring)
        try:
            values = newer_noncurrent_versions(self.body)
        except (MalformedXML, InvalidArgumentError):
            self.backend.get_bucket(bucket_name)  # NoSuchBucket comes first, as on AWS
            raise
        except Exception:  # not parseable: moto's own answer, unchanged
            return super()._bucket_response_put(request, bucket_name, querystring)
        with LOCK:
            result = super()._bucket_response_put(request, bucket_name, querystring)
            # moto's set_lifecycle makes one LifecycleRule per rule, in the order given.
            for rule, value in zip(self.backend.get_bucket(bucket_name).rules, values, strict=False):
                if value is not None:
                    NEWER_NONCURRENT_VERSIONS[rule] = value
        return result

    def get_bucket_lifecycle(self) -> Any:
        with LOCK:
            return super().get_bucket_lifecycle()

    def serialized(self, action_result: ActionResult) -> Any:
        """moto's serialisation, with the remembered values added to a GetBucketLifecycleConfiguration result."""
        result = action_result.result
        if self.data.get("Action") == GET_LIFECYCLE_ACTION and isinstance(result, dict) and "Rules" in result:
            rules = self.backend.get_bucket_lifecycle(self.bucket_name)
            for member, rule in zip(result["Rules"], rules, strict=True):
                value = NEWER_NONCURRENT_VERSIONS.get(rule)
                if value is not None:
                    member.setdefault("NoncurrentVersionExpiration", {})["NewerNoncurrentVersions"] = value
        return super().serialized(action_result)
