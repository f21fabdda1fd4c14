"""``aws.s3_bucket``: an S3 bucket with versioning, encryption, public access block, lifecycle
rules, object lock, policy, access logging, CORS, intelligent tiering and tags. Cloud id: the
bucket name.

Invariants
- create is idempotent: ``BucketAlreadyOwnedByYou`` (or us-east-1's silent success) adopts the
  bucket, then every setting is applied, so adopting converges too. A name owned by another
  account is a ``TerminalError``.
- S3 is eventually consistent just after CreateBucket: calls answered ``NoSuchBucket`` are
  retried a few times with backoff before giving up with a ``RetryableError``.
- update writes only the settings whose attribute changed.
- delete of a missing bucket succeeds. A non-empty bucket is deleted only with
  ``force_destroy: true`` (every object version, delete marker and unfinished multipart upload
  goes first); otherwise it is a ``TerminalError`` and nothing is deleted.
- ``force_destroy`` cannot be read back: create/update return it so the state keeps it for delete.
- read is HeadBucket and one GET per setting, all in flight at once (they are independent; one
  after another they were 12 round trips per bucket read, now one). When some fail, the first
  failure in ``READERS`` order (HeadBucket first) is the one raised, as when they ran one after
  another; a missing bucket is None whichever call noticed it.
- create and update write the settings in waves of independent ones (``waves``): a setting S3
  accepts only once another is in place (``WRITE_AFTER``) goes in a later wave; the rest at once.
  The first failure in ``WRITERS`` order is raised once its wave has finished.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from functools import partial
from typing import Any, ClassVar, TypeVar

from modelinfra.errors import RetryableError, TerminalError
from modelinfra.providers.aws.errors import aws_errors, is_code, map_error
from modelinfra.providers.aws.policy_document import canonical_policy
from modelinfra.providers.aws.s3_bucket_config import READERS, WRITERS
from modelinfra.providers.aws.s3_bucket_spec import S3BucketSpec
from modelinfra.providers.aws.s3_names import bucket_and_key
from modelinfra.providers.base import ResourceContext, ResourceHandler, strip_managed_tags

T = TypeVar("T")

NOT_FOUND = ("NoSuchBucket", "404", "NotFound")
CONSISTENCY_DELAYS = (0.2, 0.4, 0.8, 1.6, 3.2)
"""Backoff (seconds) while a just-created bucket is not yet visible everywhere."""
DELETE_BATCH = 1000  # DeleteObjects limit
WRITE_AFTER = {"object_lock": "versioning", "lifecycle_rules": "versioning", "policy": "public_access_block"}
"""Setting -> the setting written before it when both are: object lock needs versioning enabled,
lifecycle rules on noncurrent versions are meant for a versioned bucket, and a public policy is
refused (AccessDenied) while the public access block still blocks public policies."""


def retry_until_visible(name: str, call: Callable[[], T], delays: tuple[float, ...] = CONSISTENCY_DELAYS) -> T:
    """``call()``, retried with backoff while S3 answers ``NoSuchBucket`` for ``name``;
    ``RetryableError`` if the bucket is still invisible after the last delay."""
    from botocore.exceptions import ClientError

    for delay in (*delays, None):
        try:
            return call()
        except ClientError as exc:
            if not is_code(exc, "NoSuchBucket"):
                raise
            if delay is None:
                raise RetryableError(f"bucket {name} is not visible yet after create (eventual consistency)",
                                     code="NoSuchBucket") from exc
            time.sleep(delay)
    raise AssertionError("unreachable")


class S3BucketHandler(ResourceHandler[S3BucketSpec]):
    type_name: ClassVar[str] = "aws.s3_bucket"
    cloud_id_form: ClassVar[str] = "the bucket name, or its ARN arn:aws:s3:::BUCKET (s3://BUCKET also works)"
    cloud: ClassVar[str] = "aws"
    spec_model = S3BucketSpec
    computed: ClassVar[tuple[str, ...]] = ("arn", "region")
    force_new: ClassVar[tuple[str, ...]] = ("name", "object_lock")
    write_only: ClassVar[tuple[str, ...]] = ("force_destroy",)
    taggable: ClassVar[bool] = True
    lookup_keys: ClassVar[tuple[str, ...]] = ("name",)

    def identify(self, ctx: ResourceContext, spec: S3BucketSpec) -> str:
        return spec.name

    def parse_cloud_id(self, cloud_id: str) -> str:
        return bucket_and_key(cloud_id, want_key=False, form=self.cloud_id_form)[0]

    def normalise(self, attributes: dict[str, Any]) -> dict[str, Any]:
        """Order never matters for lifecycle rules (by id), their transitions (by days) or
        tiering configurations (by name, tiers by access tier); the policy is compared in
        ``canonical_policy`` form (key order, single-vs-list values)."""
        out = dict(attributes)
        rules = out.get("lifecycle_rules")
        if isinstance(rules, list) and all(isinstance(r, dict) for r in rules):
            out["lifecycle_rules"] = sorted((_sorted_transitions(r) for r in rules), key=lambda r: str(r.get("id")))
        configs = out.get("intelligent_tiering")
        if isinstance(configs, list) and all(isinstance(c, dict) for c in configs):
            out["intelligent_tiering"] = sorted(
                ({**c, "tierings": _sorted_by(c.get("tierings"), "access_tier")} for c in configs),
                key=lambda c: str(c.get("name")))
        if isinstance(out.get("policy"), (str, dict)):
            out["policy"] = canonical_policy(out["policy"])
        return out

    # -- read ------------------------------------------------------------------------------------
    def read(self, ctx: ResourceContext, cloud_id: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        client = ctx.session.client("s3")
        calls: dict[str, Callable[[], Any]] = {"": lambda: client.head_bucket(Bucket=cloud_id)}
        calls.update({attr: partial(reader, client, cloud_id) for attr, reader in READERS.items()})
        try:
            values = all_at_once(calls, "s3-bucket-read")
        except ClientError as exc:
            if is_code(exc, *NOT_FOUND):
                return None
            raise map_error(exc, f"reading bucket {cloud_id}") from exc
        del values[""]
        values["tags"] = strip_managed_tags(values["tags"])
        return self.normalise({"name": cloud_id, **values, "arn": f"arn:aws:s3:::{cloud_id}"})

    # -- create / update -------------------------------------------------------------------------
    def create(self, ctx: ResourceContext, spec: S3BucketSpec) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        client = ctx.session.client("s3")
        kwargs: dict[str, Any] = {"Bucket": spec.name}
        region = ctx.session.region
        if region and region != "us-east-1":  # us-east-1 rejects an explicit LocationConstraint
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        if spec.object_lock:
            kwargs["ObjectLockEnabledForBucket"] = True
        try:
            client.create_bucket(**kwargs)
        except ClientError as exc:
            if is_code(exc, "BucketAlreadyExists"):
                raise TerminalError(f"bucket name {spec.name} is taken by another AWS account (bucket names are "
                                    "global across all accounts); choose another name", code="BucketAlreadyExists") from exc
            if not is_code(exc, "BucketAlreadyOwnedByYou"):
                raise map_error(exc, f"creating bucket {spec.name}") from exc
        return self._apply(ctx, spec, list(WRITERS))

    def update(
        self, ctx: ResourceContext, spec: S3BucketSpec, observed: dict[str, Any], changes: list[Any]
    ) -> dict[str, Any]:
        changed = {_top_level(change.path) for change in changes}
        return self._apply(ctx, spec, [name for name in WRITERS if name in changed])

    def _apply(self, ctx: ResourceContext, spec: S3BucketSpec, settings: list[str]) -> dict[str, Any]:
        """Write ``settings`` in ``waves``, then read back; returns the attributes."""
        client = ctx.session.client("s3")

        def write(name: str) -> None:
            with aws_errors(f"setting {name} of bucket {spec.name}"):
                retry_until_visible(spec.name, lambda: WRITERS[name](client, spec, ctx.managed_tags))

        for wave in waves(settings):
            all_at_once({name: partial(write, name) for name in wave}, "s3-bucket-write")
        observed = self.read(ctx, spec.name)
        if observed is None:
            raise RetryableError(f"bucket {spec.name} is not visible yet after create (eventual consistency)",
                                 code="NoSuchBucket")
        return {**observed, "force_destroy": spec.force_destroy}

    # -- delete ----------------------------------------------------------------------------------
    def delete(self, ctx: ResourceContext, cloud_id: str, attributes: dict[str, Any]) -> None:
        from botocore.exceptions import ClientError

        client = ctx.session.client("s3")
        try:
            if attributes.get("force_destroy"):
                empty_bucket(client, cloud_id, bypass_governance=bool(attributes.get("object_lock")))
            client.delete_bucket(Bucket=cloud_id)
        except ClientError as exc:
            if is_code(exc, *NOT_FOUND):
                return
            if is_code(exc, "BucketNotEmpty"):
                raise TerminalError(f"bucket {cloud_id} is not empty; set force_destroy: true to delete it with its "
                                    "objects", code="BucketNotEmpty") from exc
            raise map_error(exc, f"deleting bucket {cloud_id}") from exc


def waves(settings: list[str]) -> list[list[str]]:
    """``settings`` (in ``WRITERS`` order) as successive groups written at once: each setting
    after the one ``WRITE_AFTER`` names, when that one is written too."""
    out: list[list[str]] = []
    pending = list(settings)
    while pending:
        wave = [name for name in pending if WRITE_AFTER.get(name) not in pending]
        out.append(wave)
        pending = [name for name in pending if name not in wave]
    return out


def all_at_once(calls: dict[str, Callable[[], T]], thread_name: str) -> dict[str, T]:
    """Each call's result by name, all of them in flight at once; when some raise, the first
    in ``calls`` order is raised once every call has finished."""
    if len(calls) == 1:
        name, call = next(iter(calls.items()))
        return {name: call()}
    with ThreadPoolExecutor(max_workers=len(calls), thread_name_prefix=thread_name) as pool:
        futures = {name: pool.submit(call) for name, call in calls.items()}
        wait(futures.values())
        return {name: future.result() for name, future in futures.items()}


def empty_bucket(client: Any, bucket: str, *, bypass_governance: bool = False) -> int:
    """Delete every object version, delete marker and unfinished multipart upload in ``bucket``
    (paginated, in batches of 1000). Returns how many versions and markers were deleted."""
    deleted = 0
    batch: list[dict[str, str]] = []

    def flush() -> None:
        nonlocal deleted, batch
        if not batch:
            return
        kwargs: dict[str, Any] = {"Bucket": bucket, "Delete": {"Objects": batch, "Quiet": True}}
        if bypass_governance:
            kwargs["BypassGovernanceRetention"] = True
        errors = client.delete_objects(**kwargs).get("Errors", [])
        if errors:
            first = errors[0]
            raise TerminalError(f"emptying bucket {bucket}: {len(errors)} object(s) could not be deleted, e.g. "
                                f"{first.get('Key')} ({first.get('Code')}: {first.get('Message')})")
        deleted += len(batch)
        batch = []

    for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
            batch.append({"Key": item["Key"], "VersionId": item["VersionId"]})
            if len(batch) == DELETE_BATCH:
                flush()
    flush()
    for page in client.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
        for upload in page.get("Uploads", []):
            client.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
    return deleted


def _sorted_by(items: Any, key: str) -> Any:
    if isinstance(items, list) and all(isinstance(i, dict) for i in items):
        return sorted(items, key=lambda i: str(i.get(key)).zfill(12))
    return items


def _sorted_transitions(rule: dict[str, Any]) -> dict[str, Any]:
    out = dict(rule)
    for key, by in (("transitions", "days"), ("noncurrent_transitions", "noncurrent_days")):
        if key in out:
            out[key] = _sorted_by(out[key], by)
    return out


def _top_level(path: str) -> str:
    return path.split(".", 1)[0].split("[", 1)[0]
