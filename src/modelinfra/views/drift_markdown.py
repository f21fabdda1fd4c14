"""Drift report as GitHub-flavoured Markdown, for ``$GITHUB_STEP_SUMMARY`` and PR comments.

Layout: a headline (drift / no drift), a table of counts, one section per drifted resource with
an ``attribute | last applied | now`` table, then (``drift --unmanaged``) a table of the stack's
cloud resources the spec does not manage, then spec changes not yet applied, listed apart
because they are not drift.

Invariants:
- Every value, path, id and type printed is escaped (``escape``): ``|``, backticks and the other
  Markdown/HTML metacharacters are backslash-escaped and line breaks flattened, so a cloud value
  can neither break a table nor inject markup. Long values are cut to ``MAX_VALUE_CHARS``.
- The UTF-8 output is at most ``MAX_BYTES`` (under GitHub's 1 MiB step-summary limit). When the
  sections do not all fit, the trailing ones are left out whole and a closing note says how many
  drifted resources (unmanaged resources, pending entries) were omitted.
"""

from __future__ import annotations

import re
from typing import Any

from modelinfra.plans.diff import AttributeChange
from modelinfra.plans.drift import DriftReport, ResourceDrift, UnmanagedResource
from modelinfra.views.human import render_value

MAX_BYTES = 1_000_000
MAX_VALUE_CHARS = 500
MAX_ROWS_PER_RESOURCE = 100
MAX_PENDING_PATHS = 20
_NOTE_RESERVE = 600  # room kept for the closing "omitted" note

_SPECIAL = re.compile(r"([\\`|*_\[\]<>#~&$])")
_NAME = re.compile(r"[A-Za-z0-9_.:/\[\]-]+")
_BREAKS = re.compile(r"[\r\n\t\v\f\x85\u2028\u2029]+")

_COUNT_ROWS = (
    ("modified", "Modified outside modelinfra"),
    ("deleted", "Deleted outside modelinfra"),
    ("in_sync", "In sync"),
    ("not_created", "Not created yet"),
    ("ignored", "Changed outside modelinfra, ignored by the spec"),
    ("pending", "Spec changes not yet applied (not drift)"),
)


def escape(text: str) -> str:
    """``text`` made inert inside a Markdown table cell or heading (one line, no markup)."""
    return _SPECIAL.sub(r"\\\1", _BREAKS.sub(" ", text))


def name(text: str) -> str:
    """An address, type or attribute path: a code span when it holds only name characters
    (``[A-Za-z0-9_.:/[]-]``), escaped plain text otherwise."""
    return f"`{text}`" if _NAME.fullmatch(text) else escape(text)


def cell(value: Any) -> str:
    """A value as shown in a table cell: ``render_value`` spelling, cut short, escaped."""
    text = render_value(value)
    if len(text) > MAX_VALUE_CHARS:
        text = text[:MAX_VALUE_CHARS] + f"… ({len(text) - MAX_VALUE_CHARS} more characters)"
    return escape(text)


_DRIFT_TITLE = "### Drifted resources\n\n"
_PENDING_TITLE = ("### Spec changes not yet applied (not drift)\n\n"
                  "These resources differ from the spec only because the spec changed; "
                  "`modelinfra apply` will make them match.\n\n")


_UNMANAGED_TITLE = ("### Unmanaged resources\n\n"
                    "Cloud resources of this stack (tagged `modelinfra-stack`, or in its resource groups) "
                    "that the spec does not manage.\n\n"
                    "| Name | Type | Cloud id | `modelinfra-address` tag |\n| --- | --- | --- | --- |\n")


def render(report: DriftReport) -> str:
    drifted = [_drift_section(r) for r in report.resources if r.drifted or r.ignored or r.notes]
    unmanaged = [_unmanaged_row(u) for u in report.unmanaged]
    pending = [_pending_line(r) for r in report.resources if r.pending_action]
    out = _Budget(MAX_BYTES - _NOTE_RESERVE)
    out.add(_headline(report))
    kept_drift = out.add_section(_DRIFT_TITLE, drifted, "")
    complete = kept_drift == len(drifted)
    kept_unmanaged = out.add_section(_UNMANAGED_TITLE, unmanaged, "\n") if complete else 0
    complete = complete and kept_unmanaged == len(unmanaged)
    kept_pending = out.add_section(_PENDING_TITLE, pending, "\n") if complete else 0
    out.parts.append(_omitted_note(len(drifted) - kept_drift, len(pending) - kept_pending,
                                   len(unmanaged) - kept_unmanaged))
    return "".join(out.parts)


class _Budget:
    """Collects output pieces while their UTF-8 size stays within ``limit`` bytes."""

    def __init__(self, limit: int):
        self.parts: list[str] = []
        self.left = limit

    def add(self, piece: str) -> bool:
        size = _size(piece)
        if size > self.left:
            return False
        self.parts.append(piece)
        self.left -= size
        return True

    def add_section(self, title: str, items: list[str], closing: str) -> int:
        """Adds ``title``, then leading ``items`` while they fit, then ``closing``; returns how
        many items went in (0 and nothing added when not even the first fits)."""
        if not items or _size(title) + _size(items[0]) + _size(closing) > self.left:
            return 0
        self.left -= _size(closing)
        self.add(title)
        kept = 0
        while kept < len(items) and self.add(items[kept]):
            kept += 1
        self.parts.append(closing)
        return kept


def _headline(report: DriftReport) -> str:
    c = report.counts()
    stack = name(report.stack)
    if report.has_drift:
        n = c["modified"] + c["deleted"]
        title = f"## :warning: Drift detected in stack {stack}\n\n"
        lead = (f"{n} resource{'s' if n != 1 else ''} changed outside modelinfra "
                f"({c['modified']} modified, {c['deleted']} deleted)")
        if c["unmanaged"]:
            lead += f"; {c['unmanaged']} unmanaged resource{'s' if c['unmanaged'] != 1 else ''} found"
        lead += ".\n\n"
    else:
        title = f"## :white_check_mark: No drift in stack {stack}\n\n"
        lead = "Every applied resource matches what modelinfra last applied"
        lead += (f", except {c['ignored']} changed outside modelinfra only in paths the spec's `drift.ignore` covers"
                 ".\n\n" if c["ignored"] else ".\n\n")
    meta = f"Spec: {name(report.spec_path)} · checked {escape(report.generated_at)}\n\n"
    table = ["| Status | Resources |\n", "| --- | ---: |\n"]
    table += [f"| {label} | {c[key]} |\n" for key, label in _COUNT_ROWS if key != "ignored" or c[key]]
    if report.unmanaged_checked:
        table.append(f"| Unmanaged (not in the spec) | {c['unmanaged']} |\n")
    return title + lead + meta + "".join(table) + "\n"


def _drift_section(r: ResourceDrift) -> str:
    head = f"#### {name(r.address)} ({name(r.type)}): {_status_words(r)}\n\n"
    cloud_id = f"Cloud id: {name(r.cloud_id)}\n\n" if r.cloud_id else ""
    if r.status == "deleted":
        return head + cloud_id + "The resource no longer exists in the cloud.\n\n"
    rows = ["| Attribute | Last applied | Now |\n", "| --- | --- | --- |\n"]
    rows += [_change_row(c) for c in r.changes[:MAX_ROWS_PER_RESOURCE]]
    rows += [_change_row(i.change, f" ignored ({escape(i.reason)})") for i in r.ignored[:MAX_ROWS_PER_RESOURCE]]
    more = sum(max(0, len(items) - MAX_ROWS_PER_RESOURCE) for items in (r.changes, r.ignored))
    notes = "".join(f"> **Note:** {escape(n)}\n" for n in r.notes)
    cloud_id += notes + "\n" if notes else ""
    tail = f"\n…and {more} more changed attributes not shown.\n\n" if more > 0 else "\n"
    return head + cloud_id + "".join(rows) + tail


def _status_words(r: ResourceDrift) -> str:
    if r.status == "deleted":
        return "deleted outside modelinfra"
    if r.status == "ignored":
        n = len(r.ignored)
        return f"changed outside modelinfra, ignored ({n} attribute{'s' if n != 1 else ''})"
    n = len(r.changes)
    return f"modified outside modelinfra ({n} attribute{'s' if n != 1 else ''})"


def _change_row(change: AttributeChange, suffix: str = "") -> str:
    return f"| {name(change.path)}{suffix} | {cell(change.before)} | {cell(change.after)} |\n"


def _pending_line(r: ResourceDrift) -> str:
    paths = [name(c.path) for c in r.pending[:MAX_PENDING_PATHS]]
    more = len(r.pending) - MAX_PENDING_PATHS
    if more > 0:
        paths.append(f"and {more} more")
    detail = f": {', '.join(paths)}" if paths else ""
    return f"- {name(r.address)} ({name(r.type)}): {escape(r.pending_action or '')}{detail}\n"


def _unmanaged_row(u: UnmanagedResource) -> str:
    return f"| {name(u.name)} | {name(u.type)} | {name(u.cloud_id)} | {name(u.address) if u.address else ''} |\n"


def _omitted_note(drift_omitted: int, pending_omitted: int, unmanaged_omitted: int = 0) -> str:
    if not drift_omitted and not pending_omitted and not unmanaged_omitted:
        return ""
    what = []
    if drift_omitted:
        what.append(f"{drift_omitted} drifted resource{'s' if drift_omitted != 1 else ''}")
    if unmanaged_omitted:
        what.append(f"{unmanaged_omitted} unmanaged resource{'s' if unmanaged_omitted != 1 else ''}")
    if pending_omitted:
        what.append(f"{pending_omitted} pending spec change{'s' if pending_omitted != 1 else ''}")
    return (f"> **Note:** {' and '.join(what)} omitted to keep this summary under "
            f"{MAX_BYTES:,} bytes. Run `modelinfra drift SPEC --format json` for the full report.\n")


def _size(text: str) -> int:
    return len(text.encode("utf-8"))
