"""Human plan rendering, after Terraform: ``+`` create, ``~`` update, ``-/+`` replace with
``# forces replacement``, ``-`` destroy, a drift section, and the ``Plan: X to add...`` line.

Renders to ``rich.text.Text`` so the caller's console decides about colour.
"""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text

from modelinfra.plans.action import Action
from modelinfra.plans.diff import AttributeChange
from modelinfra.plans.plan import DriftEntry, Plan, ResourceChange
from modelinfra.values import UNKNOWN, is_redacted

_STYLE = {
    Action.CREATE: "green",
    Action.UPDATE: "yellow",
    Action.DELETE_THEN_CREATE: "magenta",
    Action.CREATE_THEN_DELETE: "magenta",
    Action.DELETE: "red",
    Action.NOOP: "",
}


def render_value(value: Any) -> str:
    if value is UNKNOWN:
        return "(known after apply)"
    if is_redacted(value):
        return "(sensitive value)"
    if isinstance(value, str):
        return json.dumps(value)
    if value is None:
        return "null"
    return json.dumps(value, sort_keys=True, default=str)


def render_plan(plan: Plan) -> Text:
    out = Text()
    if plan.resource_drift:
        out.append_text(render_drift(plan.resource_drift))
        out.append("\n")
    if not plan.has_changes:
        out.append("No changes. ", style="bold green")
        out.append("Your infrastructure matches the configuration.\n")
        return out
    out.append("modelinfra will perform the following actions:\n\n")
    for change in plan.adoptions:
        out.append(f"  # {change.address} will be adopted into state ({change.reason})\n\n", style="bold")
    for change in plan.actionable:
        out.append_text(render_change(change))
        out.append("\n")
    add, change, destroy = plan.counts()
    out.append("Plan: ", style="bold")
    out.append(f"{add} to add, {change} to change, {destroy} to destroy.\n")
    outputs = [o for o in plan.output_changes if o.action is not Action.NOOP]
    if outputs:
        out.append("\nChanges to outputs:\n")
        for o in outputs:
            value = "(sensitive value)" if o.sensitive else render_value(o.after)
            if o.action is Action.UPDATE and not o.sensitive:
                value = f"{render_value(o.before)} -> {value}"
            line = f"  {o.action.symbol} {o.name} = {value}\n" if o.action is not Action.DELETE else \
                f"  - {o.name}\n"
            out.append(line, style=_STYLE[o.action])
    return out


def render_change(change: ResourceChange) -> Text:
    style = _STYLE[change.action]
    out = Text()
    out.append(f"  # {change.address} {change.action.verb}", style="bold")
    if change.reason:
        out.append(f" ({change.reason})")
    out.append("\n")
    out.append(f"{change.action.symbol:>3} ", style=style)
    out.append(f"resource \"{change.type}\" \"{change.address}\" {{\n")
    if change.action is Action.CREATE:
        rows = [("+", k, render_value(v), "") for k, v in sorted((change.after or {}).items()) if v is not None]
    elif change.action is Action.DELETE:
        rows = [("-", k, render_value(v), "") for k, v in sorted((change.before or {}).items()) if v is not None]
    else:
        rows = [_row(c) for c in change.changes]
    width = max((len(r[1]) for r in rows), default=0)
    for symbol, key, value, note in rows:
        out.append(f"      {symbol} ", style=_STYLE[{"+": Action.CREATE, "-": Action.DELETE}.get(symbol, Action.UPDATE)])
        out.append(f"{key.ljust(width)} = {value}")
        if note:
            out.append(f" {note}", style="red")
        out.append("\n")
    old_id = (change.before or {}).get("id") if change.action.is_replace else None
    if change.cloud_id and change.action not in (Action.CREATE, Action.DELETE):
        out.append(f"        # id: {old_id or change.cloud_id}\n", style="dim")
    out.append("    }\n")
    return out


def _row(change: AttributeChange) -> tuple[str, str, str, str]:
    note = "# forces replacement" if change.forces_replacement else ""
    if change.before is None:
        return "+", change.path, render_value(change.after), note
    if change.after is None:
        return "-", change.path, render_value(change.before), note
    return "~", change.path, f"{render_value(change.before)} -> {render_value(change.after)}", note


def render_drift(entries: list[DriftEntry]) -> Text:
    out = Text()
    out.append("Note: objects have changed outside of modelinfra\n\n", style="bold")
    for entry in entries:
        if entry.status == "deleted":
            out.append(f"  # {entry.address} has been deleted outside modelinfra\n", style="bold")
            out.append(f"  - resource \"{entry.type}\" \"{entry.address}\"\n", style="red")
            continue
        out.append(f"  # {entry.address} has changed outside modelinfra\n", style="bold")
        out.append(f"  ~ resource \"{entry.type}\" \"{entry.address}\" {{\n", style="yellow")
        for c in entry.changes:
            out.append(f"      ~ {c.path} = {render_value(c.before)} -> {render_value(c.after)}\n")
        out.append("    }\n")
    return out
