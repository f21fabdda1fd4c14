"""``check`` reports: text, json, SARIF 2.1.0 (structure GitHub code scanning reads), JUnit."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema

from modelinfra.plans.action import Action
from modelinfra.plans.plan import Plan, ResourceChange
from modelinfra.policy import plan_warnings
from modelinfra.policy.check import run_check
from modelinfra.policy.output import render
from modelinfra.policy.rules import RULES
from tests.policy.specs import WEAK, WEAK_FINDINGS, compiled, line_of

TODAY = dt.date(2026, 12, 1)
SKIPPED = WEAK + "policy:\n  skip:\n    - {rule: MI-AWS-S3-KMS, address: bucket, reason: SSE-S3 is enough here}\n"


def report(tmp_path, text=SKIPPED):
    return run_check(compiled(tmp_path, text), TODAY)


def test_sarif_has_every_finding_at_its_line_and_marks_suppressions(tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    doc = json.loads(render(report(tmp_path), "sarif", "medium"))
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")
    [run] = doc["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.id for r in RULES]
    assert all(r["shortDescription"]["text"] and r["help"]["text"].startswith("Fix: ") for r in rules)
    results = {(r["ruleId"], r["message"]["text"].split(" ", 1)[0]): r for r in run["results"]}
    assert set(results) == WEAK_FINDINGS
    tls = results[("MI-AZ-STORAGE-TLS", "account")]
    assert tls["level"] == "error" and rules[tls["ruleIndex"]]["id"] == "MI-AZ-STORAGE-TLS"
    location = tls["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "spec.yaml"  # relative to the workspace
    assert location["region"] == {"startLine": line_of(WEAK, "min_tls_version: TLS1_1"), "startColumn": 7}
    assert results[("MI-AWS-S3-KMS", "bucket")]["suppressions"] == [
        {"kind": "external", "justification": "SSE-S3 is enough here"}]
    assert "suppressions" not in tls


SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "schemas" / "check-report.schema.json").read_text())


def test_json_report_matches_its_schema(tmp_path):
    doc = json.loads(render(report(tmp_path), "json", "high"))
    jsonschema.validate(doc, SCHEMA)
    assert doc["format_version"] == "1.0" and doc["failed"] is True and doc["fail_on"] == "high"
    assert doc["summary"]["suppressed"] == 1
    assert sum(doc["summary"][s] for s in ("low", "medium", "high")) == len(WEAK_FINDINGS) - 1
    kms = next(f for f in doc["findings"] if f["rule"] == "MI-AWS-S3-KMS")
    assert kms["suppressed"] is True and kms["suppression_reason"] == "SSE-S3 is enough here"


def test_junit_failures_are_the_findings_at_or_above_the_threshold(tmp_path):
    rpt = report(tmp_path)
    suite = ET.fromstring(render(rpt, "junit", "high")).find("testsuite")
    cases = suite.findall("testcase")
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    assert failed == {f"{f.rule.id} {f.address}" for f in rpt.failing("high")}
    assert suite.get("failures") == str(len(failed)) and suite.get("tests") == str(len(cases))
    kms = next(c for c in cases if c.get("name") == "MI-AWS-S3-KMS bucket")
    assert kms.find("skipped").get("message") == "suppressed (SSE-S3 is enough here)"


def test_text_lines_are_file_line_col(tmp_path):
    text = render(report(tmp_path), "text", "medium")
    path = str(tmp_path / "spec.yaml")
    assert f"{path}:{line_of(WEAK, 'https_only: false')}:7: high MI-AZ-STORAGE-HTTPS: account" in text
    assert "suppressed MI-AWS-S3-KMS: bucket: suppressed (SSE-S3 is enough here)" in text
    assert text.rstrip().splitlines()[-1].startswith(f"{len(WEAK_FINDINGS) - 1} finding(s) in stack policy-weak")


def test_plan_warnings_cover_only_resources_the_plan_changes(tmp_path):
    spec = compiled(tmp_path, WEAK)
    plan = Plan("policy-weak", "spec.yaml", "d", None, 0, {}, [
        ResourceChange("account", "azure.storage_account", Action.UPDATE, {}, {}),
        ResourceChange("bucket", "aws.s3_bucket", Action.NOOP, {}, {}),
        ResourceChange("bus", "azure.servicebus_namespace", Action.DELETE, {}, None),
    ])
    warnings = plan_warnings(spec, plan)
    assert warnings and all(w.startswith("Warning: ") and ": account (azure.storage_account): " in w for w in warnings)
    assert len(warnings) == sum(1 for _, address in WEAK_FINDINGS if address == "account")
    assert plan_warnings(spec, Plan("p", "s", "d", None, 0, {}, [])) == []
