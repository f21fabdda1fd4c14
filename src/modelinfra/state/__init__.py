"""A stack's state: the model (``State``), where it lives (backends) and the manager over them.

The engine talks to ``StateManager`` only; backends implement the small protocols in
``modelinfra.state.backends.base`` and all pass ``tests/state/conformance.py``.
"""

from modelinfra.errors import LockHeldError, StateError
from modelinfra.state.backends import (
    LocalBackend,
    LockInfo,
    StateBackend,
    StateLocker,
    StateReader,
    StateWriter,
)
from modelinfra.state.manager import StateManager
from modelinfra.state.model import STATE_VERSION, ResourceState, State

__all__ = [
    "STATE_VERSION",
    "LocalBackend",
    "LockHeldError",
    "LockInfo",
    "ResourceState",
    "State",
    "StateBackend",
    "StateError",
    "StateLocker",
    "StateManager",
    "StateReader",
    "StateWriter",
]
