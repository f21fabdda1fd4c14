"""Drift ignores (``drift.ignore`` in the spec): ``apply_ignores`` and how every drift format shows them."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema

from modelinfra.plans.diff import AttributeChange
from modelinfra.plans.drift import IgnoreRule, apply_ignores
from modelinfra.views.drift_report import render_report
from tests.views import deleted, in_sync, modified, report

TODAY = dt.date(2026, 12, 1)
SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "schemas" / "drift-report.schema.json").read_text())


def owner_drift():
    return modified(changes=[AttributeChange("tags.owner", "ml", "someone"),
                             AttributeChange("min_tls_version", "TLS1_2", "TLS1_0")])


def test_live_rule_moves_only_its_path_to_ignored():
    item = owner_drift()
    apply_ignores(item, [IgnoreRule("account", "tags", "owner tag set by finance", dt.date(2027, 6, 30))], TODAY)
    assert [c.path for c in item.changes] == ["min_tls_version"]
    assert [(i.change.path, i.reason, i.until) for i in item.ignored] == [
        ("tags.owner", "owner tag set by finance", "2027-06-30")]
    assert item.status == "modified" and item.drifted and item.notes == []


def test_all_paths_ignored_is_not_drift():
    item = owner_drift()
    rules = [IgnoreRule("account", "tags.owner", "finance"), IgnoreRule("account", "min_tls_version", "legacy")]
    apply_ignores(item, rules, TODAY)
    rpt = report(item, in_sync())
    assert item.status == "ignored" and not item.drifted and not rpt.has_drift
    assert rpt.counts()["ignored"] == 1


def test_expired_rule_counts_again_with_a_note():
    item = owner_drift()
    apply_ignores(item, [IgnoreRule("account", "tags.owner", "finance", dt.date(2026, 11, 30))], TODAY)
    assert [c.path for c in item.changes] == ["tags.owner", "min_tls_version"] and item.ignored == []
    assert item.notes == ["drift ignore for tags.owner expired on 2026-11-30: counted again (reason was: finance)"]


def test_rule_for_another_address_or_a_deletion_ignores_nothing():
    item, gone = owner_drift(), deleted()
    rules = [IgnoreRule("other", "tags", "x"), IgnoreRule("bucket", "tags", "x")]
    apply_ignores(item, rules, TODAY)
    apply_ignores(gone, rules, TODAY)
    assert len(item.changes) == 2 and item.ignored == [] and gone.status == "deleted"


def ignored_report():
    item = owner_drift()
    apply_ignores(item, [IgnoreRule("account", "tags.owner", "owner tag set by finance"),
                         IgnoreRule("account", "min_tls_version", "legacy clients until Q3")], TODAY)
    return report(item, in_sync())


def test_every_format_says_ignored_with_the_reason():
    rpt = ignored_report()
    text = render_report(rpt, "text")
    assert 'tags.owner: "ml" -> "someone" ignored (owner tag set by finance)' in text
    assert text.rstrip().splitlines()[-1].startswith("No drift")
    md = render_report(rpt, "markdown")
    assert md.startswith("## :white_check_mark: No drift")
    assert "`tags.owner` ignored (owner tag set by finance)" in md
    junit = ET.fromstring(render_report(rpt, "junit"))
    assert junit.get("failures") == "0"
    out = junit.find(".//testcase[@name='account']/system-out").text
    assert 'min_tls_version: "TLS1_2" -> "TLS1_0" ignored (legacy clients until Q3)' in out
    github = render_report(rpt, "github")
    assert "::warning" not in github
    assert "::notice file=examples/model-snapshots.yaml,line=12,title=Drift ignored%3A account::" in github
    assert "ignored (owner tag set by finance)" in github


def test_json_carries_ignored_changes_and_matches_the_schema():
    rpt = ignored_report()
    doc = json.loads(render_report(rpt, "json"))
    jsonschema.validate(doc, SCHEMA)
    account = doc["resources"][0]
    assert doc["drift"] is False and account["status"] == "ignored" and account["changes"] == []
    assert {i["path"]: i["reason"] for i in account["ignored_changes"]} == {
        "tags.owner": "owner tag set by finance", "min_tls_version": "legacy clients until Q3"}


def test_expired_note_shows_in_text_and_json():
    item = owner_drift()
    apply_ignores(item, [IgnoreRule("account", "tags.owner", "finance", dt.date(2026, 1, 1))], TODAY)
    rpt = report(item)
    assert "note: drift ignore for tags.owner expired on 2026-01-01" in render_report(rpt, "text")
    doc = json.loads(render_report(rpt, "json"))
    jsonschema.validate(doc, SCHEMA)
    assert doc["drift"] is True and doc["resources"][0]["notes"][0].startswith("drift ignore for tags.owner expired")
    assert "expired on 2026-01-01" in render_report(rpt, "markdown")
    assert "expired on 2026-01-01" in render_report(rpt, "github")
    junit = ET.fromstring(render_report(rpt, "junit"))
    assert junit.get("failures") == "1" and "expired on 2026-01-01" in junit.find(".//testcase/failure").text
