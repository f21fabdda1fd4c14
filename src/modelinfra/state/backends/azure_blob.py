"""State in one Azure block blob, ``<endpoint>/<container>/<blob>``, locked by a lease on that blob.
azure-storage-blob is imported lazily.

Contract (DESIGN.md §3; the same behaviour and methods as ``S3Backend``):

- Every write is compare-and-swap against the version this handle last read or wrote: Put Blob with
  ``If-Match: <etag>``, or ``If-None-Match: *`` when there was no blob, plus the lease id while this
  handle holds the lock. A refused write (412 ConditionNotMet / 409 BlobAlreadyExists) raises
  ``StateError`` "state changed by another run (serial N → M)", having written nothing. A write is
  one PUT, so a reader sees the old or the new document. History: before each overwrite of a state
  the blob is snapshotted (Snapshot Blob, conditioned on the same ETag). At rest Azure encrypts
  every blob (SSE); there is nothing to switch on.
- The lock is a lease on the state blob itself, so the store enforces it: while it is held nobody
  else can write the state (412 LeaseIdMissing), and a holder whose lease was broken cannot write
  either. The lease id is the ``LockInfo.id``. A lease needs a blob, so the first lock on an empty
  store creates a 0-byte placeholder blob (``If-None-Match: *``), which ``read`` reports as "no state".
  Who holds the lease (the ``LockInfo`` JSON with ``expires``) is the body of ``<blob>.lock``, written
  by the holder right after acquiring; it is a description, never the lock: a lease with no current
  document (a contender looking in the instant between acquire and write) is looked at again for up
  to a second before being reported as a lease modelinfra did not take. Keeping it out of the state
  blob's metadata keeps the state's ETag changing only when the state does.
- Leases last 15–60 s (Azure's bounds): ``lock_ttl()`` clamped to that range. A heartbeat thread
  renews the lease every third of it and moves ``expires`` in the document, so a killed holder's lock
  is free within one lease of its last renewal. ``force_unlock()`` breaks the lease (with a lock id:
  releases exactly that lease, or refuses).
- Before its first lock a handle checks that the store honours conditional writes (a second
  ``If-None-Match: *`` put of a probe blob must be refused) and leases (a put without the lease id
  on a leased probe must be refused), and refuses to lock otherwise.
- Every failure becomes a one-line ``StateError`` (missing container, no permission, unreachable,
  malformed state, a lease that is not ours).

``from_config`` reuses the Azure provider's session and data-plane helpers: the credential is the
session's (AAD, or nothing usable on an emulated session) unless ``resource_group`` is given, in
which case the account's blob endpoint and key come from ARM (``get_properties`` / ``listKeys``, the
ARM emulator in the sandbox, whose accounts live in Azurite). ``endpoint`` overrides the endpoint;
the default is ``https://<account>.blob.<cloud suffix>``.
"""

from __future__ import annotations

import json
import math
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelinfra.errors import ModelinfraError, StateError
from modelinfra.reporting import NULL_REPORTER, Reporter
from modelinfra.settings import Settings
from modelinfra.state.backends.base import LockInfo, lock_held_error, lock_ttl
from modelinfra.state.model import State

if TYPE_CHECKING:
    from modelinfra.spec.model import AzureBlobStateConfig
    from modelinfra.spec.providers import AzureProviderConfig

MIN_LEASE, MAX_LEASE = 15, 60
"""Azure's bounds on a finite lease, in seconds."""
SETTLE_SECONDS = 1.0
"""How long a contender looks again at a lease whose holder has not yet described itself."""

_NIL_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
_LEASE_TAKEN = {"LeaseIdMissing", "LeaseAlreadyPresent", "LeaseIsBreakingAndCannotBeAcquired"}
_LEASE_LOST = {"LeaseIdMismatchWithBlobOperation", "LeaseNotPresentWithBlobOperation", "LeaseLost",
               "LeaseIdMismatchWithLeaseOperation", "LeaseIsBrokenAndCannotBeRenewed",
               "LeaseNotPresentWithLeaseOperation"}
_AGAIN = StateError("the lease changed hands while we looked")


class AzureBlobBackend:
    """A ``StateBackend`` over one blob. One handle holds at most one lock.

    ``endpoint`` is the account's blob endpoint (``https://acct.blob.core.windows.net`` or Azurite's
    ``http://127.0.0.1:PORT/devstoreaccount1``); ``credential`` anything ``BlobServiceClient`` takes
    (a token credential, ``{"account_name", "account_key"}``, a SAS string); ``api_version`` pins the
    service version (Azurite)."""

    def __init__(self, endpoint: str, container: str, blob: str, *, credential: Any = None,
                 api_version: str | None = None, settings: Settings | None = None,
                 reporter: Reporter = NULL_REPORTER):
        self.endpoint, self.container, self.blob = endpoint.rstrip("/"), container, blob
        self.credential, self.api_version = credential, api_version
        self.settings = settings or Settings.from_env()
        self.reporter = reporter
        self.path = f"{self.endpoint}/{container}/{blob}"
        self.lock_path = self.path  # the lock is the state blob's lease
        self.lock_document_path = self.path + ".lock"
        self._container: Any = None
        self._etag: str | None = None  # the blob's ETag as this handle last saw it (None: absent)
        self._serial: int | None = None  # None: no state (absent, or the placeholder)
        self._checked = False
        self._held: LockInfo | None = None
        self._doc_etag: str | None = None
        self._lost = False
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self._mutex = threading.Lock()

    def __repr__(self) -> str:
        return f"AzureBlobBackend({self.path!r})"

    @classmethod
    def from_config(cls, config: AzureBlobStateConfig, azure: AzureProviderConfig | None, *,
                    reporter: Reporter = NULL_REPORTER) -> AzureBlobBackend:
        """The backend a spec's ``state:`` block names; ``azure`` is the spec's ``providers.azure``.
        Asks ARM for the account's endpoint and key when ``config.resource_group`` is set; raises a
        one-line ``StateError`` when that fails or when no credential can work."""
        from modelinfra.providers.azure import blob_data
        from modelinfra.providers.azure.session import AzureSession, is_loopback
        from modelinfra.spec.providers import AzureProviderConfig

        settings = Settings.from_env()
        if config.resource_group and azure is None:
            raise StateError(f"state.resource_group {config.resource_group} needs providers.azure (its "
                             f"subscription_id) to ask ARM for the key of storage account {config.account}")
        # Without a resource group the session only supplies the credential and the cloud's suffix.
        session = AzureSession(azure or AzureProviderConfig(subscription_id=_NIL_SUBSCRIPTION), settings)
        endpoint = config.endpoint or f"https://{config.account}.blob.{session.storage_suffix}"
        credential: Any
        if config.resource_group:
            from modelinfra.providers.base import ResourceContext

            ctx = ResourceContext(stack="", address="state", spec_dir=Path.cwd(), session=session,
                                  reporter=reporter)
            doing = f"find storage account {config.account} in resource group {config.resource_group}"
            try:
                where = blob_data.account_endpoint(ctx, config.account, config.resource_group)
                if where is None:
                    raise StateError(f"cannot {doing}: it does not exist")
                endpoint = config.endpoint or where.blob_endpoint
                credential = {"account_name": blob_data.shared_key_account(endpoint, config.account),
                              "account_key": blob_data.account_key(ctx, where)}
            except StateError:
                raise
            except ModelinfraError as exc:
                raise StateError(f"cannot {doing}: {_first_line(exc)}") from None
        elif session.emulated:
            raise StateError(f"state.backend azure_blob in the sandbox needs state.resource_group (the "
                             f"account key of {config.account} comes from the emulated ARM listKeys)")
        else:
            credential = session.credential
        api_version = blob_data.AZURITE_API_VERSION if session.emulated or is_loopback(endpoint) else None
        return cls(endpoint, config.container, config.blob, credential=credential, api_version=api_version,
                   settings=settings, reporter=reporter)

    # -- clients --------------------------------------------------------------------------------------
    @property
    def container_client(self) -> Any:
        if self._container is None:
            from azure.storage.blob import BlobServiceClient

            kwargs: dict[str, Any] = {"retry_policy": _retry_policy(self.settings),
                                      "connection_timeout": 5, "read_timeout": 30}
            if self.api_version:
                kwargs["api_version"] = self.api_version
            service = BlobServiceClient(self.endpoint, credential=self.credential, **kwargs)
            self._container = service.get_container_client(self.container)
        return self._container

    def _blob(self, name: str | None = None) -> Any:
        return self.container_client.get_blob_client(name or self.blob)

    def _lease(self, lease_id: str | None = None) -> Any:
        from azure.storage.blob import BlobLeaseClient

        return BlobLeaseClient(self._blob(), lease_id=lease_id)

    # -- StateReader ----------------------------------------------------------------------------------
    def read(self) -> State | None:
        got = self._get(self.blob, "read the state")
        if got is None or got[0] == b"":  # absent, or the placeholder a first lock leaves
            self._etag, self._serial = (got[1] if got else None), None
            return None
        body, etag, _ = got
        state = self._parse(body)
        self._etag, self._serial = etag, state.serial
        return state

    # -- StateWriter ----------------------------------------------------------------------------------
    def write(self, state: State) -> None:
        if self._lost:
            raise StateError(f"lost the state lock on {self.path} (its lease was broken or taken over); "
                             f"nothing was written")
        body = (json.dumps(state.to_json(), indent=2, sort_keys=True, default=str) + "\n").encode()
        lease = self._held.id if self._held else None
        for _ in range(3):
            try:
                if self._serial is not None and self._etag:  # keep the state being replaced
                    self._call("snapshot the state", lambda: self._blob().create_snapshot(
                        if_match=self._etag, lease=lease))
                response = self._put(self.blob, "write the state", body, self._etag, lease)
            except _Refused as refused:
                if refused.code in _LEASE_TAKEN:
                    holder = self.lock_info()
                    why = "Nothing was written." if holder else (
                        f"Its lease was not taken by modelinfra (no lock document {self.lock_document_path}); "
                        f"nothing was written.")
                    raise lock_held_error(holder, self.lock_path, why) from None
                if refused.code in _LEASE_LOST:
                    self._lost = True
                    raise StateError(f"lost the state lock on {self.path} (its lease was broken or taken "
                                     f"over by someone else); nothing was written") from None
                current = self._get(self.blob, "read the state")
                if current is not None and current[0] == body:  # our own put, retried after a lost answer
                    self._etag, self._serial = current[1], state.serial
                    return
                if current is not None and current[0] == b"" and self._serial is None:
                    self._etag = current[1]  # still no state, only a placeholder: the same version
                    continue
                now = self._parse(current[0]).serial if current is not None and current[0] else "none"
                was = self._serial if self._serial is not None else "none"
                raise StateError(f"state changed by another run (serial {was} → {now}) in {self.path}; "
                                 f"nothing was written. Run again to work from the current state.") from None
            self._etag, self._serial = response["etag"], state.serial
            return
        raise StateError(f"cannot write the state to {self.path}: it kept changing underneath; nothing was written")

    # -- StateLocker ----------------------------------------------------------------------------------
    def lock(self, operation: str, timeout: float = 0.0) -> LockInfo:
        if self._held is not None:
            raise StateError(f"{self.lock_path}: this process already holds the lock")
        self._check_conditional_writes()
        seconds = lease_seconds()
        started = time.monotonic()
        deadline = started + max(timeout, 0.0)
        interval = 0.1
        while True:
            info = LockInfo.for_this_process(operation, self.lock_path, seconds)
            refusal = self._try_lock(info, seconds)
            if refusal is None:
                self._start_heartbeat(seconds)
                return info
            if refusal is _AGAIN:
                continue
            if isinstance(refusal, _Unsettled):
                if time.monotonic() < started + SETTLE_SECONDS:
                    time.sleep(0.1)
                    continue
                refusal = refusal.error
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
            held, doc_etag, self._held, self._doc_etag, self._heartbeat = (
                self._held, self._doc_etag, None, None, None)
        try:
            self._call("release the lock", lambda: self._lease(held.id).release())
        except (_Refused, _Missing):
            self.reporter.warning(f"the state lock on {self.path} was broken or taken over by someone else "
                                  f"while this process held it (modelinfra state unlock?)")
        self._delete_document(doc_etag)  # after the release: a held lease always has its document

    def force_unlock(self, lock_id: str | None = None) -> bool:
        if not self._leased():
            return False
        got = self._get(self._doc_name(), "read the lock")
        holder = _lock_document(got[0]) if got else None
        try:
            if lock_id is None:
                self._call("break the lock", lambda: self._lease().break_lease(lease_break_period=0))
            else:
                if holder is None or holder.id != lock_id:
                    found = holder.id if holder else "unknown (no modelinfra lock document)"
                    raise StateError(f"the lock on {self.path} has id {found}, not {lock_id}; nothing was released")
                self._call("release the lock", lambda: self._lease(lock_id).release())
        except (_Refused, _Missing):
            raise StateError(f"the lock on {self.path} changed while releasing it; nothing was released. "
                             f"Look again with `modelinfra state unlock`") from None
        self._delete_document(got[1] if got else None)
        return True

    def lock_info(self) -> LockInfo | None:
        """The holder's description while the state blob is leased; None when it is not (or the
        lease has no modelinfra document)."""
        if not self._leased():
            return None
        got = self._get(self._doc_name(), "read the lock")
        return _lock_document(got[0]) if got else None

    # -- locking internals ----------------------------------------------------------------------------
    def _try_lock(self, info: LockInfo, seconds: int) -> StateError | None:
        try:
            self._call("take the lock", lambda: self._blob().acquire_lease(lease_duration=seconds,
                                                                           lease_id=info.id))
        except _Missing:  # no state blob yet: a lease needs one
            self._ensure_blob()
            return _AGAIN
        except _Refused as refused:
            if refused.code not in _LEASE_TAKEN:
                raise StateError(f"cannot take the lock on {self.path}: {refused.code}") from None
            got = self._get(self._doc_name(), "read the lock")
            if got is None:  # a foreign lease, or a holder that has not described itself yet
                return _Unsettled(lock_held_error(None, self.lock_path, f"Its lease was not taken by "
                                                  f"modelinfra (no lock document {self.lock_document_path})."))
            holder = _lock_document(got[0])
            if holder is None:
                return lock_held_error(None, self.lock_path,
                                       f"{self.lock_document_path} is not a modelinfra lock document.")
            if holder.expired(got[2]):  # the last holder's document; the new one is being written
                return _Unsettled(lock_held_error(holder, self.lock_path))
            return lock_held_error(holder, self.lock_path)
        try:
            previous = self._get(self._doc_name(), "read the lock")
            response = self._put(self._doc_name(), "describe the lock", info.dumps().encode(), None, None,
                                 overwrite=True)
        except BaseException:
            self._release_quietly(info.id)
            raise
        old = _lock_document(previous[0]) if previous else None
        if old is not None and old.id != info.id and old.expired(previous[2]):  # type: ignore[index]
            self.reporter.warning(f"took over the expired state lock on {self.path} left by {old.holder()}")
        with self._mutex:
            self._held, self._doc_etag, self._lost = info, response["etag"], False
        return None

    def _ensure_blob(self) -> None:
        """Create the 0-byte placeholder a lease needs when there is no state blob yet."""
        try:
            response = self._put(self.blob, "create the state blob", b"", None, None)
        except _Refused:
            return  # it exists
        if self._etag is None:  # this handle saw no state, and there still is none
            self._etag = response["etag"]

    def _release_quietly(self, lease_id: str) -> None:
        try:
            self._call("release the lock", lambda: self._lease(lease_id).release())
        except (StateError, _Refused, _Missing):
            pass

    def _start_heartbeat(self, seconds: int) -> None:
        self._stop = threading.Event()
        self._heartbeat = threading.Thread(target=self._renew, args=(seconds, self._stop), daemon=True,
                                           name="modelinfra-state-lock-heartbeat")
        self._heartbeat.start()

    def _renew(self, seconds: int, stop: threading.Event) -> None:
        """Heartbeat: renew the lease and move ``expires`` forward every third of the lease; stop for
        good when the lease is lost."""
        while not stop.wait(seconds / 3):
            with self._mutex:
                if self._held is None:
                    return
                renewed, doc_etag = self._held.renewed(seconds), self._doc_etag
            try:
                self._call("renew the lock", lambda lease_id=renewed.id: self._lease(lease_id).renew())
                response = self._put(self._doc_name(), "describe the lock", renewed.dumps().encode(),
                                     doc_etag, None)
            except (_Refused, _Missing):
                self._lost = True
                self.reporter.warning(f"lost the state lock on {self.path}: its lease was broken or taken over")
                return
            except StateError:  # transient (throttled, unreachable): try again next beat
                continue
            with self._mutex:
                if self._held is not None:
                    self._held, self._doc_etag = renewed, response["etag"]

    def _leased(self) -> bool:
        try:
            props = self._call("read the lock", lambda: self._blob().get_blob_properties())
        except _Missing:
            return False
        return str(props.lease.state) == "leased"

    def _check_conditional_writes(self) -> None:
        """Refuse a store that accepts a second ``If-None-Match: *`` put, or a put without the lease id
        on a leased blob: it could neither compare-and-swap nor lock."""
        if self._checked:
            return
        name = f"{self.blob}.probe-{uuid.uuid4().hex}"
        doing = "check conditional writes"
        self._put(name, doing, b"", None, None)
        lease: Any = None
        try:
            try:
                self._put(name, doing, b"", None, None)
            except _Refused:
                pass
            else:
                raise StateError(f"{self.endpoint}/{self.container} does not honour conditional writes (a "
                                 f"second If-None-Match: * Put Blob was accepted), so it can neither lock nor "
                                 f"compare-and-swap the state; refusing to use it")
            lease = self._call(doing, lambda: self.container_client.get_blob_client(name).acquire_lease(
                lease_duration=MIN_LEASE))
            try:
                self._put(name, doing, b"x", None, None, overwrite=True)
            except _Refused:
                pass
            else:
                raise StateError(f"{self.endpoint}/{self.container} does not honour blob leases (a Put Blob "
                                 f"without the lease id of a leased blob was accepted), so it cannot lock the "
                                 f"state; refusing to use it")
            self._checked = True
        finally:
            try:
                self._call(doing, lambda: self.container_client.get_blob_client(name).delete_blob(lease=lease))
            except (_Refused, _Missing):
                pass

    # -- blob calls -----------------------------------------------------------------------------------
    def _doc_name(self) -> str:
        return self.blob + ".lock"

    def _put(self, name: str, doing: str, body: bytes, etag: str | None, lease: str | None, *,
             overwrite: bool = False) -> Any:
        """Put Blob ``name``: with ``If-Match: etag``, else ``If-None-Match: *`` unless ``overwrite``."""
        from azure.storage.blob import ContentSettings

        condition = {"if_match": etag} if etag else ({} if overwrite else {"if_none_match": "*"})
        return self._call(doing, lambda: self._blob(name).upload_blob(
            body, blob_type="BlockBlob", overwrite=True, lease=lease,
            content_settings=ContentSettings(content_type="application/json"), **condition))

    def _delete_document(self, etag: str | None) -> None:
        """Delete the lock document if it is still the version ``etag``; a failure is ignored (a stale
        document only names a holder whose lease is gone)."""
        if etag is None:
            return
        try:
            self._call("remove the lock document", lambda: self._blob(self._doc_name()).delete_blob(if_match=etag))
        except (StateError, _Refused, _Missing):
            pass

    def _get(self, name: str, doing: str) -> tuple[bytes, str, datetime] | None:
        """(body, ETag, server time) of blob ``name``, or None when there is no such blob."""
        dates: list[str] = []

        def download() -> tuple[bytes, str]:
            downloader = self._blob(name).download_blob(
                raw_response_hook=lambda response: dates.append(response.http_response.headers.get("Date", "")))
            return downloader.readall(), downloader.properties.etag

        try:
            body, etag = self._call(doing, download)
        except _Missing:
            return None
        return body, etag, _server_time(dates[0] if dates else "")

    def _call(self, doing: str, method: Callable[[], Any]) -> Any:
        """``method()``; a refused condition or lease raises ``_Refused``, a missing blob ``_Missing``,
        anything else a one-line ``StateError``."""
        from azure.core.exceptions import AzureError, HttpResponseError

        from modelinfra.providers.azure.errors import error_code, status_code

        try:
            return method()
        except HttpResponseError as exc:
            raw = getattr(exc, "error_code", None)  # the SDK's StorageErrorCode enum, or a str
            code, status = str(getattr(raw, "value", raw) or error_code(exc) or ""), status_code(exc)
            if status in (409, 412):
                raise _Refused(code) from None
            if code == "ContainerNotFound":
                raise StateError(f"cannot {doing}: the container {self.container} does not exist "
                                 f"({self.endpoint}/{self.container})") from None
            if status == 404:
                raise _Missing() from None
            if status in (401, 403):
                raise StateError(f"cannot {doing}: no permission on {self.path} ({code or status})") from None
            raise StateError(f"cannot {doing} ({self.path}): {code or status}: {_first_line(exc)}") from None
        except AzureError as exc:
            raise StateError(f"cannot {doing} ({self.path}): {_first_line(exc)}") from None

    def _parse(self, body: bytes) -> State:
        try:
            return State.from_json(json.loads(body.decode("utf-8")))
        except ValueError as exc:
            raise StateError(f"state blob {self.path} is corrupt: {exc}. Earlier versions are kept as blob "
                             f"snapshots") from None
        except StateError as exc:
            raise StateError(f"state blob {self.path} is not valid modelinfra state: {exc}") from None


def _retry_policy(settings: Settings) -> Any:
    """The storage SDK's exponential retry (5xx, 408, connection failures; it needs the storage
    policy, not azure-core's) with ``settings.max_attempts`` attempts: 0.5 s, then 0.5 + 2^n s, with
    jitter, each wait capped at ``settings.retry_backoff_max``."""
    from azure.storage.blob import ExponentialRetry

    class CappedRetry(ExponentialRetry):
        def get_backoff_time(self, retry_settings: dict[str, Any]) -> float:
            return min(super().get_backoff_time(retry_settings), settings.retry_backoff_max)

    return CappedRetry(initial_backoff=0.5, increment_base=2, random_jitter_range=0.5,  # type: ignore[arg-type]
                       retry_total=max(settings.max_attempts - 1, 0))


def lease_seconds() -> int:
    """The lease duration: ``lock_ttl()`` clamped to Azure's 15–60 s."""
    return int(min(max(math.ceil(lock_ttl()), MIN_LEASE), MAX_LEASE))


class _Refused(Exception):
    """A request refused by a condition or a lease (409 / 412); ``code`` is the storage error code."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


class _Missing(Exception):
    """No such blob."""


class _Unsettled(StateError):
    """A lease held with no current description: maybe its holder is still writing one."""

    def __init__(self, error: StateError):
        super().__init__(str(error))
        self.error = error


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "message", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _lock_document(body: bytes) -> LockInfo | None:
    try:
        return LockInfo.from_json(json.loads(body.decode("utf-8")))
    except (ValueError, StateError):
        return None


def _server_time(date: str) -> datetime:
    try:
        return parsedate_to_datetime(date).astimezone(UTC) if date else datetime.now(UTC)
    except (TypeError, ValueError):
        return datetime.now(UTC)
