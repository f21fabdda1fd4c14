"""``StateManager``: the engine's one handle on state, over any ``StateBackend``.

Invariants it keeps (whatever the backend):

- ``serial`` grows by one on every ``persist`` or ``record`` whose content (everything but the
  serial) differs from what was last read or written; an unchanged state is not written at all.
- ``lineage`` and ``stack`` never change: persisting a state of another lineage or stack over an
  existing one raises ``StateError``.
- ``persist`` and ``record`` are thread-safe (the executor calls them from worker threads after
  every action); writes are serialised by a lock inside the manager, and the manager keeps its own
  copy of what it wrote, so callers may keep mutating the ``State`` they passed.

Two ways to write. ``persist(state)`` writes the whole state (O(state)): at the end of a run, and
for one-off commands. ``record(state, addresses)`` makes durable only the entries of
``addresses`` (O(those entries)): the executor's per-action path. Over a backend with the
``StateJournal`` capability a record is one durable journal append (``modelinfra.state.journal``;
local: an fsynced line, S3: one object, Azure blob: one Append Block);
the full state is rewritten (compacted, the journal removed) by the next ``persist``, by the first
write after a read that found a journal (a run that crashed), and during a long run when both
``compact_interval`` seconds and ``max(compact_records, resources)`` records have passed since the
last compaction — at most every few seconds, and amortised O(1) per record — or at once when the
journal holds as many records as the backend's ``journal_capacity`` (if it declares one). A backend without the
capability (none of ours today) gets a full write per record. Durability is the same either way:
``record`` returns only once the change survives a crash.

Reads replay the journal onto the state (``read`` and ``snapshot`` alike, so ``plan``, ``drift``
and ``show`` see every acknowledged action of a run in progress or crashed).

Writers hold the backend lock (``with manager.lock("apply", timeout): ...``) from their ``read``
to their last ``persist``. Read-only commands (``plan``, ``drift``, ``show``) use ``snapshot()``,
which takes no lock: backends write atomically and journals only grow, so a snapshot is always a
consistent state (at worst a moment older than the writer's).
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from modelinfra.errors import StateError
from modelinfra.state import journal
from modelinfra.state.backends.base import LockInfo, StateBackend, StateJournal
from modelinfra.state.model import ResourceState, State

COMPACT_INTERVAL = 5.0  # seconds between compactions during a run, at least
COMPACT_RECORDS = 256  # records between compactions, at least (and at least the number of resources)


class StateManager:
    def __init__(self, backend: StateBackend, *, compact_interval: float = COMPACT_INTERVAL,
                 compact_records: int = COMPACT_RECORDS):
        self.backend = backend
        self.compact_interval, self.compact_records = compact_interval, compact_records
        self._journal: StateJournal | None = backend if isinstance(backend, StateJournal) else None
        self._capacity: int | None = getattr(backend, "journal_capacity", None)
        self._mutex = threading.RLock()
        self._loaded = False
        self._persisted: State | None = None  # the logical state the backend holds, as far as we know
        self._records = 0  # records in the backend's journal since its base (replayed or appended)
        self._appending = False  # this manager started the journal: later records need no header
        self._compact = False  # a journal was found by the last read: the next write compacts it
        self._compacted_at = time.monotonic()
    # -- locking --------------------------------------------------------------------------------------
    @contextmanager
    def lock(self, operation: str, timeout: float = 0.0) -> Iterator[LockInfo]:
        """Hold the backend's writer lock for the ``with`` block; ``LockHeldError`` if taken."""
        info = self.backend.lock(operation, timeout)
        try:
            yield info
        finally:
            self.backend.unlock()

    def force_unlock(self, lock_id: str | None = None) -> bool:
        """Remove a stale lock left by someone else (only lock ``lock_id`` when given). True when there was one."""
        return self.backend.force_unlock(lock_id)

    # -- reading --------------------------------------------------------------------------------------
    def read(self) -> State | None:
        """Read the stored state, its journal replayed (None when there is none), and remember it
        as the base that ``persist`` and ``record`` compare with. Returns a copy the caller owns."""
        with self._mutex:
            stored, found, records = self._load()
            self._persisted, self._loaded = stored, True
            self._compact, self._records, self._appending = found, records, False
            return stored.copy() if stored is not None else None

    def refresh(self, stack: str) -> State:
        """``read()``, or a new empty state for ``stack`` when there is none. Raises ``StateError``
        if the stored state belongs to another stack."""
        state = self.read()
        if state is None:
            return State.new(stack)
        if state.stack != stack:
            raise StateError(f"{self._where()} holds the state of stack {state.stack!r}, not {stack!r}")
        return state

    @property
    def state(self) -> State | None:
        """A copy of the state last read or persisted through this manager (None before any, or
        when there was none)."""
        with self._mutex:
            return self._persisted.copy() if self._persisted is not None else None

    def snapshot(self) -> State | None:
        """A lock-free, consistent read (journal replayed) for read-only commands; does not
        change the ``persist`` base."""
        return self._load()[0]

    def _load(self) -> tuple[State | None, bool, int]:
        """(the logical state, whether a journal was found, how many records were replayed). The
        journal is read first: the state read after it is at least as new as its base."""
        data = self._journal.read_journal() if self._journal is not None else None
        stored = self.backend.read()
        if data is None:
            return stored, False, 0
        where = str(getattr(self.backend, "journal_path", f"the journal of {self._where()}"))
        state, records = journal.replay(stored, journal.parse(data, where), where, self._where())
        return state, True, records

    # -- writing --------------------------------------------------------------------------------------
    def persist(self, state: State, *, force: bool = False) -> State:
        """Write the whole ``state`` if its content changed (or ``force``: an apply that ran
        actions always moves the serial, so a saved plan can never be applied twice), bumping its
        serial (set on ``state`` itself, which is also returned); an unchanged state is still
        written, serial kept, when a journal is to be compacted. Thread-safe."""
        with self._mutex:
            if not self._loaded:
                self.read()
            base = self._persisted
            if base is not None:
                self._check_history(state, base)
                serial = base.serial + 1
                if not force and _content(state) == _content(base):
                    state.serial = base.serial
                    if not (self._compact or self._records):
                        return state
                    serial = base.serial
            else:
                serial = state.serial + 1
            written = state.copy()
            written.serial = serial
            self._write(written)
            state.serial = serial
            return state

    def record(self, state: State, addresses: Iterable[str]) -> State:
        """Make durable the entries of ``addresses`` in ``state`` (an address ``state`` no longer
        has is recorded as removed), in one atomic step, bumping the serial when any differs from
        what is stored; returns ``state`` with its serial set. The caller's contract: nothing
        else in ``state`` changed since its last ``read``/``persist``/``record`` (outputs wait for
        ``persist``). Costs O(the entries), not O(state), over a journalling backend. Thread-safe."""
        with self._mutex:
            if not self._loaded:
                self.read()
            base = self._persisted
            if base is None:  # nothing stored yet: the first write is the (small) whole state
                return self.persist(state)
            self._check_history(state, base)
            changes: dict[str, ResourceState | None] = {}
            for address in dict.fromkeys(addresses):
                entry = state.resources.get(address)
                if entry != base.resources.get(address):
                    changes[address] = copy.deepcopy(entry)
            serial = base.serial + 1 if changes else base.serial
            if changes and (self._journal is None or self._compact):  # a full write, journal compacted
                updated = State(base.stack, base.lineage, serial, dict(base.resources), base.outputs, base.version)
                journal.apply_changes(updated, changes)
                self._write(updated)
            elif changes:  # one durable append
                data = journal.record_line(serial, changes)
                if not self._appending:
                    data = journal.header_line(base) + data
                self._journal.append_journal(data)
                self._appending = True
                journal.apply_changes(base, changes)
                base.serial = serial
                self._records += 1
                if self._compaction_due(base):
                    self._write(base)
            state.serial = serial
            return state

    def _compaction_due(self, base: State) -> bool:
        if self._capacity is not None and self._records >= self._capacity:
            return True  # the backend's journal takes no more records (an append blob's block limit)
        return (self._records >= max(self.compact_records, len(base.resources))
                and time.monotonic() - self._compacted_at >= self.compact_interval)

    def _write(self, state: State) -> None:
        """A full write of ``state`` (the manager's own object from now on); compacts the journal."""
        self.backend.write(state)
        self._persisted = state
        self._compact, self._records, self._appending = False, 0, False
        self._compacted_at = time.monotonic()

    def _check_history(self, state: State, base: State) -> None:
        if state.lineage != base.lineage:
            raise StateError(
                f"refusing to overwrite {self._where()}: it has lineage {base.lineage}, the state "
                f"being saved has {state.lineage} (a different history of the stack)"
            )
        if state.stack != base.stack:
            raise StateError(f"refusing to overwrite {self._where()}: it holds stack "
                             f"{base.stack!r}, the state being saved is {state.stack!r}")

    def _where(self) -> str:
        return str(getattr(self.backend, "path", self.backend))


def _content(state: State) -> str:
    """Everything that makes two states different, serial excluded, as canonical text."""
    document = state.to_json()
    document.pop("serial")
    return json.dumps(document, sort_keys=True, default=str)
