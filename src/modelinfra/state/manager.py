"""``StateManager``: the engine's one handle on state, over any ``StateBackend``.

Invariants it keeps (whatever the backend):

- ``serial`` grows by one on every ``persist`` whose content (everything but the serial) differs
  from what was last read or written; an unchanged state is not written at all.
- ``lineage`` and ``stack`` never change: persisting a state of another lineage or stack over an
  existing one raises ``StateError``.
- ``persist`` is thread-safe (the executor calls it from worker threads after every action);
  writes are serialised by a lock inside the manager, and the manager keeps its own deep copy of
  what it wrote, so callers may keep mutating the ``State`` they passed.

Writers hold the backend lock (``with manager.lock("apply", timeout): ...``) from their ``read``
to their last ``persist``. Read-only commands (``plan``, ``drift``, ``show``) use ``snapshot()``,
which takes no lock: backends write atomically, so a snapshot is always a consistent state.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from modelinfra.errors import StateError
from modelinfra.state.backends.base import LockInfo, StateBackend
from modelinfra.state.model import State


class StateManager:
    def __init__(self, backend: StateBackend):
        self.backend = backend
        self._mutex = threading.RLock()
        self._loaded = False
        self._persisted: State | None = None  # what the backend holds, as far as we know

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
        """Read the stored state (None when there is none) and remember it as the base that
        ``persist`` compares with. Returns a copy the caller owns."""
        with self._mutex:
            stored = self.backend.read()
            self._persisted, self._loaded = stored, True
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
        """A lock-free, consistent read for read-only commands; does not change the ``persist`` base."""
        return self.backend.read()

    # -- writing --------------------------------------------------------------------------------------
    def persist(self, state: State, *, force: bool = False) -> State:
        """Write ``state`` if its content changed (or ``force``: an apply that ran actions always
        moves the serial, so a saved plan can never be applied twice), bumping its serial (set on
        ``state`` itself, which is also returned). Thread-safe."""
        with self._mutex:
            if not self._loaded:
                self.read()
            base = self._persisted
            if base is not None:
                if state.lineage != base.lineage:
                    raise StateError(
                        f"refusing to overwrite {self._where()}: it has lineage {base.lineage}, the state "
                        f"being saved has {state.lineage} (a different history of the stack)"
                    )
                if state.stack != base.stack:
                    raise StateError(f"refusing to overwrite {self._where()}: it holds stack "
                                     f"{base.stack!r}, the state being saved is {state.stack!r}")
                if not force and _content(state) == _content(base):
                    state.serial = base.serial
                    return state
                serial = base.serial + 1
            else:
                serial = state.serial + 1
            written = state.copy()
            written.serial = serial
            self.backend.write(written)
            self._persisted = written
            state.serial = serial
            return state

    def _where(self) -> str:
        return str(getattr(self.backend, "path", self.backend))


def _content(state: State) -> str:
    """Everything that makes two states different, serial excluded, as canonical text."""
    document = state.to_json()
    document.pop("serial")
    return json.dumps(document, sort_keys=True, default=str)
