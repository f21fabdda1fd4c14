"""State in one S3 object, ``s3://<bucket>/<key>``, locked by ``<key>.lock``. boto3 is imported lazily.

Contract (DESIGN.md §3):

- Every write is compare-and-swap against the version this handle last read or wrote: PutObject with
  ``If-Match: <etag>``, or ``If-None-Match: *`` when there was no object. A refused write (412
  PreconditionFailed / 409 ConditionalRequestConflict) raises ``StateError`` "state changed by another
  run (serial N → M)", having written nothing. A write is one PUT, so a reader sees the old or the new
  document. History is the bucket's versioning (a warning, once, when it is off); at rest the object
  is encrypted (SSE-KMS with ``kms_key_id``, else SSE-S3).
- The lock is the object ``<key>.lock`` created with ``If-None-Match: *`` and holding a ``LockInfo``
  with ``expires``. The holder's heartbeat thread renews it every third of the TTL (``lock_ttl()``,
  60 s by default) with ``If-Match`` on its own ETag, so it expires within one TTL of the holder's
  death. An expired lock is taken over with ``If-Match`` on the dead holder's ETag (one of racing
  contenders wins). Expiry compares ``expires`` with the S3 server's clock (the ``Date`` of the read).
- Before its first lock a handle checks that the store honours conditional writes (a second
  ``If-None-Match: *`` put of a probe object must be refused) and refuses to lock otherwise.
- Every S3 failure becomes a one-line ``StateError`` (missing bucket, no permission, unreachable).
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from modelinfra.errors import StateError
from modelinfra.reporting import NULL_REPORTER, Reporter
from modelinfra.settings import Settings
from modelinfra.state.backends.base import LockInfo, lock_held_error, lock_ttl
from modelinfra.state.model import State

_AGAIN = StateError("the lock changed hands while we looked")
_REFUSED = ("PreconditionFailed", "ConditionalRequestConflict")


class S3Backend:
    """A ``StateBackend`` over ``s3://bucket/key``. One handle holds at most one lock."""

    def __init__(self, bucket: str, key: str, *, region: str | None = None, profile: str | None = None,
                 endpoint_url: str | None = None, kms_key_id: str | None = None,
                 reporter: Reporter = NULL_REPORTER):
        self.bucket, self.key, self.lock_key = bucket, key, key + ".lock"
        self.region, self.profile, self.endpoint_url, self.kms_key_id = region, profile, endpoint_url, kms_key_id
        self.reporter = reporter
        self.path = f"s3://{bucket}/{key}"
        self.lock_path = f"s3://{bucket}/{self.lock_key}"
        self._client: Any = None
        self._etag: str | None = None  # the object's ETag as this handle last saw it (None: absent)
        self._serial: int | None = None
        self._versioning_checked = False
        self._conditional_checked = False
        self._held: LockInfo | None = None
        self._lock_etag: str | None = None
        self._lost = False
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self._mutex = threading.Lock()

    def __repr__(self) -> str:
        return f"S3Backend({self.path!r})"

    @property
    def client(self) -> Any:
        if self._client is None:
            from botocore.config import Config

            settings = Settings.from_env()
            with _SESSIONS_LOCK:  # boto3 sessions are not thread-safe; clients are
                session = _session(self.profile, self.region)
                self._client = session.client(
                    "s3", endpoint_url=self.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None,
                    config=Config(retries={"mode": "standard", "max_attempts": settings.max_attempts},
                                  connect_timeout=5, read_timeout=30))
        return self._client

    # -- StateReader ----------------------------------------------------------------------------------
    def read(self) -> State | None:
        got = self._get(self.key, "read the state")
        if got is None:
            self._etag, self._serial = None, None
            return None
        body, etag, _ = got
        state = self._parse(body)
        self._etag, self._serial = etag, state.serial
        return state

    # -- StateWriter ----------------------------------------------------------------------------------
    def write(self, state: State) -> None:
        if self._lost:
            raise StateError(f"lost the state lock {self.lock_path} (removed or taken over by someone else); "
                             f"nothing was written")
        self._check_versioning()
        body = (json.dumps(state.to_json(), indent=2, sort_keys=True, default=str) + "\n").encode()
        condition = {"IfMatch": self._etag} if self._etag else {"IfNoneMatch": "*"}
        try:
            response = self._call("write the state", self.client.put_object, Bucket=self.bucket, Key=self.key,
                                  Body=body, ContentType="application/json", **condition, **self._sse())
        except _Refused:
            current = self._get(self.key, "read the state")
            if current is not None and current[0] == body:  # our own put, retried after its answer was lost
                self._etag, self._serial = current[1], state.serial
                return
            now = self._parse(current[0]).serial if current is not None else "none"
            was = self._serial if self._serial is not None else "none"
            raise StateError(f"state changed by another run (serial {was} → {now}) in {self.path}; nothing "
                             f"was written. Run again to work from the current state.") from None
        self._etag, self._serial = response["ETag"], state.serial

    # -- StateLocker ----------------------------------------------------------------------------------
    def lock(self, operation: str, timeout: float = 0.0) -> LockInfo:
        if self._held is not None:
            raise StateError(f"{self.lock_path}: this process already holds the lock")
        self._check_conditional_writes()
        ttl = lock_ttl()
        deadline = time.monotonic() + max(timeout, 0.0)
        interval = 0.1
        while True:
            info = LockInfo.for_this_process(operation, self.lock_path, ttl)
            refusal = self._try_lock(info)
            if refusal is None:
                self._start_heartbeat(ttl)
                return info
            if refusal is _AGAIN:
                continue
            if time.monotonic() >= deadline:
                raise refusal
            time.sleep(min(interval, max(deadline - time.monotonic(), 0.0)))
            interval = min(interval * 2, 1.0)

    def unlock(self) -> None:
        if self._held is None:
            raise StateError(f"{self.lock_path}: unlock without holding the lock")
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join()
        with self._mutex:
            etag, self._held, self._lock_etag, self._heartbeat = self._lock_etag, None, None, None
        try:
            self._call("release the lock", self.client.delete_object, Bucket=self.bucket, Key=self.lock_key,
                       IfMatch=etag)
        except (_Refused, _Missing):
            self.reporter.warning(f"the state lock {self.lock_path} was removed or replaced by someone else "
                                  f"while this process held it (modelinfra state unlock?)")

    def force_unlock(self, lock_id: str | None = None) -> bool:
        got = self._get(self.lock_key, "read the lock")
        if got is None:
            return False
        if lock_id is not None:
            holder = _lock_document(got[0])
            if holder is None or holder.id != lock_id:
                found = holder.id if holder else "unreadable"
                raise StateError(f"the lock on {self.path} has id {found}, not {lock_id}; nothing was released")
        try:
            self._call("release the lock", self.client.delete_object, Bucket=self.bucket, Key=self.lock_key,
                       IfMatch=got[1])
        except (_Refused, _Missing):
            raise StateError(f"the lock on {self.path} changed while releasing it; nothing was released. "
                             f"Look again with `modelinfra state unlock`") from None
        return True

    def lock_info(self) -> LockInfo | None:
        got = self._get(self.lock_key, "read the lock")
        return _lock_document(got[0]) if got else None

    def lock_exists(self) -> bool:
        """Whether there is a lock object at all (readable as a lock document or not)."""
        return self._get(self.lock_key, "read the lock") is not None

    # -- locking internals ----------------------------------------------------------------------------
    def _try_lock(self, info: LockInfo) -> StateError | None:
        try:
            response = self._put_lock(info, IfNoneMatch="*")
        except _Refused:
            pass
        else:
            self._hold(info, response["ETag"])
            return None
        got = self._get(self.lock_key, "read the lock")
        if got is None:
            return _AGAIN
        body, etag, server_now = got
        holder = _lock_document(body)
        if holder is None:
            return lock_held_error(None, self.lock_path, "That object is not a modelinfra lock document.")
        if holder.id == info.id:  # our own create, retried after its answer was lost
            self._hold(info, etag)
            return None
        if not holder.expired(server_now):
            return lock_held_error(holder, self.lock_path)
        try:
            response = self._put_lock(info, IfMatch=etag)
        except (_Refused, _Missing):
            return _AGAIN
        self.reporter.warning(f"took over the expired state lock {self.lock_path} left by {holder.holder()}")
        self._hold(info, response["ETag"])
        return None

    def _put_lock(self, info: LockInfo, **condition: str) -> Any:
        return self._call("take the lock", self.client.put_object, Bucket=self.bucket, Key=self.lock_key,
                          Body=info.dumps().encode(), ContentType="application/json", **condition, **self._sse())

    def _hold(self, info: LockInfo, etag: str) -> None:
        with self._mutex:
            self._held, self._lock_etag, self._lost = info, etag, False

    def _start_heartbeat(self, ttl: float) -> None:
        self._stop = threading.Event()
        self._heartbeat = threading.Thread(target=self._renew, args=(ttl, self._stop), daemon=True,
                                           name="modelinfra-state-lock-heartbeat")
        self._heartbeat.start()

    def _renew(self, ttl: float, stop: threading.Event) -> None:
        """Heartbeat: move ``expires`` forward every ttl/3 while held; stop for good if the lock is lost."""
        while not stop.wait(ttl / 3):
            with self._mutex:
                if self._held is None:
                    return
                renewed, etag = self._held.renewed(ttl), self._lock_etag
            try:
                response = self._put_lock(renewed, IfMatch=etag or "")
            except (_Refused, _Missing):
                self._lost = True
                self.reporter.warning(f"lost the state lock {self.lock_path}: someone removed or took it over")
                return
            except StateError:  # transient (throttled, unreachable): try again next beat
                continue
            with self._mutex:
                if self._held is not None:
                    self._held, self._lock_etag = renewed, response["ETag"]

    def _check_conditional_writes(self) -> None:
        """Refuse a store that accepts a second ``If-None-Match: *`` put: it could not lock."""
        if self._conditional_checked:
            return
        probe = f"{self.lock_key}.probe-{uuid.uuid4().hex}"
        put = self.client.put_object
        self._call("check conditional writes", put, Bucket=self.bucket, Key=probe, Body=b"", IfNoneMatch="*")
        try:
            try:
                self._call("check conditional writes", put, Bucket=self.bucket, Key=probe, Body=b"",
                           IfNoneMatch="*")
            except _Refused:
                self._conditional_checked = True
                return
            raise StateError(f"s3://{self.bucket} does not honour conditional writes (a second If-None-Match: * "
                             f"PutObject was accepted), so it can neither lock nor compare-and-swap the state; "
                             f"refusing to use it")
        finally:
            self._call("check conditional writes", self.client.delete_object, Bucket=self.bucket, Key=probe)

    # -- S3 calls -------------------------------------------------------------------------------------
    def _get(self, key: str, doing: str) -> tuple[bytes, str, datetime] | None:
        """(body, ETag, server time) of ``key``, or None when there is no such object."""
        try:
            response = self._call(doing, self.client.get_object, Bucket=self.bucket, Key=key)
        except _Missing:
            return None
        try:
            body = response["Body"].read()
        except Exception as exc:  # noqa: BLE001 - a connection dropped mid-body
            raise StateError(f"cannot {doing} from s3://{self.bucket}/{key}: {exc}") from None
        return body, response["ETag"], _server_time(response)

    def _call(self, doing: str, method: Any, **kwargs: Any) -> Any:
        """``method(**kwargs)``; a refused condition raises ``_Refused``, a missing object ``_Missing``,
        anything else a one-line ``StateError``."""
        from botocore.exceptions import BotoCoreError, ClientError

        where = f"s3://{self.bucket}/{kwargs.get('Key', '')}"
        try:
            return method(**kwargs)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in _REFUSED or status in (409, 412):
                raise _Refused() from None
            if code in ("NoSuchKey", "404"):
                raise _Missing() from None
            if code == "NoSuchBucket":
                raise StateError(f"cannot {doing}: the S3 bucket {self.bucket} does not exist ({where})") from None
            if code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken"):
                raise StateError(f"cannot {doing}: no permission on {where} ({code})") from None
            raise StateError(f"cannot {doing} ({where}): {code or status}: {error.get('Message', exc)}") from None
        except BotoCoreError as exc:
            raise StateError(f"cannot {doing} ({where}): {exc}") from None

    def _parse(self, body: bytes) -> State:
        try:
            return State.from_json(json.loads(body.decode("utf-8")))
        except ValueError as exc:
            raise StateError(f"state object {self.path} is corrupt: {exc}. Earlier versions are kept by the "
                             f"bucket's versioning") from None
        except StateError as exc:
            raise StateError(f"state object {self.path} is not valid modelinfra state: {exc}") from None

    def _sse(self) -> dict[str, str]:
        if self.kms_key_id:
            return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self.kms_key_id}
        return {"ServerSideEncryption": "AES256"}

    def _check_versioning(self) -> None:
        if self._versioning_checked:
            return
        self._versioning_checked = True
        try:
            status = self._call("read the bucket versioning", self.client.get_bucket_versioning,
                                Bucket=self.bucket).get("Status")
        except (StateError, _Missing, _Refused):
            return  # no permission to look: not worth failing the write for
        if status != "Enabled":
            self.reporter.warning(f"S3 bucket {self.bucket} has versioning off, so earlier states of {self.path} "
                                  f"are not kept; turn it on (aws s3api put-bucket-versioning --bucket "
                                  f"{self.bucket} --versioning-configuration Status=Enabled)")


_SESSIONS: dict[tuple[str | None, str | None], Any] = {}
_SESSIONS_LOCK = threading.Lock()


def _session(profile: str | None, region: str | None) -> Any:
    """One boto3 session per (profile, region) and process: its loaded service models are reused by
    every client made from it (call under ``_SESSIONS_LOCK``)."""
    import boto3

    key = (profile, region)
    if key not in _SESSIONS:
        _SESSIONS[key] = boto3.session.Session(profile_name=profile, region_name=region)
    return _SESSIONS[key]


class _Refused(Exception):
    """A conditional request whose condition did not hold (412 / 409)."""


class _Missing(Exception):
    """No such object."""


def _lock_document(body: bytes) -> LockInfo | None:
    try:
        return LockInfo.from_json(json.loads(body.decode("utf-8")))
    except (ValueError, StateError):
        return None


def _server_time(response: Any) -> datetime:
    date = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    try:
        return parsedate_to_datetime(date).astimezone(UTC) if date else datetime.now(UTC)
    except (TypeError, ValueError):
        return datetime.now(UTC)
