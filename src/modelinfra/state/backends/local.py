"""State in a local JSON file, ``<path>``, with ``<path>.backup`` and ``<path>.lock`` beside it.

- ``write`` copies the current document to ``<path>.backup`` and then replaces ``<path>``
  atomically (temp file in the same directory, fsync, ``os.replace``, fsync of the directory).
  A crash at any point leaves the old or the new state, never a torn file; both files are 0600
  whatever the umask, and a missing parent directory is created 0700.
- ``read`` of a missing file is ``None``; of a corrupt one, a ``StateError`` naming the file and
  pointing at the backup. Reads take no lock: the atomic rename makes every read consistent.
- ``write`` is compare-and-swap, like the remote backends: it replaces the file only if it is still
  the file this handle last read or wrote (same inode, or still absent), checked and replaced under
  an ``flock`` of the directory; otherwise "state changed by another run (serial N → M)" and nothing
  is written. (Every write makes a new inode, so a changed inode is a changed state.)
- Locking is ``modelinfra.state.lock.FileLock`` on ``<path>.lock``.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

from modelinfra.errors import StateError
from modelinfra.fileio import atomic_write_text
from modelinfra.reporting import NULL_REPORTER, Reporter
from modelinfra.state.backends.base import LockInfo
from modelinfra.state.lock import FileLock
from modelinfra.state.model import State


class LocalBackend:
    """A ``StateBackend`` over the file ``path``."""

    def __init__(self, path: Path, reporter: Reporter = NULL_REPORTER):
        self.path = Path(path)
        self.reporter = reporter
        self.backup_path = self.path.with_name(self.path.name + ".backup")
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self._lock = FileLock(self.lock_path, reporter)
        self._seen: tuple[int, int] | None = None  # (dev, inode) last read or written; None: absent
        self._serial: int | None = None

    def __repr__(self) -> str:
        return f"LocalBackend({str(self.path)!r})"

    # -- StateReader ----------------------------------------------------------------------------------
    def read(self) -> State | None:
        try:
            with open(self.path, "rb") as handle:
                seen = _identity(os.fstat(handle.fileno()))
                text = handle.read().decode("utf-8")
        except FileNotFoundError:
            self._seen = self._serial = None
            return None
        except OSError as exc:
            raise StateError(f"cannot read state file {self.path}: {exc.strerror or exc}") from None
        except ValueError as exc:
            raise StateError(f"state file {self.path} is corrupt: {exc}. {self._backup_hint()}") from None
        self._seen = seen
        try:
            state = State.from_json(json.loads(text))
            self._serial = state.serial
            return state
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
            raise StateError(f"state file {self.path} is corrupt: {exc}. {self._backup_hint()}") from None
        except StateError as exc:
            raise StateError(f"state file {self.path} is not valid modelinfra state: {exc}. "
                             f"{self._backup_hint()}") from None

    # -- StateWriter ----------------------------------------------------------------------------------
    def write(self, state: State) -> None:
        text = json.dumps(state.to_json(), indent=2, sort_keys=True, default=str) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            directory = os.open(self.path.parent, os.O_RDONLY | os.O_CLOEXEC)
            try:
                fcntl.flock(directory, fcntl.LOCK_EX)
                self._check_unchanged()
                self._back_up_current()
                atomic_write_text(self.path, text, mode=0o600)
                self._seen, self._serial = _identity(os.stat(self.path)), state.serial
            finally:
                os.close(directory)
        except OSError as exc:
            raise StateError(f"cannot write state file {self.path}: {exc.strerror or exc}") from None

    # -- StateLocker ----------------------------------------------------------------------------------
    def lock(self, operation: str, timeout: float = 0.0) -> LockInfo:
        return self._lock.acquire(operation, timeout)

    def unlock(self) -> None:
        self._lock.release()

    def force_unlock(self, lock_id: str | None = None) -> bool:
        """Remove the lock file; with ``lock_id``, only if it is that lock (else ``StateError``)."""
        if lock_id is not None and self.path.with_name(self.lock_path.name).exists():
            holder = self._lock.read_info()
            if holder is None or holder.id != lock_id:
                found = holder.id if holder else "unreadable"
                raise StateError(f"the lock {self.lock_path} has id {found}, not {lock_id}; nothing was released")
        return self._lock.force_release()

    def lock_info(self) -> LockInfo | None:
        """Who holds the lock now (None when nobody, or when its file is unreadable)."""
        return self._lock.read_info()

    def lock_exists(self) -> bool:
        """Whether there is a lock file at all (readable or not)."""
        return self.lock_path.exists()

    # -- internals ------------------------------------------------------------------------------------
    def _check_unchanged(self) -> None:
        try:
            current: tuple[int, int] | None = _identity(os.stat(self.path))
        except FileNotFoundError:
            current = None
        if current == self._seen:
            return
        try:
            now: object = State.from_json(json.loads(self.path.read_text(encoding="utf-8"))).serial
        except (OSError, ValueError, StateError):
            now = "unreadable" if current else "none"
        was = self._serial if self._serial is not None else "none"
        raise StateError(f"state changed by another run (serial {was} → {now}) in {self.path}; nothing was "
                         f"written. Run again to work from the current state.")

    def _back_up_current(self) -> None:
        """Copy the current document to the backup, unless it is missing or not even JSON (a
        corrupt file must not overwrite the last good backup)."""
        try:
            previous = self.path.read_text(encoding="utf-8")
            json.loads(previous)
        except FileNotFoundError:
            return
        except ValueError:
            self.reporter.warning(f"state file {self.path} was corrupt; kept the existing backup "
                                  f"{self.backup_path} instead of overwriting it")
            return
        atomic_write_text(self.backup_path, previous, mode=0o600)

    def _backup_hint(self) -> str:
        if self.backup_path.exists():
            return (f"The previous state is in {self.backup_path}; inspect it and copy it over "
                    f"{self.path.name} to restore")
        return f"No backup ({self.backup_path.name}) exists to restore from"


def _identity(info: os.stat_result) -> tuple[int, int]:
    return info.st_dev, info.st_ino
