"""A plan as one GitHub pull-request comment (``plan --format markdown``, ``show --format markdown``).

Layout: a title with a hidden marker (``<!-- modelinfra-plan:<stack> -->``, so a workflow can find
and update its own comment), the ``Plan: X to add, Y to change, Z to destroy.`` line, a table of
changes per action, the changes made outside modelinfra, then one collapsible ``<details>`` block per
changed resource with its diff in a ``diff`` code fence.

Invariants:
- At most ``MAX_CHARS`` characters (GitHub refuses comments over 65,536). Detailed blocks are added
  while they fit; the resources left are listed one line each; if even those do not fit, the rest is
  cut and a closing note says how many were left out and how to see the whole plan.
- Secrets never appear: redacted values render as ``(sensitive value)``, sensitive outputs as
  ``(sensitive)``. Addresses and types are HTML-escaped in summaries and escaped in tables; code
  fences are longer than any backtick run inside them, so no value can end a block early.
"""

from __future__ import annotations

import html
import re

from modelinfra.plans.action import Action
from modelinfra.plans.diff import AttributeChange
from modelinfra.plans.plan import Plan, ResourceChange
from modelinfra.views.drift_markdown import name
from modelinfra.views.human import render_value

MAX_CHARS = 65_000
MAX_VALUE_CHARS = 300
MAX_TABLE_NAMES = 10
_NOTE_RESERVE = 400
_ORDER = (Action.CREATE, Action.UPDATE, Action.DELETE_THEN_CREATE, Action.CREATE_THEN_DELETE, Action.DELETE,
          Action.FORGET)
_LABEL = {Action.CREATE: "Create", Action.UPDATE: "Update in place", Action.DELETE_THEN_CREATE: "Replace",
          Action.CREATE_THEN_DELETE: "Replace (create first)", Action.DELETE: "Destroy",
          Action.FORGET: "Forget (state only)"}


def marker(stack: str) -> str:
    return f"<!-- modelinfra-plan:{html.escape(stack)} -->"


def summary_line(plan: Plan) -> str:
    if plan.refresh_only:
        return (f"Refresh-only plan: {len(plan.resource_drift)} change(s) made outside modelinfra to record in "
                "state; nothing in the cloud changes.")
    add, change, destroy = plan.counts()
    return f"Plan: {add} to add, {change} to change, {destroy} to destroy."


def render(plan: Plan) -> str:
    head = [marker(plan.stack), f"## modelinfra plan for stack {name(plan.stack)}", ""]
    if not plan.has_changes:
        head += ["**No changes.** Your infrastructure matches the configuration.", ""]
    else:
        head += [f"**{summary_line(plan)}**", "", *_table(plan), ""]
    head += _drift(plan)
    out = "\n".join(head) + "\n"
    changes = plan.actionable
    budget = MAX_CHARS - _NOTE_RESERVE
    lines = [_line(c) for c in changes]
    tail = [0] * (len(changes) + 1)  # tail[i]: size of the one-line entries of changes[i:]
    for i in range(len(changes) - 1, -1, -1):
        tail[i] = tail[i + 1] + len(lines[i])
    shown = 0
    for i, change in enumerate(changes):
        block = _details(change)
        if len(out) + len(block) + tail[i + 1] + len(_REST_HEAD) + 8 > budget:
            break
        out += block
        shown += 1
    listed = shown
    if shown < len(changes):
        out += _REST_HEAD.format(n=len(changes) - shown)
        for line in lines[shown:]:
            if len(out) + len(line) > budget:
                break
            out += line
            listed += 1
    omitted = len(changes) - listed
    if omitted:
        out += (f"\n> **Note:** {omitted} more change{'s' if omitted != 1 else ''} not shown to keep this comment "
                f"under {MAX_CHARS:,} characters. Run `modelinfra show PLANFILE` for the whole plan.\n")
    return out


_REST_HEAD = "\n{n} more changes, without their diffs (the comment size limit):\n\n"


def _line(change: ResourceChange) -> str:
    return f"- `{change.action.symbol}` {name(change.address)} ({name(change.type)}) {change.action.verb}\n"


def _table(plan: Plan) -> list[str]:
    rows = ["| Action | Resources | Addresses |", "| --- | ---: | --- |"]
    for action in _ORDER:
        of_kind = [c for c in plan.actionable if c.action is action]
        if not of_kind:
            continue
        names = ", ".join(name(c.address) for c in of_kind[:MAX_TABLE_NAMES])
        if len(of_kind) > MAX_TABLE_NAMES:
            names += f" and {len(of_kind) - MAX_TABLE_NAMES} more"
        rows.append(f"| `{action.symbol}` {_LABEL[action]} | {len(of_kind)} | {names} |")
    outputs = [o for o in plan.output_changes if o.action is not Action.NOOP]
    if outputs:
        rows.append(f"| Outputs | {len(outputs)} | {', '.join(name(o.name) for o in outputs[:MAX_TABLE_NAMES])} |")
    return rows


def _drift(plan: Plan) -> list[str]:
    if not plan.resource_drift:
        return []
    lines = ["### Changed outside modelinfra", ""]
    for entry in plan.resource_drift[:50]:
        what = "deleted" if entry.status == "deleted" else ", ".join(name(c.path) for c in entry.changes[:10])
        lines.append(f"- {name(entry.address)} ({name(entry.type)}): {what}")
    if len(plan.resource_drift) > 50:
        lines.append(f"- and {len(plan.resource_drift) - 50} more")
    return lines + [""]


def _details(change: ResourceChange) -> str:
    summary = (f"<code>{html.escape(change.action.symbol)} {html.escape(change.address)}</code> "
               f"({html.escape(change.type)}) {html.escape(change.action.verb)}")
    if change.reason:
        summary += f" ({html.escape(change.reason)})"
    for note in change.notes:
        summary += f"; {html.escape(note)}"
    body = "\n".join(_diff_lines(change))
    fence = "`" * max(3, _longest_backticks(body) + 1)
    return f"<details><summary>{summary}</summary>\n\n{fence}diff\n{body}\n{fence}\n\n</details>\n"


def _diff_lines(change: ResourceChange) -> list[str]:
    if change.action is Action.CREATE:
        return [f"+ {k} = {_value(v)}" for k, v in sorted((change.after or {}).items()) if v is not None]
    if change.action is Action.DELETE:
        return [f"- {k} = {_value(v)}" for k, v in sorted((change.before or {}).items()) if v is not None]
    return [line for c in change.changes for line in _change_lines(c)]


def _change_lines(c: AttributeChange) -> list[str]:
    note = "  # forces replacement" if c.forces_replacement else ""
    lines = []
    if c.before is not None:
        lines.append(f"- {c.path} = {_value(c.before)}{note if c.after is None else ''}")
    if c.after is not None:
        lines.append(f"+ {c.path} = {_value(c.after)}{note}")
    return lines


def _value(value: object) -> str:
    text = render_value(value).replace("\r", " ").replace("\n", " ")
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + f"… ({len(text) - MAX_VALUE_CHARS} more)"


def _longest_backticks(text: str) -> int:
    return max((len(m.group()) for m in re.finditer(r"`+", text)), default=0)

