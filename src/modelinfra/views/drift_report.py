"""Drift report renderers, by format name. Each renderer is ``render(report) -> str``."""

from __future__ import annotations

import json
from collections.abc import Callable

from modelinfra.plans.drift import DriftReport, UnmanagedResource
from modelinfra.views.human import render_value

FORMATS = ("text", "json", "markdown", "junit", "github")


def render_report(report: DriftReport, fmt: str) -> str:
    return _renderers()[fmt](report)


def _renderers() -> dict[str, Callable[[DriftReport], str]]:
    from modelinfra.views import drift_github, drift_junit, drift_markdown

    return {
        "text": render_text,
        "json": render_json,
        "markdown": drift_markdown.render,
        "junit": drift_junit.render,
        "github": drift_github.render,
    }


def render_json(report: DriftReport) -> str:
    return json.dumps(report.to_json(), indent=2, sort_keys=True, default=str) + "\n"


def render_summary(report: DriftReport) -> str:
    c = report.counts()
    head = "Drift detected" if report.has_drift else "No drift"
    extra = f", {c['unmanaged']} unmanaged" if report.unmanaged_checked else ""
    extra += f", {c['ignored']} with ignored drift only" if c["ignored"] else ""
    return (f"{head} in stack {report.stack}: {c['modified']} modified, {c['deleted']} deleted outside modelinfra"
            f"{extra}, {c['in_sync']} in sync; {c['pending']} with spec changes not yet applied.\n")


def render_text(report: DriftReport) -> str:
    lines: list[str] = []
    for r in report.resources:
        if r.status == "in_sync":
            lines.append(f"  {r.address} ({r.type}): in sync")
        elif r.status == "not_created":
            lines.append(f"  {r.address} ({r.type}): not created yet (pending apply)")
        elif r.status == "ignored":
            lines.append(f"  {r.address} ({r.type}): changed outside modelinfra, ignored by the spec")
        elif r.status == "deleted":
            lines.append(f"! {r.address} ({r.type}): deleted outside modelinfra")
        else:
            lines.append(f"~ {r.address} ({r.type}): modified outside modelinfra")
            for c in r.changes:
                lines.append(f"      {c.path}: {render_value(c.before)} -> {render_value(c.after)}")
        for i in r.ignored:
            lines.append(f"      {i.change.path}: {render_value(i.change.before)} -> {render_value(i.change.after)}"
                         f" ignored ({i.reason})")
        lines.extend(f"      note: {n}" for n in r.notes)
        if r.pending_action and r.status != "not_created":
            lines.append(f"      (spec change not yet applied: {r.pending_action} "
                         f"{', '.join(c.path for c in r.pending)})")
    for u in report.unmanaged:
        lines.append(f"+ {u.name} ({u.type}): not managed by this stack ({unmanaged_detail(u)})")
    return "\n".join(lines) + "\n\n" + render_summary(report)


def unmanaged_detail(u: UnmanagedResource) -> str:
    """``cloud id: ...`` plus the ``modelinfra-address`` tag it carries, if any (one line)."""
    tagged = f"; tagged modelinfra-address={u.address}" if u.address else ""
    return f"cloud id: {u.cloud_id}{tagged}"
