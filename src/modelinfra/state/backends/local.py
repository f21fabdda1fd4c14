"""State in a local JSON file, ``<path>``, with ``<path>.backup`` and ``<path>.lock`` beside it.

- ``write`` copies the current document to ``<path>.backup`` and then replaces ``<path>``
  atomically (temp file in the same directory, fsync, ``os.replace``, fsync of the directory).
  A crash at any point leaves the old or the new state, never a torn file; both files are 0600
  whatever the umask, and a missing parent directory is created 0700.
- ``read`` of a missing file is ``None``; of a corrupt one, a ``StateError`` naming the file and
  pointing at the backup. Reads take no lock: the atomic rename makes every read consistent.
- Locking is ``modelinfra.state.lock.FileLock`` on ``<path>.lock``.
"""

from __future__ import annotations

import json
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

    def __repr__(self) -> str:
        return f"LocalBackend({str(self.path)!r})"

    # -- StateReader ----------------------------------------------------------------------------------
    def read(self) -> State | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StateError(f"cannot read state file {self.path}: {exc.strerror or exc}") from None
        try:
            return State.from_json(json.loads(text))
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
            raise StateError(f"state file {self.path} is corrupt: {exc}. {self._backup_hint()}") from None
        except StateError as exc:
            raise StateError(f"state file {self.path} is not valid modelinfra state: {exc}. "
                             f"{self._backup_hint()}") from None

    # -- StateWriter ----------------------------------------------------------------------------------
    def write(self, state: State) -> None:
        text = json.dumps(state.to_json(), indent=2, sort_keys=True, default=str) + "\n"
        try:
            self._back_up_current()
            atomic_write_text(self.path, text, mode=0o600)
        except OSError as exc:
            raise StateError(f"cannot write state file {self.path}: {exc.strerror or exc}") from None

    # -- StateLocker ----------------------------------------------------------------------------------
    def lock(self, operation: str, timeout: float = 0.0) -> LockInfo:
        return self._lock.acquire(operation, timeout)

    def unlock(self) -> None:
        self._lock.release()

    def force_unlock(self) -> bool:
        return self._lock.force_release()

    def lock_info(self) -> LockInfo | None:
        """Who holds the lock now (None when nobody, or when its file is unreadable)."""
        return self._lock.read_info()

    # -- internals ------------------------------------------------------------------------------------
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
