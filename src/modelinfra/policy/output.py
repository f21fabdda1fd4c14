"""``modelinfra check`` reports: text, json, sarif (2.1.0, for GitHub code scanning) and junit.

``render(report, fmt, threshold) -> str``. Every format lists suppressed findings too, marked as
such with their reason (SARIF: ``suppressions`` with ``kind: external``, which code scanning shows
as dismissed); an expired suppression's note travels with its active finding.

SARIF locations are the spec path relative to ``$GITHUB_WORKSPACE`` (or the working directory)
with ``/`` separators, so code scanning annotates the file in the repository; ``region`` carries
``startLine`` / ``startColumn`` of the property (or resource).
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from modelinfra.policy.check import CheckReport, Finding
from modelinfra.policy.rules import RULES
from modelinfra.views.drift_github import annotation_file

FORMATS = ("text", "json", "sarif", "junit")
JSON_FORMAT_VERSION = "1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {"low": "note", "medium": "warning", "high": "error"}
_SECURITY_SEVERITY = {"low": "3.0", "medium": "5.5", "high": "8.0"}


def render(report: CheckReport, fmt: str, threshold: str) -> str:
    return {"text": render_text, "json": render_json, "sarif": render_sarif, "junit": render_junit}[fmt](
        report, threshold)


def finding_line(f: Finding) -> str:
    """``file:line:col: severity MI-...: address (type): message. Fix: ...``"""
    return (f"{f.file}:{f.line}:{f.col}: {f.rule.severity} {f.rule.id}: {f.address} ({f.type}): "
            f"{f.message}. Fix: {f.rule.fix}")


def summary(report: CheckReport, threshold: str) -> str:
    c = report.counts()
    failing = len(report.failing(threshold))
    return (f"{len(report.findings) - c['suppressed']} finding(s) in stack {report.stack} ({c['high']} high, "
            f"{c['medium']} medium, {c['low']} low; {c['suppressed']} suppressed); "
            f"{failing} at or above {threshold}.")


def render_text(report: CheckReport, threshold: str) -> str:
    lines = []
    for f in report.findings:
        if f.active:
            lines.append(finding_line(f))
        else:
            lines.append(f"{f.file}:{f.line}:{f.col}: suppressed {f.rule.id}: {f.address}: suppressed ({f.suppressed})")
        if f.note:
            lines.append(f"    note: {f.note}")
    lines.append(summary(report, threshold))
    return "\n".join(lines) + "\n"


def render_json(report: CheckReport, threshold: str) -> str:
    doc = {"format_version": JSON_FORMAT_VERSION, "stack": report.stack, "spec": report.spec_path,
           "fail_on": threshold, "failed": bool(report.failing(threshold)), "summary": report.counts(),
           "findings": [f.to_json() for f in report.findings]}
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def _tool_version() -> str:
    try:
        return version("modelinfra")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0"


def render_sarif(report: CheckReport, threshold: str) -> str:
    index = {r.id: i for i, r in enumerate(RULES)}
    workspace = os.environ.get("GITHUB_WORKSPACE") or os.getcwd()
    rules = [{
        "id": r.id, "name": r.id.title().replace("-", ""),
        "shortDescription": {"text": r.title}, "fullDescription": {"text": f"{r.title} ({r.type})."},
        "help": {"text": f"Fix: {r.fix}.", "markdown": f"**Fix:** {r.fix}."},
        "defaultConfiguration": {"level": _SARIF_LEVEL[r.severity]},
        "properties": {"tags": ["security", r.type], "security-severity": _SECURITY_SEVERITY[r.severity]},
    } for r in RULES]
    results = []
    for f in report.findings:
        text = f"{f.address} ({f.type}): {f.message}. Fix: {f.rule.fix}."
        if f.note:
            text += f" Note: {f.note}."
        result: dict[str, Any] = {
            "ruleId": f.rule.id, "ruleIndex": index[f.rule.id], "level": _SARIF_LEVEL[f.rule.severity],
            "message": {"text": text},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": annotation_file(f.file, workspace)},
                "region": {"startLine": f.line, "startColumn": f.col}}}],
            "partialFingerprints": {"modelinfra/v1": f"{f.rule.id}:{f.address}"},
        }
        if not f.active:
            result["suppressions"] = [{"kind": "external", "justification": f.suppressed}]
        results.append(result)
    doc = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "modelinfra", "version": _tool_version(), "rules": rules}},
        "results": results,
    }]}
    return json.dumps(doc, indent=2) + "\n"


def render_junit(report: CheckReport, threshold: str) -> str:
    """One testcase per (rule, address) finding; active findings at or above ``threshold`` are
    failures, those below it and suppressed ones are skipped with the reason."""
    suite_name = f"modelinfra.check.{report.stack}"
    failing = {id(f) for f in report.failing(threshold)}
    root = ET.Element("testsuites", name="modelinfra check")
    suite = ET.SubElement(root, "testsuite", name=suite_name, tests=str(len(report.findings)),
                          failures=str(len(failing)), errors="0",
                          skipped=str(len(report.findings) - len(failing)), file=report.spec_path)
    for f in report.findings:
        case = ET.SubElement(suite, "testcase", classname=suite_name, name=f"{f.rule.id} {f.address}",
                             file=f.file, line=str(f.line))
        if id(f) in failing:
            failure = ET.SubElement(case, "failure", type=f.rule.severity, message=f"{f.rule.title}: {f.message}")
            failure.text = finding_line(f) + (f"\nnote: {f.note}" if f.note else "") + "\n"
        elif f.active:
            ET.SubElement(case, "skipped", message=f"{f.rule.severity} is below --fail-on {threshold}: {f.message}")
        else:
            ET.SubElement(case, "skipped", message=f"suppressed ({f.suppressed})")
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
