"""Drift report as GitHub Actions workflow commands: annotations on the spec file.

Each drifted resource becomes ``::warning file=SPEC,line=L,title=Drift: <address>::<message>``
at the resource's line in the spec; each unmanaged resource (``drift --unmanaged``) then becomes
``::warning file=SPEC,line=1,title=Unmanaged: <name>::<message>`` (it has no line of its own). GitHub shows at most ``MAX_WARNINGS`` (10) warning
annotations per step, so at most that many are emitted, then one ``::notice::`` naming the rest
("and N more drifted resources: a, b, ..."). With no drift the output is one ``::notice::``
carrying the summary line; with drift the summary follows as a plain log line.

Invariants: every output line is either a workflow command or the plain summary line. Data is
escaped per GitHub's rules — in messages ``%`` ``\\r`` ``\\n``; in properties also ``:`` and
``,`` — so no value can end a command early or start a new one. Spec changes not yet applied are
not drift and are never annotated.
"""

from __future__ import annotations

import os

from modelinfra.plans.drift import DriftReport, ResourceDrift, UnmanagedResource
from modelinfra.views.drift_report import render_summary
from modelinfra.views.human import render_value

MAX_WARNINGS = 10
MAX_CHANGES_PER_MESSAGE = 20
MAX_VALUE_CHARS = 200
MAX_NAMES_IN_NOTICE = 50


def escape_data(text: str) -> str:
    """Escape a command's message (GitHub's ``escapeData``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a command property value (GitHub's ``escapeProperty``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: str | int) -> str:
    """One workflow command line, everything escaped: ``::name k=v,...::message``."""
    props = ",".join(f"{k}={escape_property(str(v))}" for k, v in properties.items())
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def annotation_file(spec_path: str, workspace: str | None) -> str:
    """The spec path as GitHub matches it to a repository file: relative to ``workspace`` when
    it is absolute and lies inside it, normalised, with ``/`` separators (no leading ``./``)."""
    path = os.path.normpath(spec_path)
    if workspace and os.path.isabs(path):
        try:
            relative = os.path.relpath(path, workspace)
        except ValueError:  # another drive (Windows)
            relative = os.pardir
        if relative != os.pardir and not relative.startswith(os.pardir + os.sep):
            path = relative
    return path.replace(os.sep, "/")


def render(report: DriftReport) -> str:
    return render_for(report, os.environ.get("GITHUB_WORKSPACE") or os.getcwd())


def render_for(report: DriftReport, workspace: str | None) -> str:
    """``render`` with the workspace the spec path is made relative to given explicitly."""
    summary = render_summary(report).strip()
    file = annotation_file(report.spec_path, workspace)
    ignored = [command("notice", _ignored_message(r), file=annotation_file(r.file, workspace) if r.file else file,
                       line=max(r.line, 1), title=f"Drift ignored: {r.address}")
               for r in report.resources if r.ignored][:MAX_WARNINGS]
    if not report.has_drift:
        return "\n".join([*ignored, command("notice", summary)]) + "\n"
    drifted = [r for r in report.resources if r.drifted]
    warnings = [(f"Drift: {r.address}", _message(r), max(r.line, 1), r.address, annotation_file(r.file, workspace)
                 if r.file else file) for r in drifted]
    warnings += [(f"Unmanaged: {u.name}", _unmanaged_message(u), 1, u.cloud_id, file) for u in report.unmanaged]
    lines = [command("warning", message, file=where, line=line, title=title)
             for title, message, line, _, where in warnings[:MAX_WARNINGS]]
    rest = [key for _, _, _, key, _ in warnings[MAX_WARNINGS:]]
    if rest:
        names = ", ".join(rest[:MAX_NAMES_IN_NOTICE])
        if len(rest) > MAX_NAMES_IN_NOTICE:
            names += f", ... ({len(rest) - MAX_NAMES_IN_NOTICE} not listed)"
        lines.append(command("notice", f"and {len(rest)} more drifted resources: {names}"))
    lines += ignored
    lines.append(summary)
    return "\n".join(lines) + "\n"


def _message(r: ResourceDrift) -> str:
    if r.status == "deleted":
        where = f" (cloud id: {r.cloud_id})" if r.cloud_id else ""
        return f"{r.type} {r.address} was deleted outside modelinfra{where}."
    lines = [f"{r.type} {r.address} was modified outside modelinfra (last applied -> now):"]
    lines += [f"{c.path}: {_short(c.before)} -> {_short(c.after)}" for c in r.changes[:MAX_CHANGES_PER_MESSAGE]]
    if len(r.changes) > MAX_CHANGES_PER_MESSAGE:
        lines.append(f"... and {len(r.changes) - MAX_CHANGES_PER_MESSAGE} more changed attributes")
    lines += [f"note: {n}" for n in r.notes]
    return "\n".join(lines)


def _ignored_message(r: ResourceDrift) -> str:
    lines = [f"{r.type} {r.address} changed outside modelinfra in paths the spec ignores:"]
    lines += [f"{i.change.path}: {_short(i.change.before)} -> {_short(i.change.after)} ignored ({i.reason})"
              for i in r.ignored[:MAX_CHANGES_PER_MESSAGE]]
    return "\n".join(lines)


def _unmanaged_message(u: UnmanagedResource) -> str:
    tagged = f", tagged modelinfra-address={u.address}" if u.address else ""
    return (f"{u.type} {u.name} belongs to the stack but is not managed by modelinfra "
            f"(cloud id: {u.cloud_id}{tagged}).")


def _short(value: object) -> str:
    text = render_value(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "..."
