"""State backends: where a stack's state lives — ``local`` (a file), ``s3`` and ``azure_blob`` (imported
lazily by ``select.open_backend``, which picks one from the spec's ``state:`` block); see ``base`` for
the contract every backend keeps."""

from modelinfra.state.backends.base import (
    LockInfo,
    StateBackend,
    StateJournal,
    StateLocker,
    StateReader,
    StateWriter,
    lock_held_error,
)
from modelinfra.state.backends.local import LocalBackend

__all__ = [
    "LocalBackend",
    "LockInfo",
    "StateBackend",
    "StateJournal",
    "StateLocker",
    "StateReader",
    "StateWriter",
    "lock_held_error",
]
