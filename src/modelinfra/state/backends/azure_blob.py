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
- It has the ``StateJournal`` capability (docs/remote-journal.md): the records over one version of
  the state are the append blob ``<blob>.journal`` (metadata ``base``: that version's id, which
  every write of the state sets in its metadata ``version``). Creating it is Put Blob (AppendBlob)
  ``If-None-Match: *``; each record is one Append Block with ``If-Match`` on the journal's ETag and
  ``x-ms-blob-condition-appendpos`` on its size as last seen, so a stale or duplicated append is
  refused (412); the first block starts with the header; every block's last line is signed with the
  handle's writer id, so a refusal of our own retried append is told apart from another run's. An
  append to a journal this handle created is acknowledged only once a HEAD shows the state blob
  unchanged (a stale appender's journal over a removed one is never acknowledged); an append to an
  existing journal needs none: its If-Match proves the journal was not closed, hence the state not
  replaced. A full write over an existing state first *closes* the journal for its version (Set
  Blob Metadata ``closed`` with ``If-Match``, or a journal created closed), then snapshots, puts the
  state (lease + ``If-Match``) and deletes the journal with ``If-Match``. ``read_journal`` reads the
  journal, then the state (kept for the ``read`` that follows); a journal over another version is
  ignored (compacted, or never acknowledged) and removed by the next write.

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
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from modelinfra.errors import ModelinfraError, StateError
from modelinfra.reporting import NULL_REPORTER, Reporter
from modelinfra.settings import Settings
from modelinfra.state import journal
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
_NOTHING = object()  # no state kept by read_journal for the next read
_NEVER = '"0x0"'  # an ETag no blob has: a condition on it is always refused


class AzureBlobBackend:
    """A ``StateBackend`` over one blob. One handle holds at most one lock.

    ``endpoint`` is the account's blob endpoint (``https://acct.blob.core.windows.net`` or Azurite's
    ``http://127.0.0.1:PORT/devstoreaccount1``); ``credential`` anything ``BlobServiceClient`` takes
    (a token credential, ``{"account_name", "account_key"}``, a SAS string); ``api_version`` pins the
    service version (Azurite)."""

    journal_capacity = 49_000
    """Records per journal: an append blob takes at most 50,000 blocks, one per record (the margin
    covers the header and the close). The manager compacts at this many, whatever the stack's size."""

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
        self.journal_blob = blob + ".journal"
        self.journal_path = self.path + ".journal"
        self._writer = uuid.uuid4().hex  # tells this handle's own retried requests apart from another run's
        self._kept: Any = _NOTHING  # the state read by read_journal, returned by the next read
        self._version = ""  # the state's version id (its metadata) as this handle last saw it
        self._header = b""  # the journal header over that state
        self._view = _JournalView()  # the journal blob as this handle last saw it

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
        if self._kept is not _NOTHING:  # read_journal just read it: the journal's own base
            state, self._kept = self._kept, _NOTHING
            return state  # type: ignore[no-any-return]
        got = self._get(self.blob, "read the state")
        if got is None or got.body == b"":  # absent, or the placeholder a first lock leaves
            self._seen(None, got.etag if got else None, "")
            return None
        state = self._parse(got.body)
        self._seen(state, got.etag, got.metadata.get("version") or got.etag)
        return state

    def _seen(self, state: State | None, etag: str | None, version: str) -> None:
        """This handle's view is now that version of the state, its journal not yet read."""
        self._etag, self._version = etag, version
        self._serial = state.serial if state is not None else None
        self._header = journal.header_line(state) if state is not None else b""
        self._view = _JournalView()

    # -- StateJournal ---------------------------------------------------------------------------------
    def read_journal(self) -> bytes | None:
        self._kept = _NOTHING
        got = self._get(self.journal_blob, "read the state journal")  # first: the state read next is as new
        state = self.read()
        self._kept = state
        if got is None:
            return None
        if got.kind != "AppendBlob":
            raise StateError(f"{self.journal_path} is a {got.kind or 'blob'}, not the append blob modelinfra keeps "
                             f"its state journal in; inspect it before removing it")
        if state is None:
            raise StateError(f"{self.journal_path} holds a state journal but {self.path} does not exist; restore "
                             f"the state blob (from its snapshots), or remove the journal if its actions are known "
                             f"to be gone")
        meta = got.metadata
        self._view = _JournalView(got.etag, len(got.body), meta.get("base", ""), meta.get("closed") == self._version)
        if self._view.base != self._version:  # over an older version: compacted already (or never acknowledged)
            return self._header  # replays nothing; the manager's next write compacts, which removes it
        if not got.body:  # created, sealed, or its first append lost: nothing acknowledged
            return self._header
        last = got.body.rstrip(b"\n").rpartition(b"\n")[2]
        if not got.body.endswith(b"\n") or not _is_json(last):  # a block lands whole: a torn tail is damage
            raise StateError(f"{self.journal_path} is corrupt at its last record; it holds actions not yet "
                             f"compacted into {self.path}. Inspect it before removing it.")
        return got.body

    def append_journal(self, data: bytes) -> None:
        if self._lost:
            raise StateError(f"lost the state lock on {self.path} (its lease was broken or taken over); nothing "
                             f"was recorded")
        if self._serial is None or self._etag is None:
            raise StateError(f"{self.path} does not exist: there is nothing to journal over")
        view = self._view
        if view.closed:
            raise self._stale("its journal was sealed by a compaction", "recorded")
        if view.unsure:
            raise StateError(f"an earlier append to {self.journal_path} could not be confirmed; nothing more is "
                             f"recorded by this run. Run again: the next run reads what did land.")
        if data.startswith(b'{"journal":'):  # the header is ours to write, at the journal's start
            data = data.split(b"\n", 1)[1]
        block = journal.signed(data, self._writer)
        created = False
        if view.etag is not None and view.base != self._version:  # a compacted journal left behind: remove it
            self._delete_journal(view.etag, "its journal moved since this run read it")
        if self._view.etag is None:
            if not self._create_journal():
                raise self._stale("its journal moved since this run read it", "recorded")
            created = True
        if self._view.size == 0:
            block = self._header + block
        self._append(block)
        if created:  # a new journal: acknowledged only over the live state (an old one's may have been removed)
            self._confirm("recorded")

    def _create_journal(self, closed: str = "", serial: int | None = None) -> bool:
        """Put Blob (AppendBlob) ``If-None-Match: *`` over this handle's state version (closed for it
        when ``closed``); False when a journal exists already. Our own create retried after its
        answer was lost is told apart by its metadata (writer id and version) and its size (0)."""
        metadata = self._journal_metadata(self._version, closed, serial)
        try:
            response = self._call("create the state journal", lambda: self._blob(self.journal_blob).create_append_blob(
                metadata=metadata, if_none_match="*"))
        except _Refused:
            props = self._properties(self.journal_blob, "read the state journal")
            if props is None or props.metadata != metadata or props.size:
                return False
            response = {"etag": props.etag}
        self._view = _JournalView(response["etag"], 0, self._version, bool(closed))
        return True

    def _append(self, block: bytes) -> None:
        """Append Block with ``If-Match`` on the journal's ETag and ``appendpos`` on its size as last seen:
        refused (412) unless nothing landed since, so a stale appender never lands. A refusal of our own
        retried append (its first attempt landed, its answer was lost) is told apart by its bytes,
        which end with this handle's writer id and the record's serial."""
        view = self._view
        try:
            response = self._call("append to the state journal", lambda: self._blob(self.journal_blob).append_block(
                block, if_match=view.etag, appendpos_condition=view.size))
            view.etag = response["etag"]
        except (_Refused, _Missing):
            got = self._get(self.journal_blob, "read the state journal", offset=view.size, length=len(block))
            if got is None or got.body != block:
                raise self._stale("its journal moved since this run read it", "recorded") from None
            # ours; when others appended after it, the view is gone: the next append is refused
            view.etag = got.etag if got.size == view.size + len(block) else _NEVER
        view.size += len(block)

    def _confirm(self, what: str) -> None:
        """Raise "state changed by another run" unless the state blob is still the version this handle
        read or wrote; a transient failure leaves the handle unable to append again."""
        try:
            props = self._properties(self.blob, "read the state")
        except StateError:
            self._view.unsure = True
            raise
        if props is None or props.etag != self._etag:
            self._view.closed = True  # landed in a journal every reader ignores: append no more
            raise self._stale("it was compacted", what)

    def _delete_journal(self, etag: str, why: str) -> None:
        """Delete a journal over another version, as last seen (gone already: fine, the create that
        follows is confirmed by a HEAD); refused when it changed since (someone closed it)."""
        if not self._remove_journal(etag):
            raise self._stale(why, "recorded")
        self._view = _JournalView()

    def _remove_journal(self, etag: str) -> bool:
        """Delete Blob ``If-Match: etag`` on the journal; True once it is gone (a retried delete whose
        first attempt did it is refused with 404 or 412: the journal is gone all the same)."""
        try:
            self._call("remove the compacted state journal", lambda: self._blob(self.journal_blob).delete_blob(
                if_match=etag))
        except (_Refused, _Missing):
            return self._properties(self.journal_blob, "read the state journal") is None
        return True

    def _close_journal(self, serial: int) -> None:
        """Before a full write over an existing state: close the journal for this version, so that no
        appender that has not seen the close can land a record (Set Blob Metadata ``If-Match`` on the
        journal as last seen; refused when a record landed since), or create it closed when there was
        none. A record acknowledged before the close is in this handle's view, hence in the write."""
        view = self._view
        why = "a journal record was appended since this run read it"
        if view.etag is None:
            if self._create_journal(closed=self._version, serial=serial):
                return
            props = self._properties(self.journal_blob, "read the state journal")
            if props is None or (props.metadata.get("base") == self._version and props.size):
                raise self._stale(why, "written")  # records over this version that this handle has not seen
            view = self._view = _JournalView(props.etag, props.size, props.metadata.get("base", ""))
        metadata = self._journal_metadata(view.base, self._version, serial)
        try:
            response = self._call("seal the state journal", lambda: self._blob(self.journal_blob).set_blob_metadata(
                metadata, if_match=view.etag))
        except (_Refused, _Missing):
            props = self._properties(self.journal_blob, "read the state journal")
            if props is None or props.metadata != metadata:  # else: our own close, retried
                raise self._stale(why, "written") from None
            response = {"etag": props.etag}
        view.etag, view.closed = response["etag"], True

    def _journal_metadata(self, base: str, closed: str, serial: int | None) -> dict[str, str]:
        metadata = {"base": base, "writer": self._writer}
        if closed:
            metadata.update(closed=closed, sealed=str(serial))
        return metadata

    def _stale(self, why: str, what: str) -> StateError:
        """The refusal of a stale writer: the serial it read and the one stored now (``why`` when
        only the journal moved)."""
        current = self._get(self.blob, "read the state")
        if current is not None and current.etag == self._etag:
            return _changed(self.path, why, what)
        now = self._parse(current.body).serial if current is not None and current.body else "none"
        was = self._serial if self._serial is not None else "none"
        return _changed(self.path, f"serial {was} → {now}", what)

    # -- StateWriter ----------------------------------------------------------------------------------
    def write(self, state: State) -> None:
        if self._lost:
            raise StateError(f"lost the state lock on {self.path} (its lease was broken or taken over); "
                             f"nothing was written")
        body = (json.dumps(state.to_json(), indent=2, sort_keys=True, default=str) + "\n").encode()
        lease = self._held.id if self._held else None
        version = uuid.uuid4().hex  # a new version id: a new, empty journal
        if self._serial is not None and self._etag and not self._view.closed:
            self._close_journal(state.serial)  # no appender that has not seen this may land a record
        for _ in range(3):
            try:
                if self._serial is not None and self._etag:  # keep the state being replaced
                    self._call("snapshot the state", lambda: self._blob().create_snapshot(
                        if_match=self._etag, lease=lease))
                response = self._put(self.blob, "write the state", body, self._etag, lease,
                                     metadata={"version": version})
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
                if current is not None and current.metadata.get("version") == version:  # our own put, retried
                    self._written(state, current.etag, version)
                    return
                if current is not None and current.body == b"" and self._serial is None:
                    self._etag = current.etag  # still no state, only a placeholder: the same version
                    continue
                now = self._parse(current.body).serial if current is not None and current.body else "none"
                was = self._serial if self._serial is not None else "none"
                raise _changed(self.path, f"serial {was} → {now}", "written") from None
            self._written(state, response["etag"], version)
            return
        raise StateError(f"cannot write the state to {self.path}: it kept changing underneath; nothing was written")

    def _written(self, state: State, etag: str, version: str) -> None:
        """The write landed: the view is the new version, and the journal it compacted is removed
        (best effort: left behind, it is over an older version, which every reader ignores; this
        handle's next append or the next compaction removes it)."""
        closed = self._view.etag
        self._seen(state, etag, version)
        if not closed:
            return
        try:
            gone, why = self._remove_journal(closed), "it changed since it was closed"
        except StateError as exc:
            gone, why = False, str(exc)
        if not gone:
            self._view = _JournalView(closed, 0, "stale")
            self.reporter.warning(f"could not remove the compacted state journal {self.journal_path} ({why}); "
                                  f"the next append or compaction will")

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
        try:
            self._put(name, doing, b"", None, None)
        except _Refused:
            pass  # a fresh name: our own put, retried after its answer was lost
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
             overwrite: bool = False, metadata: dict[str, str] | None = None) -> Any:
        """Put Blob ``name``: with ``If-Match: etag``, else ``If-None-Match: *`` unless ``overwrite``."""
        from azure.storage.blob import ContentSettings

        condition = {"if_match": etag} if etag else ({} if overwrite else {"if_none_match": "*"})
        return self._call(doing, lambda: self._blob(name).upload_blob(
            body, blob_type="BlockBlob", overwrite=True, lease=lease, metadata=metadata,
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

    def _get(self, name: str, doing: str, offset: int | None = None, length: int | None = None) -> _Got | None:
        """Blob ``name`` (``length`` bytes from ``offset`` when given), or None when there is no such
        blob (or nothing at that offset)."""
        dates: list[str] = []

        def download() -> _Got:
            downloader = self._blob(name).download_blob(offset, length, raw_response_hook=lambda response: dates.append(
                response.http_response.headers.get("Date", "")))
            body, props = downloader.readall(), downloader.properties
            total = str(props.content_range or "").rpartition("/")[2]
            return _Got(body, props.etag, _server_time(dates[0] if dates else ""), dict(props.metadata or {}),
                        str(getattr(props.blob_type, "value", props.blob_type) or ""),
                        int(total) if total.isdigit() else len(body))

        try:
            return self._call(doing, download)  # type: ignore[no-any-return]
        except _Missing:
            return None

    def _properties(self, name: str, doing: str) -> Any:
        """Get Blob Properties of ``name`` (``etag``, ``size``, ``metadata``), or None when there is none."""
        try:
            return self._call(doing, lambda: self._blob(name).get_blob_properties())
        except _Missing:
            return None

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
            if status in (404, 416):  # no such blob, or nothing at that offset
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


class _Got(NamedTuple):
    """A blob as downloaded: its bytes (or a range of them), ETag, the server's time, metadata, blob
    type and total size."""

    body: bytes
    etag: str
    when: datetime
    metadata: dict[str, str]
    kind: str
    size: int


@dataclass
class _JournalView:
    """The journal blob as a handle last saw or wrote it: ``etag`` (None: no journal), ``size``, the
    state version its records are over (``base``), and whether it is closed (sealed) for the state
    version the handle holds; ``unsure``: an append landed but could not be confirmed."""

    etag: str | None = None
    size: int = 0
    base: str = ""
    closed: bool = False
    unsure: bool = False


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


def _changed(path: str, why: str, what: str) -> StateError:
    return StateError(f"state changed by another run ({why}) in {path}; nothing was {what}. Run again to "
                      f"work from the current state.")


def _is_json(line: bytes) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


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
