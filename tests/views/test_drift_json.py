from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from modelinfra.plans.action import Action
from modelinfra.plans.diff import AttributeChange
from modelinfra.plans.drift import DRIFT_FORMAT_VERSION, DriftReport, ResourceDrift
from modelinfra.values import SENSITIVE_MASK, UNKNOWN
from modelinfra.views.drift_report import render_json, render_report
from tests.views import (
    deleted,
    in_sync,
    mixed_report,
    modified,
    not_created,
    pending,
    report,
    unmanaged,
    with_unmanaged,
)

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "drift-report.schema.json"


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)  # no format checker: the schema must not depend on one


def _state_only() -> ResourceDrift:
    """In the state but no longer in the spec: line 1, pending delete."""
    return ResourceDrift("old", "aws.s3_object", "in_sync", 1, "arn:aws:s3:::b/k", [], [], "delete")


def _replaced() -> ResourceDrift:
    return ResourceDrift("version", "azure.ml_model_version", "modified", 8, "/subscriptions/s/x",
                         [AttributeChange("tags", {"a": "1"}, None)],
                         [AttributeChange("path", "azureml://a", UNKNOWN, True),
                          AttributeChange("secret", SENSITIVE_MASK, SENSITIVE_MASK)],
                         "delete-then-create")


REPORTS = {
    "empty": lambda: report(),
    "in_sync": lambda: report(in_sync("a"), in_sync("b")),
    "mixed": mixed_report,
    "pending_only": lambda: report(pending(), not_created()),
    "nested_values": lambda: report(modified(changes=[
        AttributeChange("rules[0].lifecycle.delete_after_days", 30, 7),
        AttributeChange("metadata", {"k": [1, 2.5, None, True]}, {}),
    ])),
    "state_only_and_replace": lambda: report(_state_only(), _replaced(), deleted()),
    "unmanaged": lambda: with_unmanaged(report(in_sync()), unmanaged(), unmanaged("other", address=None)),
    "unmanaged_checked_none_found": lambda: with_unmanaged(report(in_sync())),
}


def document(rpt: DriftReport) -> dict:
    return json.loads(render_json(rpt))


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_rendered_reports_validate_against_the_schema(validator, name):
    doc = document(REPORTS[name]())
    errors = [e.message for e in validator.iter_errors(doc)]
    assert errors == []


def test_json_format_is_the_report_as_data():
    rpt = mixed_report()
    doc = json.loads(render_report(rpt, "json"))
    assert doc == json.loads(json.dumps(rpt.to_json()))
    assert doc["format_version"] == DRIFT_FORMAT_VERSION == "1.2"
    assert doc["drift"] is True
    assert doc["summary"] == {"in_sync": 2, "modified": 1, "deleted": 1, "not_created": 1, "ignored": 0, "pending": 2,
                              "unmanaged": 0}


def _broken(mutate) -> dict:
    doc = copy.deepcopy(document(mixed_report()))
    mutate(doc)
    return doc


INVALID = {
    "wrong format version": lambda d: d.update(format_version="2.0"),
    "missing summary": lambda d: d.pop("summary"),
    "summary count missing": lambda d: d["summary"].pop("pending"),
    "negative count": lambda d: d["summary"].update(modified=-1),
    "unknown top-level field": lambda d: d.update(extra=1),
    "unknown status": lambda d: d["resources"][0].update(status="drifted"),
    "unknown pending action": lambda d: d["resources"][0].update(pending_action="no-op"),
    "line zero": lambda d: d["resources"][0].update(line=0),
    "drift not a boolean": lambda d: d.update(drift="yes"),
    "modified without changes": lambda d: d["resources"][0].update(changes=[]),
    "in_sync with changes": lambda d: d["resources"][3].update(changes=d["resources"][0]["changes"]),
    "not_created with a cloud id": lambda d: d["resources"][4].update(cloud_id="/x"),
    "change without path": lambda d: d["resources"][0]["changes"][0].pop("path"),
    "resource missing cloud_id": lambda d: d["resources"][1].pop("cloud_id"),
    "generated_at not a date-time": lambda d: d.update(generated_at="yesterday"),
}


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_documents_fail_validation(validator, name):
    doc = _broken(INVALID[name])
    assert not validator.is_valid(doc), f"{name} should be rejected"


def test_schema_enums_match_the_code(validator):
    schema = validator.schema
    resource = schema["$defs"]["resource"]["properties"]
    summary_keys = set(report().counts())
    assert set(schema["properties"]["summary"]["required"]) == summary_keys
    assert set(resource["status"]["enum"]) == summary_keys - {"pending", "unmanaged"}
    assert set(resource["pending_action"]["enum"]) == {a.value for a in Action if a is not Action.NOOP} | {None}
    assert set(schema["$defs"]["resource"]["required"]) == set(mixed_report().resources[0].to_json())
    assert set(schema["required"]) == set(report().to_json())
    assert schema["properties"]["format_version"]["const"] == DRIFT_FORMAT_VERSION
    assert set(schema["$defs"]["unmanaged_resource"]["required"]) == set(unmanaged().to_json())


def test_unmanaged_resources_are_drift_and_listed_in_the_document():
    doc = document(with_unmanaged(report(in_sync()), unmanaged("stray")))
    assert doc["drift"] is True
    assert doc["unmanaged_checked"] is True
    assert doc["summary"]["unmanaged"] == 1
    assert doc["unmanaged"] == [{
        "cloud": "azure", "cloud_id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/stray",
        "type": "azure.managed_disk", "cloud_type": "Microsoft.Compute/disks", "name": "stray", "address": "old-disk",
    }]


def test_unmanaged_check_finding_nothing_is_no_drift():
    doc = document(with_unmanaged(report(in_sync())))
    assert (doc["drift"], doc["unmanaged_checked"], doc["unmanaged"]) == (False, True, [])
