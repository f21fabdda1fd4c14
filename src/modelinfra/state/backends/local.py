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
- It has the ``StateJournal`` capability: ``<path>.journal`` (format in ``modelinfra.state.journal``).
  ``append_journal`` appends under the same directory ``flock`` and compare-and-swap (the state
  file's inode, and the journal's inode and size, as this handle last saw them), fsyncs the
  journal (and the directory when it created the file) and only then returns: O(record), whatever
  the state's size. ``write`` removes the journal once the new state is in place (compaction).
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
        self.journal_path = self.path.with_name(self.path.name + ".journal")
        self._seen: tuple[int, int] | None = None  # (dev, inode) last read or written; None: absent
        self._journal_seen: tuple[int, int, int] | None = None  # journal (dev, inode, size); None: absent
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
                self._remove_journal(directory)
            finally:
                os.close(directory)
        except OSError as exc:
            raise StateError(f"cannot write state file {self.path}: {exc.strerror or exc}") from None

    # -- StateJournal ---------------------------------------------------------------------------------
    def read_journal(self) -> bytes | None:
        try:
            with open(self.journal_path, "rb") as handle:
                info = os.fstat(handle.fileno())
                data = handle.read()
        except FileNotFoundError:
            self._journal_seen = None
            return None
        except OSError as exc:
            raise StateError(f"cannot read state journal {self.journal_path}: {exc.strerror or exc}") from None
        self._journal_seen = (info.st_dev, info.st_ino, len(data))
        return data

    def append_journal(self, data: bytes) -> None:
        try:
            directory = os.open(self.path.parent, os.O_RDONLY | os.O_CLOEXEC)
            try:
                fcntl.flock(directory, fcntl.LOCK_EX)
                self._check_unchanged()
                created = self._journal_seen is None
                size = 0 if created else self._journal_seen[2]  # type: ignore[index]
                fd = os.open(self.journal_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
                try:
                    if created:
                        os.fchmod(fd, 0o600)
                    try:
                        view = memoryview(data)
                        while view:
                            view = view[os.write(fd, view):]
                        os.fsync(fd)
                    except OSError:
                        os.ftruncate(fd, size)  # leave no torn record behind a failed append
                        raise
                    info = os.fstat(fd)
                finally:
                    os.close(fd)
                if created:
                    os.fsync(directory)
                self._journal_seen = (info.st_dev, info.st_ino, info.st_size)
            finally:
                os.close(directory)
        except OSError as exc:
            raise StateError(f"cannot append to state journal {self.journal_path}: {exc.strerror or exc}") from None

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

    # -- internals ------------------------------------------------------------------------------------
    def _check_unchanged(self) -> None:
        """Refuse unless the state file and the journal are as this handle last saw them."""
        try:
            current: tuple[int, int] | None = _identity(os.stat(self.path))
        except FileNotFoundError:
            current = None
        if current == self._seen:
            if _journal_identity(self.journal_path) == self._journal_seen:
                return
            raise StateError(f"state changed by another run (its journal {self.journal_path.name} moved since "
                             f"this run read it) in {self.path}; nothing was written. Run again to work from "
                             f"the current state.")
        try:
            now: object = State.from_json(json.loads(self.path.read_text(encoding="utf-8"))).serial
        except (OSError, ValueError, StateError):
            now = "unreadable" if current else "none"
        was = self._serial if self._serial is not None else "none"
        raise StateError(f"state changed by another run (serial {was} → {now}) in {self.path}; nothing was "
                         f"written. Run again to work from the current state.")

    def _remove_journal(self, directory: int) -> None:
        """After a full write: the journal's records are in the state; remove it durably (a removal
        lost to a power cut leaves a journal of an older serial, which readers ignore)."""
        try:
            os.unlink(self.journal_path)
        except FileNotFoundError:
            pass
        else:
            os.fsync(directory)
        self._journal_seen = None

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


def _journal_identity(path: Path) -> tuple[int, int, int] | None:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    return info.st_dev, info.st_ino, info.st_size
