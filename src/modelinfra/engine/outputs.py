"""Stack outputs as ``modelinfra output`` shows them.

Non-sensitive values come from state. Sensitive ones are never stored: with ``show_sensitive``
they are evaluated afresh, reading the referenced secrets through each handler's
``read_sensitive``; otherwise they show as ``(sensitive)``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from modelinfra.spec.evaluator import Evaluator
from modelinfra.spec.expressions import Reference, find_references
from modelinfra.values import SENSITIVE_MASK, UNKNOWN, contains_unknown

if TYPE_CHECKING:
    from modelinfra.engine.workflow import Stack


@dataclass
class OutputValue:
    value: Any
    sensitive: bool

    def display(self, show_sensitive: bool) -> str:
        if self.sensitive and not show_sensitive:
            return SENSITIVE_MASK
        if self.value is UNKNOWN:
            return "(not yet known)"
        return self.value if isinstance(self.value, str) else json.dumps(self.value, default=str)


def read_outputs(stack: Stack, show_sensitive: bool = False) -> dict[str, OutputValue]:
    state = stack.snapshot()
    out: dict[str, OutputValue] = {}
    for name, stored in state.outputs.items():
        sensitive = bool(stored.get("sensitive"))
        out[name] = OutputValue(None if sensitive else stored.get("value"), sensitive)
    if not show_sensitive:
        return out
    for name, decl in stack.spec.outputs.items():
        if not decl.sensitive or name not in out:
            continue
        known = {a: dict(e.attributes) for a, e in state.resources.items() if e.status == "ready"}
        for _, ref in find_references(decl.value):
            if not isinstance(ref, Reference) or ref.kind != "resource" or ref.name not in state.resources:
                continue
            entry = state.resources[ref.name]
            handler = stack.run.handler(entry.type)
            if ref.attr[0] in handler.sensitive:
                ctx = stack.run.resource_context(ref.name, entry.type)
                known.setdefault(ref.name, {}).update(
                    stack.run.call(ref.name, lambda: handler.read_sensitive(ctx, entry.id)))  # noqa: B023
        value = Evaluator(stack.spec, known, handlers=stack.run.handler).evaluate(decl.value)
        out[name] = OutputValue(UNKNOWN if contains_unknown(value) else value, True)
    return out
