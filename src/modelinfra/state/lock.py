"""An exclusive, inter-process lock held as a file (``<state>.lock``) containing its ``LockInfo``.

Protocol (race-free without trusting pids alone):

- Acquire: write our ``LockInfo`` to a fresh temp file (0600) in the same directory, take
  ``fcntl.flock(LOCK_EX)`` on it, then ``os.link`` it to the lock path. The link is the atomic
  create-if-absent (like ``O_CREAT|O_EXCL``) but the lock file never exists empty or unflocked,
  so no one can catch it half-made. The holder keeps the file open, hence flocked, until unlock.
- Contend: if the lock path exists, open it and try ``flock(LOCK_EX|LOCK_NB)``. Failing means a
  live process holds it: ``LockHeldError`` naming the holder (or poll until ``timeout``).
- Take over: the flock was free *and* the path still names the inode we flocked *and* the holder
  was on this host *and* its pid is no longer alive (e.g. ``kill -9``). Then we atomically
  ``os.replace`` our own (already flocked) temp file over it and warn. Two contenders cannot both
  win: only one holds the old inode's flock at a time, and the loser finds the inode replaced.
- Any other stale lock (another host, a live pid that does not hold the flock, unreadable
  content) is left alone: ``force_release()`` (``modelinfra state unlock``) removes it.
- Release: unlink the path only if it still names our inode, then close (dropping the flock).
  A directory the acquire had to create is removed again if it is empty then (a run that wrote
  no state leaves no ``.modelinfra/`` behind); an acquire whose directory vanishes that way
  under it makes it again.

Local filesystems only: ``flock`` is not reliable over NFS, which is what the host check guards.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from pathlib import Path

from modelinfra.errors import StateError
from modelinfra.reporting import NULL_REPORTER, Reporter
from modelinfra.state.backends.base import LockInfo, host_name, lock_held_error

_CHANGED_HANDS = Exception("the lock changed hands while we looked; attempt again at once")
POLL_INTERVAL = 0.05
MAX_POLL_INTERVAL = 0.5


class FileLock:
    """The lock at ``path``. One instance holds at most one lock at a time; not re-entrant."""

    def __init__(self, path: Path, reporter: Reporter = NULL_REPORTER):
        self.path = Path(path)
        self.reporter = reporter
        self._fd: int | None = None
        self._info: LockInfo | None = None
        self._made_dir = False

    @property
    def held(self) -> LockInfo | None:
        """The ``LockInfo`` of the lock this instance holds, or None."""
        return self._info

    def acquire(self, operation: str, timeout: float = 0.0) -> LockInfo:
        """Take the lock, waiting up to ``timeout`` seconds; raises ``LockHeldError`` after that."""
        if self._fd is not None:
            raise StateError(f"{self.path}: this process already holds the lock")
        self._made_dir = not self.path.parent.is_dir()
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        deadline = time.monotonic() + max(timeout, 0.0)
        interval = POLL_INTERVAL
        while True:
            info = LockInfo.for_this_process(operation, str(self.path))
            try:
                refusal = self._try_acquire(info)
            except FileNotFoundError:  # another run's release removed the empty directory
                self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                continue
            if refusal is None:
                return info
            if refusal is _CHANGED_HANDS:
                continue
            if time.monotonic() >= deadline:
                raise refusal
            time.sleep(min(interval, max(deadline - time.monotonic(), 0.0)))
            interval = min(interval * 2, MAX_POLL_INTERVAL)

    def release(self) -> None:
        """Release the lock this instance holds. If someone force-removed or replaced it meanwhile,
        warn and leave their file alone."""
        if self._fd is None:
            raise StateError(f"{self.path}: unlock without holding the lock")
        fd, self._fd, self._info = self._fd, None, None
        try:
            if _same_file(self.path, fd):
                self.path.unlink()
                if self._made_dir:
                    with contextlib.suppress(OSError):  # not empty (state was written): kept
                        self.path.parent.rmdir()
            else:
                self.reporter.warning(f"the state lock {self.path} was removed or replaced by someone else "
                                      f"while this process held it (modelinfra state unlock?)")
        finally:
            os.close(fd)

    def force_release(self) -> bool:
        """Remove the lock file whoever holds it. True when there was one."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        return True

    def read_info(self) -> LockInfo | None:
        """The current holder's ``LockInfo``; None when unlocked or unreadable."""
        try:
            return LockInfo.from_json(json.loads(self.path.read_text(encoding="utf-8")))
        except (OSError, ValueError, StateError):
            return None

    # -- internals -----------------------------------------------------------------------------------
    def _try_acquire(self, info: LockInfo) -> Exception | None:
        """One attempt. None when we now hold the lock, ``_CHANGED_HANDS`` to retry at once, else
        the ``LockHeldError`` to raise."""
        tmp, fd = self._write_candidate(info)
        try:
            try:
                os.link(tmp, self.path)
            except FileExistsError:
                refusal = self._take_over_if_dead(tmp)
                if refusal is not None:
                    os.close(fd)
                    return refusal
            self._fd, self._info = fd, info
            return None
        except BaseException:
            os.close(fd)
            raise
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)

    def _write_candidate(self, info: LockInfo) -> tuple[str, int]:
        tmp = str(self.path.with_name(f".{self.path.name}.{info.id}.tmp"))
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a fresh inode: never contended
            os.write(fd, info.dumps().encode())
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            os.unlink(tmp)
            raise
        return tmp, fd

    def _take_over_if_dead(self, candidate: str) -> Exception | None:
        """The lock path exists. Replace it with ``candidate`` if its holder is provably gone;
        otherwise return the ``LockHeldError`` describing it."""
        try:
            existing = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:  # released between our link and open: try again at once
            return _CHANGED_HANDS
        try:
            try:
                fcntl.flock(existing, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # a live holder
                holder = self.read_info()
                if holder is None and not _same_file(self.path, existing):
                    return _CHANGED_HANDS
                return lock_held_error(holder, str(self.path))
            if not _same_file(self.path, existing):  # released or taken over meanwhile
                return _CHANGED_HANDS
            info = _parse(existing)
            if info is None:
                return lock_held_error(None, str(self.path))
            if info.host != host_name():
                return lock_held_error(info, str(self.path), "It was taken on another host, so this "
                                       "process cannot tell whether it is stale.")
            if _pid_alive(info.pid):
                return lock_held_error(info, str(self.path))
            os.replace(candidate, self.path)
            self.reporter.warning(
                f"took over the state lock {self.path} left by {info.holder()}: that process is no longer running"
            )
            return None
        finally:
            os.close(existing)


def _same_file(path: Path, fd: int) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (on_disk.st_dev, on_disk.st_ino) == (mine.st_dev, mine.st_ino)


def _parse(fd: int) -> LockInfo | None:
    try:
        raw = os.pread(fd, 1 << 16, 0)
        return LockInfo.from_json(json.loads(raw.decode("utf-8")))
    except (OSError, ValueError, StateError):
        return None


def _pid_alive(pid: int) -> bool:
    """Whether ``pid`` is a running process on this host (a zombie is not running)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        pass
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # no procfs (macOS): trust kill(0)
        return True
    return stat.rpartition(")")[2].split()[:1] != ["Z"]
