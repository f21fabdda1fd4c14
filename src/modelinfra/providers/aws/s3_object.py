"""``aws.s3_object``: one S3 object (a model artifact), uploaded from a local file or restored
from one of its own earlier versions. Cloud id: ``bucket/key``.

Identity of content is a SHA-256, never the ETag (multipart and KMS ETags are not MD5s): the
local file's digest is streamed, stored in the object's metadata ``modelinfra-sha256`` and
compared as the ``sha256`` attribute. An object overwritten outside modelinfra carries a
different or no ``modelinfra-sha256`` and so shows as a difference.

Point-in-time restore (``restore_at`` / ``restore_version_id``) is expressed through attributes so the
generic plan diff shows it: desired carries ``restored_from: "<version> (as of <T>)"`` and the
chosen version's ``sha256``; observed reads ``restored_from`` from ``modelinfra-restored-from``.
Applying copies that version back as the current one (a new version with the old bytes), after
which a new plan is a no-op. ``restore_at``/``restore_version_id`` themselves are write-only: the
``version_id`` attribute read back is the current version's id (computed).

Delete removes every version and delete marker of the key (as terraform-provider-aws does), so a
versioned bucket holding only the stack's objects can be deleted after them; with
``lifecycle.retain_versions`` only the current object goes (the plan says so: ``delete_note``).

Observed ``metadata`` never contains the ``modelinfra-*`` keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any, ClassVar
from urllib.parse import quote

from modelinfra.errors import TerminalError
from modelinfra.providers.aws.errors import is_code, map_error
from modelinfra.providers.aws.s3_index import has_version, list_latest, unchanged
from modelinfra.providers.aws.s3_names import bucket_and_key
from modelinfra.providers.aws.s3_object_spec import RESERVED_METADATA_PREFIX, S3ObjectSpec
from modelinfra.providers.aws.s3_transfer import ObjectExists, copy_version, single_put, upload_file
from modelinfra.providers.aws.s3_versions import (
    META_RESTORED_FROM,
    META_SHA256,
    RestoreTarget,
    delete_all_versions,
    list_versions,
    restore_target,
)
from modelinfra.providers.base import FollowUp, ResourceContext, ResourceHandler
from modelinfra.providers.hashing import file_sha256

__all__ = ["S3ObjectHandler"]

NOT_FOUND = ("404", "NoSuchKey", "NoSuchBucket", "NotFound", "NoSuchVersion")


def split_id(cloud_id: str) -> tuple[str, str]:
    """``bucket/key`` -> (bucket, key); bucket names never contain a slash, keys may."""
    bucket, sep, key = cloud_id.partition("/")
    if not sep or not bucket or not key:
        raise TerminalError(f"not an S3 object id (bucket/key): {cloud_id!r}")
    return bucket, key


class S3ObjectHandler(ResourceHandler[S3ObjectSpec]):
    type_name: ClassVar[str] = "aws.s3_object"
    cloud_id_form: ClassVar[str] = "BUCKET/KEY, or the object's ARN arn:aws:s3:::BUCKET/KEY (s3://BUCKET/KEY also works)"
    cloud: ClassVar[str] = "aws"
    spec_model = S3ObjectSpec
    computed: ClassVar[tuple[str, ...]] = ("version_id", "etag", "size", "url", "https_url")
    recomputed_on_update: ClassVar[tuple[str, ...]] = ("version_id", "etag", "size")  # every write is a new version
    force_new: ClassVar[tuple[str, ...]] = ("bucket", "key")
    write_only: ClassVar[tuple[str, ...]] = ("source", "restore_at", "restore_version_id")
    derived: ClassVar[tuple[str, ...]] = ("sha256", "restored_from")

    def identify(self, ctx: ResourceContext, spec: S3ObjectSpec) -> str:
        return f"{spec.bucket}/{spec.key}"

    def parse_cloud_id(self, cloud_id: str) -> str:
        return "/".join(bucket_and_key(cloud_id, want_key=True, form=self.cloud_id_form))

    def desired(self, ctx: ResourceContext, spec: S3ObjectSpec) -> dict[str, Any]:
        """The spec's properties plus ``sha256`` (of the local file, or of the version a restore
        brings back) and, when restoring, ``restored_from``. Restoring reads the object's versions."""
        data: dict[str, Any] = {
            "bucket": spec.bucket,
            "key": spec.key,
            "content_type": spec.content_type,
            "metadata": dict(spec.metadata),
            "storage_class": spec.storage_class,
        }
        if spec.restoring:
            target = self._restore_target(ctx, spec)
            data["sha256"] = target.sha256
            data["restored_from"] = target.label
        else:
            data["sha256"] = file_sha256(self._source_path(ctx, spec))
        return data

    # -- read ------------------------------------------------------------------------------------
    def read(self, ctx: ResourceContext, cloud_id: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        bucket, key = split_id(cloud_id)
        try:
            head = ctx.session.client("s3").head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if is_code(exc, *NOT_FOUND):
                return None  # also when the current version is a delete marker
            raise map_error(exc, f"reading s3://{bucket}/{key}") from exc
        return self._attributes(ctx, bucket, key, head)

    def batch_group(self, cloud_id: str) -> str | None:
        return cloud_id.partition("/")[0] or None

    def read_many(
        self, ctx: ResourceContext, recorded: Mapping[str, tuple[str, dict[str, Any]]]
    ) -> dict[str, dict[str, Any] | None | FollowUp]:
        """One ``ListObjectVersions`` walk of the bucket (``s3_index``); a HEAD (``read``) only
        for objects whose current version is not provably the one state recorded."""
        from botocore.exceptions import ClientError

        if not any(has_version(attributes) for _, attributes in recorded.values()):
            return {}  # nothing a listing could vouch for (an unversioned bucket): a HEAD each
        ids = {address: split_id(cloud_id) for address, (cloud_id, _) in recorded.items()}
        bucket = next(iter(ids.values()))[0]
        try:
            listing = list_latest(ctx.session.client("s3"), bucket, {key for _, key in ids.values()})
        except ClientError as exc:
            if is_code(exc, "NoSuchBucket"):
                return dict.fromkeys(recorded)
            raise map_error(exc, f"listing object versions of s3://{bucket}") from exc
        out: dict[str, dict[str, Any] | None | FollowUp] = {}
        for address, (cloud_id, attributes) in recorded.items():
            key = ids[address][1]
            if key in listing.latest or listing.covers(key):
                entry = listing.latest.get(key)
                if entry is None:
                    out[address] = None
                elif unchanged(entry, attributes):
                    out[address] = self._attributes(ctx, bucket, key, _head_of(entry, attributes))
                else:
                    out[address] = partial(_read_again, self, cloud_id)
        return out

    def _attributes(self, ctx: ResourceContext, bucket: str, key: str, head: Mapping[str, Any]) -> dict[str, Any]:
        """The attributes of the object a HeadObject answer (or its equivalent) describes."""
        raw = head.get("Metadata", {})
        return {
            "bucket": bucket,
            "key": key,
            "content_type": head.get("ContentType"),
            "metadata": {k: v for k, v in raw.items() if not k.startswith(RESERVED_METADATA_PREFIX)},
            "storage_class": head.get("StorageClass") or "STANDARD",
            "sha256": raw.get(META_SHA256),
            "restored_from": raw.get(META_RESTORED_FROM),
            "version_id": head.get("VersionId"),
            "etag": (head.get("ETag") or "").strip('"') or None,
            "size": head.get("ContentLength"),
            "url": f"s3://{bucket}/{key}",
            "https_url": self._https_url(ctx, bucket, key),
        }

    # -- create / update -------------------------------------------------------------------------
    def create(self, ctx: ResourceContext, spec: S3ObjectSpec) -> dict[str, Any]:
        """Upload the file, or restore the chosen version. Idempotent: an object already holding
        exactly what the spec asks (same sha256, metadata, content type, storage class, restore)
        is adopted without writing a new version; anything else there is overwritten.

        A file small enough for one ``PutObject`` is first sent with ``If-None-Match: *``: one
        request when the key is free (the usual create), and when it is not, nothing is written
        and the object is read and compared as below (a HEAD first for everything else)."""
        if not spec.restoring and single_put(self._source_path(ctx, spec).stat().st_size):
            try:
                return self._upload(ctx, spec, if_absent=True)
            except ObjectExists:
                pass
        existing = self.read(ctx, self.identify(ctx, spec))
        desired = self.desired(ctx, spec)
        if existing is not None and all(existing.get(k) == v for k, v in desired.items() if v is not None):
            return existing
        if spec.restoring:
            self._restore(ctx, spec, self._restore_target(ctx, spec))
            return self._read_back(ctx, spec)
        return self._upload(ctx, spec)

    def update(
        self, ctx: ResourceContext, spec: S3ObjectSpec, observed: dict[str, Any], changes: list[Any]
    ) -> dict[str, Any]:
        """Restore or re-upload when the content changed; a change of metadata, content type or
        storage class alone is a server-side copy onto itself (no re-upload)."""
        changed = {change.path.split(".", 1)[0] for change in changes}
        if spec.restoring:
            self._restore(ctx, spec, self._restore_target(ctx, spec))
        elif "sha256" in changed or observed.get("sha256") is None:
            return self._upload(ctx, spec)
        else:
            extra = self._extra_args(spec, {META_SHA256: observed["sha256"]}
                                     | ({META_RESTORED_FROM: observed["restored_from"]}
                                        if observed.get("restored_from") else {}))
            copy_version(ctx, spec.bucket, spec.key, observed.get("version_id"), int(observed.get("size") or 0), extra)
        return self._read_back(ctx, spec)

    # -- delete ----------------------------------------------------------------------------------
    def delete(self, ctx: ResourceContext, cloud_id: str, attributes: dict[str, Any]) -> None:
        """Delete every version and delete marker of the key, so a versioned bucket the stack
        made can be deleted after it; with ``lifecycle.retain_versions`` (``ctx.retain_versions``)
        only the current object (a delete marker on a versioned bucket: the older versions stay
        restorable). Other keys are never touched. A missing object or bucket is success."""
        from botocore.exceptions import ClientError

        bucket, key = split_id(cloud_id)
        client = ctx.session.client("s3")
        try:
            if ctx.retain_versions:
                client.delete_object(Bucket=bucket, Key=key)
            else:
                delete_all_versions(client, bucket, key)
        except ClientError as exc:
            if not is_code(exc, *NOT_FOUND):
                raise map_error(exc, f"deleting s3://{bucket}/{key}") from exc

    def delete_note(self, ctx: ResourceContext, attributes: dict[str, Any]) -> str | None:
        if not ctx.retain_versions:
            return None
        where = f"s3://{attributes['bucket']}/{attributes['key']}" if attributes.get("key") else "the object"
        return f"lifecycle.retain_versions: the noncurrent versions of {where} are kept"

    def versions(self, ctx: ResourceContext, cloud_id: str) -> list[dict[str, Any]]:
        """Every stored version of the object, newest first (``list_versions``)."""
        return list_versions(ctx, *split_id(cloud_id))

    # -- helpers ---------------------------------------------------------------------------------
    def _upload(self, ctx: ResourceContext, spec: S3ObjectSpec, *, if_absent: bool = False) -> dict[str, Any]:
        """Upload the source (``if_absent``: see ``upload_file``, ``ObjectExists`` when the key is
        taken); returns the attributes of the version written. A single PutObject's
        answer (ETag, VersionId) and what it sent (content type, metadata, storage class, size)
        are exactly what a HEAD of that version reports, so no read-back; after a multipart upload,
        or when S3 might store a metadata value other than the one sent (surrounding whitespace
        is trimmed from headers), the object is read back."""
        path = self._source_path(ctx, spec)
        extra = self._extra_args(spec, {META_SHA256: file_sha256(path)})
        answer = upload_file(ctx, path, spec.bucket, spec.key, extra, if_absent=if_absent)
        if answer is None or not all(_verbatim_header(value) for value in extra["Metadata"].values()):
            return self._read_back(ctx, spec)
        head = {**extra, "VersionId": answer.get("VersionId"), "ETag": answer.get("ETag"),
                "ContentLength": answer["ContentLength"]}
        return self._attributes(ctx, spec.bucket, spec.key, head)

    def _restore(self, ctx: ResourceContext, spec: S3ObjectSpec, target: RestoreTarget) -> None:
        from botocore.exceptions import ClientError

        recorded = {META_RESTORED_FROM: target.label} | ({META_SHA256: target.sha256} if target.sha256 else {})
        try:
            head = ctx.session.client("s3").head_object(Bucket=spec.bucket, Key=spec.key, VersionId=target.version_id)
        except ClientError as exc:
            raise map_error(exc, f"reading version {target.version_id} of s3://{spec.bucket}/{spec.key}") from exc
        copy_version(ctx, spec.bucket, spec.key, target.version_id, int(head.get("ContentLength") or 0),
                     self._extra_args(spec, recorded))

    def _restore_target(self, ctx: ResourceContext, spec: S3ObjectSpec) -> RestoreTarget:
        return restore_target(ctx.session.client("s3"), spec.bucket, spec.key, at=spec.restore_at,
                              version_id=spec.restore_version_id)

    def _extra_args(self, spec: S3ObjectSpec, recorded: dict[str, str]) -> dict[str, Any]:
        return {
            "ContentType": spec.content_type,
            "Metadata": {**spec.metadata, **recorded},
            "StorageClass": spec.storage_class,
        }

    def _read_back(self, ctx: ResourceContext, spec: S3ObjectSpec) -> dict[str, Any]:
        observed = self.read(ctx, self.identify(ctx, spec))
        if observed is None:  # S3 has read-after-write consistency; this means someone deleted it
            raise TerminalError(f"s3://{spec.bucket}/{spec.key} vanished right after it was written")
        return observed

    @staticmethod
    def _source_path(ctx: ResourceContext, spec: S3ObjectSpec) -> Any:
        assert spec.source is not None
        path = (ctx.spec_dir / spec.source).resolve()
        if not path.is_file():
            raise TerminalError(f"{ctx.address}: source file {path} does not exist or is not a file")
        return path

    @staticmethod
    def _https_url(ctx: ResourceContext, bucket: str, key: str) -> str:
        endpoint = getattr(ctx.session, "endpoint_url", None)
        if endpoint:
            return f"{endpoint.rstrip('/')}/{bucket}/{quote(key)}"
        region = getattr(ctx.session, "region", None) or "us-east-1"
        return f"https://{bucket}.s3.{region}.amazonaws.com/{quote(key)}"


def _read_again(handler: S3ObjectHandler, cloud_id: str, ctx: ResourceContext) -> dict[str, Any] | None:
    """The follow-up ``read_many`` leaves for an object it cannot vouch for: a HEAD (``read``)."""
    return handler.read(ctx, cloud_id)


def _verbatim_header(value: str) -> bool:
    """True when an HTTP header carries ``value`` unchanged (no surrounding or control whitespace)."""
    return value == value.strip() and value.isprintable()


def _head_of(entry: Mapping[str, Any], recorded: Mapping[str, Any]) -> dict[str, Any]:
    """What HeadObject answers for the listed current version ``entry`` that state recorded as
    ``recorded`` (proven the same version by ``s3_index.unchanged``)."""
    metadata = dict(recorded["metadata"] or {})
    for name, attribute in ((META_SHA256, "sha256"), (META_RESTORED_FROM, "restored_from")):
        if recorded.get(attribute) is not None:
            metadata[name] = recorded[attribute]
    return {"ContentType": recorded["content_type"], "Metadata": metadata, "StorageClass": entry.get("StorageClass"),
            "VersionId": entry["VersionId"], "ETag": entry.get("ETag"), "ContentLength": entry.get("Size")}
