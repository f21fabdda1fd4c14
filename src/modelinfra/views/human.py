"""Human plan rendering, after Terraform: ``+`` create, ``~`` update, ``-/+`` replace with
``# forces replacement``, ``-`` destroy, a drift section, and the ``Plan: X to add...`` line.

Renders to ``rich.text.Text`` so the caller's console decides about colour.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from rich.text import Text

from modelinfra.plans.action import Action
from modelinfra.plans.diff import AttributeChange
from modelinfra.plans.plan import DriftEntry, Plan, ResourceChange
from modelinfra.state.model import State
from modelinfra.values import SENSITIVE_MASK, UNKNOWN, is_redacted

_STYLE = {
    Action.CREATE: "green",
    Action.UPDATE: "yellow",
    Action.DELETE_THEN_CREATE: "magenta",
    Action.CREATE_THEN_DELETE: "magenta",
    Action.DELETE: "red",
    Action.NOOP: "",
    Action.FORGET: "cyan",
}


def render_value(value: Any) -> str:
    """A value on one line: strings quoted, ``(known after apply)`` and ``(sensitive value)``
    unquoted wherever they sit (also inside lists and maps)."""
    if value is UNKNOWN:
        return "(known after apply)"
    if is_redacted(value):
        return "(sensitive value)"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {render_value(v)}" for k, v in sorted(value.items())) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(render_value(v) for v in value) + "]"
    return _scalar(value)


def render_block(value: Any, pad: str = "") -> str:
    """A value as Terraform prints it in a plan: scalars as ``render_value``, non-empty maps and
    lists as nested blocks, one entry a line, indented four spaces past ``pad`` (the indentation
    of the line the value starts on)."""
    inner = pad + "    "
    if isinstance(value, dict) and value and not is_redacted(value):
        keys = {k: (k if _IDENT.match(str(k)) else json.dumps(str(k))) for k in value}
        width = max(len(shown) for shown in keys.values())
        rows = [f"{inner}{keys[k].ljust(width)} = {render_block(v, inner)}\n" for k, v in sorted(value.items())]
        return "{\n" + "".join(rows) + pad + "}"
    if isinstance(value, list | tuple) and value:
        return "[\n" + "".join(f"{inner}{render_block(v, inner)},\n" for v in value) + pad + "]"
    return render_value(value)


_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def _scalar(value: Any) -> str:
    if value is UNKNOWN:
        return "(known after apply)"
    if is_redacted(value):
        return "(sensitive value)"
    if isinstance(value, str):
        return json.dumps(value)
    if value is None:
        return "null"
    return json.dumps(value, sort_keys=True, default=str)


def render_outputs(values: dict[str, Any], sensitive: frozenset[str] | set[str] = frozenset(), pad: str = "") -> str:
    """``name = value`` lines, names aligned, values as ``render_block`` (as apply prints them)."""
    width = max((len(n) for n in values), default=0)
    return "".join(f"{pad}{n.ljust(width)} = "
                   f"{SENSITIVE_MASK if n in sensitive else render_block(v, pad)}\n"
                   for n, v in sorted(values.items()))


def render_plan(plan: Plan) -> Text:
    out = Text()
    for piece in render_plan_pieces(plan):
        out.append_text(piece)
    return out


def render_plan_pieces(plan: Plan) -> Iterator[Text]:
    """``render_plan`` in consecutive pieces (one per resource change), so a huge plan can be
    printed without building it whole: together they are exactly ``render_plan(plan)``."""
    out = Text()
    if plan.resource_drift:
        out.append_text(render_drift(plan.resource_drift))
        out.append("\n")
    if plan.refresh_only:
        yield _refresh_only(plan, out)
        return
    if not plan.has_changes:
        out.append("No changes. ", style="bold green")
        out.append("Your infrastructure matches the configuration.\n")
        yield out
        return
    out.append("modelinfra will perform the following actions:\n\n")
    for change in plan.adoptions:
        for note in change.notes:
            out.append(f"  # {note}\n", style="bold")
        if change.reason:
            out.append(f"  # {change.address} will be adopted into state ({change.reason})\n", style="bold")
        out.append("\n")
    yield out
    for change in plan.actionable:
        piece = Text()
        for note in change.notes:
            piece.append(f"  # {note}\n", style="bold")
        piece.append_text(render_change(change))
        piece.append("\n")
        yield piece
    out = Text()
    add, change, destroy = plan.counts()
    out.append("Plan: ", style="bold")
    out.append(f"{add} to add, {change} to change, {destroy} to destroy.\n")
    _output_lines(plan, out)
    yield out


def _refresh_only(plan: Plan, out: Text) -> Text:
    """A ``--refresh-only`` plan: the drift it accepts, what state forgets, the outputs it updates."""
    if not plan.has_changes:
        out.append("No changes. ", style="bold green")
        out.append("The cloud still matches the last applied state: nothing changed outside modelinfra.\n")
        return out
    gone = [d.address for d in plan.resource_drift if d.status == "deleted"]
    out.append("This is a refresh-only plan, so modelinfra will not take any action to undo these changes. "
               "Applying it records the values above in state without changing any cloud resource")
    out.append(f"; state forgets {', '.join(gone)}.\n" if gone else ".\n")
    _output_lines(plan, out)
    return out


def _output_lines(plan: Plan, out: Text) -> None:
    outputs = [o for o in plan.output_changes if o.action is not Action.NOOP]
    if outputs:
        out.append("\nChanges to outputs:\n")
        width = max(len(o.name) for o in outputs)
        for o in outputs:
            value = "(sensitive value)" if o.sensitive else render_block(o.after, "    ")
            if o.action is Action.UPDATE and not o.sensitive:
                value = f"{render_block(o.before, '    ')} -> {value}"
            line = f"  {o.action.symbol} {o.name.ljust(width)} = {value}\n" if o.action is not Action.DELETE else \
                f"  - {o.name}\n"
            out.append(line, style=_STYLE[o.action])


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
        rows = [("+", k, render_block(v, _ROW), "") for k, v in sorted((change.after or {}).items()) if v is not None]
    elif change.action is Action.DELETE:
        rows = [("-", k, render_block(v, _ROW), "") for k, v in sorted((change.before or {}).items()) if v is not None]
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


_ROW = " " * 8  # where an attribute row's text starts: "      + "


def _row(change: AttributeChange) -> tuple[str, str, str, str]:
    note = "# forces replacement" if change.forces_replacement else ""
    if change.before is None:
        return "+", change.path, render_block(change.after, _ROW), note
    if change.after is None:
        return "-", change.path, render_block(change.before, _ROW), note
    return "~", change.path, f"{render_block(change.before, _ROW)} -> {render_block(change.after, _ROW)}", note


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


def render_state(state: State) -> str:
    """The recorded resources and outputs of a state, as ``show`` prints them (secrets are never in
    a state)."""
    if not state.resources and not state.outputs:
        return f"The state of stack {state.stack} is empty.\n"
    out = ""
    for address, entry in sorted(state.resources.items()):
        status = "" if entry.status == "ready" else f" ({entry.status})"
        out += f"# {address}: {entry.id}{status}\nresource \"{entry.type}\" \"{address}\" {{\n"
        out += render_outputs(entry.attributes, pad="    ") + "}\n\n"
    if state.outputs:
        values = {n: o.get("value") for n, o in state.outputs.items()}
        out += "Outputs:\n\n" + render_outputs(values, {n for n, o in state.outputs.items() if o.get("sensitive")})
    return out
