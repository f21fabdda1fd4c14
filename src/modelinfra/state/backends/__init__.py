"""State backends: where a stack's state lives. Only ``local`` for now; see ``base`` for the contract."""

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
