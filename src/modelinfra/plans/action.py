"""The closed set of things a plan can do to a resource. Everything that renders or applies a
plan speaks this one vocabulary."""

from __future__ import annotations

from enum import Enum


class Action(Enum):
    NOOP = "no-op"
    CREATE = "create"
    UPDATE = "update"
    DELETE_THEN_CREATE = "delete-then-create"
    CREATE_THEN_DELETE = "create-then-delete"
    DELETE = "delete"
    FORGET = "forget"
    """Drop from state (a ``removed`` block); the cloud resource is not touched."""

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]

    @property
    def verb(self) -> str:
        return _VERBS[self]

    @property
    def json_actions(self) -> list[str]:
        """Terraform's JSON spelling: replace is ``["delete", "create"]`` or ``["create", "delete"]``."""
        return _JSON[self]

    @classmethod
    def from_json_actions(cls, actions: list[str]) -> Action:
        for action, spelled in _JSON.items():
            if spelled == actions:
                return action
        raise ValueError(f"unknown actions {actions}")

    @property
    def is_replace(self) -> bool:
        return self in (Action.DELETE_THEN_CREATE, Action.CREATE_THEN_DELETE)

    @property
    def creates(self) -> bool:
        return self is Action.CREATE or self.is_replace

    @property
    def deletes(self) -> bool:
        return self is Action.DELETE or self.is_replace


_SYMBOLS = {
    Action.NOOP: " ",
    Action.CREATE: "+",
    Action.UPDATE: "~",
    Action.DELETE_THEN_CREATE: "-/+",
    Action.CREATE_THEN_DELETE: "+/-",
    Action.DELETE: "-",
    Action.FORGET: ".",
}
_VERBS = {
    Action.NOOP: "is up to date",
    Action.CREATE: "will be created",
    Action.UPDATE: "will be updated in-place",
    Action.DELETE_THEN_CREATE: "must be replaced",
    Action.CREATE_THEN_DELETE: "must be replaced",
    Action.DELETE: "will be destroyed",
    Action.FORGET: "will be removed from state, not destroyed",
}
_JSON = {
    Action.NOOP: ["no-op"],
    Action.CREATE: ["create"],
    Action.UPDATE: ["update"],
    Action.DELETE_THEN_CREATE: ["delete", "create"],
    Action.CREATE_THEN_DELETE: ["create", "delete"],
    Action.DELETE: ["delete"],
    Action.FORGET: ["forget"],
}
