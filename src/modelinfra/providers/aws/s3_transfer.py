"""Managed S3 transfers (boto3/s3transfer): multipart above 8 MiB, parts in parallel, progress
reported through ``ctx.reporter.transfer(address, done, total)``. A file below the multipart
threshold is one ``PutObject`` of its bytes (what s3transfer would send too, without building a
transfer manager and its thread pool per object: half the client CPU of a small create).

``upload_file`` uploads a local file whose SHA-256 the caller already computed and refuses to
record it if the file changed while it was being uploaded (``if_absent``: a single ``PutObject``
with ``If-None-Match: *``, which S3 refuses with 412 when the key has a current object: then
``ObjectExists``, nothing written); ``copy_version`` makes a copy (of an
older version, or of the object onto itself) with replaced metadata, multipart for large objects.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from modelinfra.errors import ProviderError, TerminalError
from modelinfra.providers.aws.errors import is_code, map_error
from modelinfra.providers.base import ResourceContext

MIB = 1024 * 1024
MULTIPART_THRESHOLD = 8 * MIB
PART_SIZE = 8 * MIB
CONCURRENCY = 8


class ObjectExists(Exception):
    """A conditional upload (``if_absent``) found a current object at the key; nothing was written."""


class Progress:
    """Thread-safe byte counter for s3transfer callbacks; forwards running totals to the reporter."""

    def __init__(self, ctx: ResourceContext, total: int):
        self._ctx = ctx
        self._total = total
        self._done = 0
        self._lock = threading.Lock()

    def __call__(self, amount: int) -> None:
        with self._lock:
            self._done += amount
            done = self._done
        self._ctx.reporter.transfer(self._ctx.address, min(done, self._total), self._total)

    def finish(self) -> None:
        """Report completion (also for an empty file, where no callback ever fires)."""
        self._ctx.reporter.transfer(self._ctx.address, self._total, self._total)


def transfer_config() -> Any:
    from boto3.s3.transfer import TransferConfig

    return TransferConfig(multipart_threshold=MULTIPART_THRESHOLD, multipart_chunksize=PART_SIZE,
                          max_concurrency=CONCURRENCY, use_threads=True)


def single_put(size: int) -> bool:
    """True when a file of ``size`` bytes is uploaded as one ``PutObject`` (below the multipart
    threshold), not as a multipart upload."""
    return size < MULTIPART_THRESHOLD


def upload_file(ctx: ResourceContext, path: Path, bucket: str, key: str,
                extra_args: dict[str, Any], *, if_absent: bool = False) -> dict[str, Any] | None:
    """Upload ``path`` to ``s3://bucket/key`` with ``extra_args`` (ContentType, Metadata...).
    ``TerminalError`` if the file's size or mtime changed during the upload (its recorded SHA-256
    would be wrong). Returns what S3 answered a single ``PutObject`` (``ETag``, ``VersionId``...)
    with ``ContentLength`` set to the bytes sent; None after a multipart upload.

    ``if_absent`` (single ``PutObject`` only: ``single_put(size)``): write only if the key has no
    current object, else raise ``ObjectExists``. A retried attempt whose first try landed is
    refused the same way, so the caller's fallback (read, compare, adopt) sees its own object.
    An S3-compatible store that ignores ``If-None-Match`` simply overwrites."""
    from botocore.exceptions import ClientError

    before = path.stat()
    progress = Progress(ctx, before.st_size)
    answer: dict[str, Any] | None = None
    with _transfer_errors(f"uploading {path} to s3://{bucket}/{key}"):
        client = ctx.session.client("s3")
        if single_put(before.st_size):
            body = path.read_bytes()
            condition = {"IfNoneMatch": "*"} if if_absent else {}
            try:
                sent = client.put_object(Bucket=bucket, Key=key, Body=body, **extra_args, **condition)
            except ClientError as exc:
                # 412: a current object is there; 409: a concurrent conditional write to the key
                if if_absent and is_code(exc, "PreconditionFailed", "ConditionalRequestConflict", "412", "409"):
                    raise ObjectExists(f"s3://{bucket}/{key}") from None
                raise
            answer = {**sent, "ContentLength": len(body)}
            progress(len(body))
        else:
            client.upload_file(str(path), bucket, key, ExtraArgs=extra_args, Callback=progress,
                               Config=transfer_config())
    after = path.stat()
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
        raise TerminalError(f"{path} changed while it was being uploaded to s3://{bucket}/{key}; run apply again")
    progress.finish()
    return answer


def copy_version(ctx: ResourceContext, bucket: str, key: str, version_id: str | None, size: int,
                 extra_args: dict[str, Any]) -> None:
    """Copy version ``version_id`` (None: the current one) of ``s3://bucket/key`` onto the same key
    with ``MetadataDirective=REPLACE`` and ``extra_args``, creating a new current version."""
    source = {"Bucket": bucket, "Key": key, **({"VersionId": version_id} if version_id else {})}
    progress = Progress(ctx, size)
    with _transfer_errors(f"copying version {version_id or 'current'} of s3://{bucket}/{key}"):
        ctx.session.client("s3").copy(source, bucket, key, ExtraArgs={**extra_args, "MetadataDirective": "REPLACE"},
                                      Callback=progress, Config=transfer_config())
    progress.finish()


@contextmanager
def _transfer_errors(action: str) -> Iterator[None]:
    """Map s3transfer/boto3 failures (which wrap botocore's) to modelinfra errors."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (ProviderError, ObjectExists):
        raise
    except Exception as exc:
        cause: BaseException | None = exc
        while cause is not None and not isinstance(cause, (ClientError, BotoCoreError)):
            cause = cause.__cause__ or cause.__context__
        if cause is not None:
            raise map_error(cause, action) from exc
        raise TerminalError(f"{action}: {exc}") from exc
