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
- It has the ``StateJournal`` capability (docs/remote-journal.md): the journal over one version of
  the state object is the objects ``<key>.journal/<serial>-<h>/<n>`` (``<h>`` a hash of that
  version's ETag, ``<n>`` 0, 1, 2... zero-padded; object 0 starts with the header line), each put
  with ``If-None-Match: *`` so two appenders cannot both take a number. An append is acknowledged
  once its PUT succeeded *and* a HEAD of the state shows the ETag this handle read (else "state
  changed by another run"). A full write first puts a seal (``{"sealed": <new serial>}``) at the
  next free number, so an appender that has not seen it is refused, then the state with
  ``If-Match``, then deletes older journals (best effort). Every write changes the object's ETag
  (an identical body gets a trailing newline), so a new state version always has a new, empty
  journal. ``read_journal`` reads the state (kept for the ``read`` that follows) and then the
  journal of exactly that version.
"""

from __future__ import annotations

import hashlib
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
from modelinfra.state import journal
from modelinfra.state.backends.base import LockInfo, lock_held_error, lock_ttl
from modelinfra.state.model import State

_AGAIN = StateError("the lock changed hands while we looked")
_REFUSED = ("PreconditionFailed", "ConditionalRequestConflict")
_SEAL = b'{"sealed":'
_NOTHING = object()  # no state kept by read_journal for the next read


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
        self.journal_root = key + ".journal/"
        self.journal_path = f"s3://{bucket}/{self.journal_root}"
        self._writer = uuid.uuid4().hex  # metadata of our journal objects: tells our own retried put apart
        self._kept: Any = _NOTHING  # the state read by read_journal, returned by the next read
        self._body: bytes | None = None  # the object's body as this handle last read or wrote it
        self._header: bytes = b""  # the journal header over that version
        self._n = 0  # journal objects of that version seen or put by this handle (records and seal)
        self._sealed = False  # whether one of them is a seal: nothing may be appended there
        self._unsure = False  # an append landed but could not be confirmed: append no more
        self._journal_keys: list[str] = []

    def __repr__(self) -> str:
        return f"S3Backend({self.path!r})"

    @property
    def client(self) -> Any:
        if self._client is None:
            from botocore.config import Config

            from modelinfra.providers.aws.retry_log import instrument

            settings = Settings.from_env()
            with _SESSIONS_LOCK:  # boto3 sessions are not thread-safe; clients are
                session = _session(self.profile, self.region)
                client = session.client(
                    "s3", endpoint_url=self.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None,
                    config=Config(retries={"mode": "standard", "total_max_attempts": settings.max_attempts},
                                  connect_timeout=5, read_timeout=30))
            # the provider's retry handling: each backoff capped at MODELINFRA_RETRY_BACKOFF_MAX and logged
            instrument(client, settings.max_attempts, settings.retry_backoff_max)
            self._client = client
        return self._client

    # -- StateReader ----------------------------------------------------------------------------------
    def read(self) -> State | None:
        if self._kept is not _NOTHING:  # read_journal just read it: the journal's own base
            state, self._kept = self._kept, _NOTHING
            return state  # type: ignore[no-any-return]
        got = self._get(self.key, "read the state")
        if got is None:
            self._seen(None, None, None)
            return None
        body, etag, _ = got
        state = self._parse(body)
        self._seen(state, body, etag)
        return state

    def _seen(self, state: State | None, body: bytes | None, etag: str | None) -> None:
        """This handle's view is now that version of the state, its journal not yet read."""
        self._etag, self._body = etag, body
        self._serial = state.serial if state is not None else None
        self._header = journal.header_line(state) if state is not None else b""
        self._n, self._sealed, self._unsure, self._journal_keys = 0, False, False, []

    def _prefix(self) -> str:
        digest = hashlib.sha256((self._etag or "").encode()).hexdigest()[:12]
        return f"{self.journal_root}{self._serial or 0:010d}-{digest}/"

    # -- StateJournal ---------------------------------------------------------------------------------
    def read_journal(self) -> bytes | None:
        for _ in range(5):  # the state moved between its read and its journal's: read both again
            self._kept = _NOTHING
            state = self.read()
            if state is None:
                if self._list(self.journal_root, limit=1):
                    raise StateError(f"{self.journal_path} holds journal objects but {self.path} does not exist; "
                                     f"restore the state object (bucket versioning keeps it), or remove the "
                                     f"journal if its actions are known to be gone")
                self._kept = state
                return None
            try:
                data = self._read_records()
            except _Moved:
                continue
            self._kept = state
            return data
        raise StateError(f"{self.path} kept changing while its journal was read; try again")

    def _read_records(self) -> bytes | None:
        prefix = self._prefix()
        keys = self._list(prefix)
        records: list[bytes] = []
        for n, key in enumerate(keys):
            if key != f"{prefix}{n:010d}":
                self._check_unmoved()
                raise StateError(f"the state journal {self.journal_path} is missing object {prefix}{n:010d} "
                                 f"(found {key}); it holds actions not yet compacted into {self.path}. "
                                 f"Inspect it before removing it.")
            got = self._get(key, "read the state journal")
            if got is None:  # deleted since it was listed: a compaction
                self._check_unmoved()
                raise StateError(f"the state journal object s3://{self.bucket}/{key} vanished while "
                                 f"{self.path} did not change; inspect the journal")
            self._journal_keys.append(key)
            self._n = n + 1
            if got[0].startswith(_SEAL):  # a compaction began: nothing after it counts (none was acknowledged)
                self._sealed = True
                break
            _check_whole(got[0], f"s3://{self.bucket}/{key}")
            records.append(got[0])
        if not self._journal_keys:
            return None
        return b"".join(records) if records else self._header  # sealed with no record: still a journal

    def append_journal(self, data: bytes) -> None:
        if self._lost:
            raise StateError(f"lost the state lock {self.lock_path} (removed or taken over by someone else); "
                             f"nothing was recorded")
        if self._etag is None:
            raise StateError(f"{self.path} does not exist: there is nothing to journal over")
        if self._sealed:
            raise self._stale("its journal was sealed by a compaction", "recorded")
        if self._unsure:
            raise StateError(f"an earlier append to {self.journal_path} could not be confirmed; nothing more is "
                             f"recorded by this run. Run again: the next run reads what did land.")
        if data.startswith(b'{"journal":'):  # the header is ours to write, in object 0
            data = data.split(b"\n", 1)[1]
        body = self._header + data if self._n == 0 else data
        self._put_journal_object(body, "its journal moved since this run read it")

    def _put_journal_object(self, body: bytes, why: str, seal: bool = False) -> None:
        key = f"{self._prefix()}{self._n:010d}"
        try:
            self._call("append to the state journal", self.client.put_object, Bucket=self.bucket, Key=key, Body=body,
                       ContentType="application/x-ndjson", IfNoneMatch="*", Metadata={"writer": self._writer},
                       **self._sse())
        except _Refused:
            response = self._get_response(key, "read the state journal")
            mine = response is not None and response["Metadata"].get("writer") == self._writer
            if not (mine and response is not None and response["Body"] == body):  # else: our retried put
                raise self._stale(why, "written" if seal else "recorded") from None
        self._journal_keys.append(key)
        self._n += 1
        self._sealed = self._sealed or seal
        try:
            self._check_unmoved()
        except _Moved:
            self._sealed = True  # landed over a state that moved (an ignored journal): append no more
            raise self._stale(why, "written" if seal else "acknowledged") from None
        except StateError:
            self._unsure = True  # landed, but unconfirmed
            raise

    def _check_unmoved(self) -> None:
        """Raise ``_Moved`` unless the state object is still the version this handle read or wrote."""
        try:
            etag = self._call("read the state", self.client.head_object, Bucket=self.bucket, Key=self.key)["ETag"]
        except _Missing:
            etag = None
        if etag != self._etag:
            raise _Moved()

    def _stale(self, why: str, what: str) -> StateError:
        """The refusal of a stale writer: the serial it read and the one stored now (``why`` when
        only the journal moved)."""
        current = self._get(self.key, "read the state")
        if current is not None and current[1] == self._etag:
            return _changed(self.path, why, what)
        now = self._parse(current[0]).serial if current is not None else "none"
        was = self._serial if self._serial is not None else "none"
        return _changed(self.path, f"serial {was} → {now}", what)

    def _list(self, prefix: str, limit: int = 0) -> list[str]:
        """The keys under ``prefix``, in order (the first ``limit`` only, when given)."""
        keys: list[str] = []
        token: dict[str, str] = {}
        while True:
            page = self._call("list the state journal", self.client.list_objects_v2, Bucket=self.bucket,
                              Prefix=prefix, **({"MaxKeys": limit} if limit else {}), **token)
            keys.extend(item["Key"] for item in page.get("Contents", []))
            if limit or not page.get("IsTruncated"):
                return sorted(keys)
            token = {"ContinuationToken": page["NextContinuationToken"]}

    # -- StateWriter ----------------------------------------------------------------------------------
    def write(self, state: State) -> None:
        if self._lost:
            raise StateError(f"lost the state lock {self.lock_path} (removed or taken over by someone else); "
                             f"nothing was written")
        self._check_versioning()
        body = (json.dumps(state.to_json(), indent=2, sort_keys=True, default=str) + "\n").encode()
        if body == self._body:  # every write changes the ETag, so a new version starts a new journal
            body += b"\n"
        if self._etag is not None and not self._sealed:  # no appender that has not seen this may land
            seal = (json.dumps({"sealed": state.serial}) + "\n").encode()
            self._put_journal_object(seal, "a journal record was appended since this run read it", seal=True)
        old = self._journal_keys
        condition = {"IfMatch": self._etag} if self._etag else {"IfNoneMatch": "*"}
        try:
            response = self._call("write the state", self.client.put_object, Bucket=self.bucket, Key=self.key,
                                  Body=body, ContentType="application/json", **condition, **self._sse())
        except _Refused:
            current = self._get(self.key, "read the state")
            if current is not None and current[0] == body:  # our own put, retried after its answer was lost
                self._seen(state, body, current[1])
                self._remove_old_journals(old, state.serial)
                return
            now = self._parse(current[0]).serial if current is not None else "none"
            was = self._serial if self._serial is not None else "none"
            raise StateError(f"state changed by another run (serial {was} → {now}) in {self.path}; nothing "
                             f"was written. Run again to work from the current state.") from None
        self._seen(state, body, response["ETag"])
        self._remove_old_journals(old, state.serial)

    def _remove_old_journals(self, sealed: list[str], serial: int) -> None:
        """Best effort: the journal just sealed and compacted, and any older one a crash left."""
        try:
            keys = set(sealed)
            for key in self._list(self.journal_root):
                name = key[len(self.journal_root):].split("-", 1)[0]
                if name.isdigit() and int(name) < serial:
                    keys.add(key)
            ordered = sorted(keys)
            for start in range(0, len(ordered), 1000):
                chunk = [{"Key": key} for key in ordered[start:start + 1000]]
                self._call("remove compacted journal objects", self.client.delete_objects, Bucket=self.bucket,
                           Delete={"Objects": chunk, "Quiet": True})
        except (StateError, _Missing, _Refused) as exc:
            self.reporter.warning(f"could not remove the compacted journal under {self.journal_path} ({exc}); "
                                  f"the next compaction will")

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

    def _get_response(self, key: str, doing: str) -> dict[str, Any] | None:
        """GetObject's response with ``Body`` read into bytes, or None when there is no such object."""
        try:
            response = self._call(doing, self.client.get_object, Bucket=self.bucket, Key=key)
        except _Missing:
            return None
        try:
            response["Body"] = response["Body"].read()
        except Exception as exc:  # noqa: BLE001 - a connection dropped mid-body
            raise StateError(f"cannot {doing} from s3://{self.bucket}/{key}: {exc}") from None
        response.setdefault("Metadata", {})
        return response  # type: ignore[no-any-return]

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


class _Moved(Exception):
    """The state object changed while its journal was being read."""


def _changed(path: str, why: str, what: str) -> StateError:
    return StateError(f"state changed by another run ({why}) in {path}; nothing was {what}. Run again to "
                      f"work from the current state.")


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


def _check_whole(body: bytes, where: str) -> None:
    """A journal object is written whole (S3 has no partial PUT), so one that is not complete JSON
    lines was damaged afterwards. The journal parser would take a bad last line for an interrupted
    append and drop it, silently losing an acknowledged record: refuse it instead."""
    try:
        if not body.endswith(b"\n"):
            raise ValueError("it does not end with a newline")
        for line in body[:-1].split(b"\n"):
            json.loads(line)
    except ValueError as exc:
        raise StateError(f"the state journal object {where} is damaged ({exc}); S3 writes an object whole, so "
                         f"it was changed after it was written. It holds an acknowledged action: inspect it "
                         f"before removing it.") from None
