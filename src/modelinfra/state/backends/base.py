"""What a state backend is: three small capabilities, each one method or so (as Terraform's statemgr).

- ``StateReader.read()`` returns the stored state, or ``None`` when there is none yet. A corrupt or
  unsupported document raises ``StateError``. A read never sees a half-written state.
- ``StateWriter.write(state)`` stores ``state`` as given (serial and lineage are the manager's
  business) so that a reader sees the old or the new document, never a mix, and keeps the previous
  document recoverable.
- ``StateLocker.lock(operation, timeout)`` takes the exclusive writer lock or raises
  ``LockHeldError`` naming the holder (pid, user@host, operation, since when); ``timeout`` > 0
  waits up to that many seconds first. ``unlock()`` releases the lock this backend holds;
  ``force_unlock()`` removes anyone's lock (returns whether there was one).

A backend is all three (``StateBackend``). A backend may add the optional ``StateJournal``
capability (append-only records beside the state, ``modelinfra.state.journal``); ``StateManager``
then makes each action durable with one small append instead of a full write, and otherwise keeps
writing the whole state. Every backend runs the one conformance suite in
``tests/state/conformance.py``. A remote backend fits the same shape: S3 writes with a
conditional put and locks with a conditional lock object; Azure blob locks with a lease. All three
journal (local: a file, S3: one object per record, Azure blob: an append blob).
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import uuid
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from modelinfra.errors import LockHeldError, StateError
from modelinfra.state.model import State


@dataclass(frozen=True)
class LockInfo:
    """Who holds a state lock: a random ``id``, the holder's ``pid``, ``host`` and ``user``, the
    ``operation`` (apply, destroy, import...), ``created`` (ISO 8601, UTC), the lock's ``path``
    (a file path or URL) and, for locks that expire (remote backends), ``expires`` (ISO 8601, UTC;
    moved forward by the live holder's heartbeat; empty for a lock held as long as its process).

    ``host`` is ``MODELINFRA_HOSTNAME`` when set (CI runners and containers whose host names are
    meaningless), else the host name."""

    id: str
    pid: int
    host: str
    user: str
    operation: str
    created: str
    path: str
    expires: str = ""

    @classmethod
    def for_this_process(cls, operation: str, path: str, ttl: float | None = None) -> LockInfo:
        """A new lock document for this process; ``ttl`` seconds set ``expires``."""
        now = datetime.now(UTC)
        return cls(
            id=str(uuid.uuid4()),
            pid=os.getpid(),
            host=host_name(),
            user=_current_user(),
            operation=operation,
            created=iso_time(now),
            path=path,
            expires=iso_time(now + timedelta(seconds=ttl)) if ttl is not None else "",
        )

    def renewed(self, ttl: float) -> LockInfo:
        """This lock with ``expires`` moved to ``ttl`` seconds from now."""
        return replace(self, expires=iso_time(datetime.now(UTC) + timedelta(seconds=ttl)))

    def expired(self, now: datetime) -> bool:
        """Whether ``expires`` is set and ``now`` (aware) is past it."""
        if not self.expires:
            return False
        try:
            return now >= datetime.fromisoformat(self.expires.replace("Z", "+00:00"))
        except ValueError:
            return False

    def gone(self, now: datetime) -> bool:
        """Whether the holder is known to be gone: an expiring lock past ``expires``, or a lock held as
        long as its process that names a process of this host which is not running."""
        if self.expires:
            return self.expired(now)
        from modelinfra.state.lock import _pid_alive

        return self.host == host_name() and not _pid_alive(self.pid)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> LockInfo:
        """Parse a lock document; raises ``StateError`` when it is not one."""
        try:
            return cls(
                id=str(data["id"]), pid=int(data["pid"]), host=str(data["host"]), user=str(data["user"]),
                operation=str(data["operation"]), created=str(data["created"]), path=str(data["path"]),
                expires=str(data.get("expires") or ""),
            )
        except (TypeError, KeyError, ValueError) as exc:
            raise StateError(f"not a lock document ({exc!r})") from None

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n"

    def holder(self) -> str:
        """``pid 123 (alice@build-7) for 'apply' since 2025-01-01T10:00:00Z[, expires ...]``."""
        expiry = f", expires {self.expires}" if self.expires else ""
        return f"pid {self.pid} ({self.user}@{self.host}) for {self.operation!r} since {self.created}{expiry}"


def lock_held_error(info: LockInfo | None, path: str, why: str = "") -> LockHeldError:
    """The one message every backend gives when the lock is taken: who, what, since when, and what
    to do about it. ``info`` is None when the lock document itself is unreadable."""
    who = f"by {info.holder()} (lock id {info.id})" if info else "(its lock document is unreadable)"
    reason = f" {why}" if why else ""
    force = f" --force {info.id}" if info else ""
    return LockHeldError(
        f"state is locked {who}: {path}.{reason} Wait for it with --lock-timeout SECONDS; if that process "
        f"is gone, release the lock with `modelinfra state unlock SPEC{force}`."
    )


def host_name() -> str:
    """``MODELINFRA_HOSTNAME`` when set, else this machine's host name."""
    return os.environ.get("MODELINFRA_HOSTNAME") or socket.gethostname()


def iso_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


DEFAULT_LOCK_TTL = 60.0


def lock_ttl() -> float:
    """Seconds a remote lock outlives its holder's last heartbeat: ``MODELINFRA_LOCK_TTL`` (default
    60, at least 1). The holder renews every third of it."""
    raw = os.environ.get("MODELINFRA_LOCK_TTL")
    try:
        return max(float(raw), 1.0) if raw else DEFAULT_LOCK_TTL
    except ValueError:
        raise StateError(f"MODELINFRA_LOCK_TTL must be a number of seconds, got {raw!r}") from None


@runtime_checkable
class StateReader(Protocol):
    def read(self) -> State | None: ...


@runtime_checkable
class StateWriter(Protocol):
    def write(self, state: State) -> None: ...


@runtime_checkable
class StateLocker(Protocol):
    def lock(self, operation: str, timeout: float = 0.0) -> LockInfo: ...

    def unlock(self) -> None: ...

    def force_unlock(self, lock_id: str | None = None) -> bool: ...


@runtime_checkable
class StateBackend(StateReader, StateWriter, StateLocker, Protocol):
    """Everything ``StateManager`` needs from where the state lives."""


@runtime_checkable
class StateJournal(Protocol):
    """Optional capability: an append-only journal beside the state (format and invariants in
    ``modelinfra.state.journal``; the manager chooses it by this protocol, never by class).

    - ``read_journal()`` returns the journal's bytes, ``None`` when there is none. The manager
      calls it *before* ``read()``: a state read afterwards is at least as new as the journal's
      base, so a concurrent compaction is never mistaken for a foreign journal.
    - ``append_journal(data)`` appends ``data`` (whole lines) and returns only once it survives a
      crash. It is compare-and-swap like ``write``: refused with "state changed by another run",
      appending nothing, unless the state and the journal are exactly as this handle last read,
      appended or wrote them.
    - ``write(state)`` of a backend with this capability compacts: once the new state is durable
      it removes the journal (its records are in the state), under the same compare-and-swap.
    - Optional attribute ``journal_capacity: int``: the most records one journal can hold; the
      manager compacts before a record would exceed it.
    """

    def read_journal(self) -> bytes | None: ...

    def append_journal(self, data: bytes) -> None: ...


def _current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers running as an arbitrary uid)
        return str(os.getuid())
