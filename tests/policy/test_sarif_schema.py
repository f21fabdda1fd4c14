"""``modelinfra check --format sarif`` validates against the SARIF 2.1.0 JSON Schema (vendored in
tests/policy/vendor, see its README for the source and license): what GitHub code scanning and
other SARIF consumers accept, suppressions and expired suppressions included."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest

from modelinfra.policy.check import run_check
from modelinfra.policy.output import render
from tests.e2e.cli import run_cli
from tests.policy.specs import WEAK, WEAK_FINDINGS, compiled, write

SARIF_SCHEMA = json.loads((Path(__file__).parent / "vendor" / "sarif-2.1.0-rtm.5.json").read_text())
VALIDATOR = jsonschema.Draft4Validator(SARIF_SCHEMA)
SKIPS = ("policy:\n  skip:\n"
         "    - {rule: MI-AWS-S3-KMS, address: bucket, reason: SSE-S3 is enough here}\n"
         "    - {rule: MI-AZ-STORAGE-TLS, address: account, reason: legacy scorer, until: 2020-01-01}\n")


def problems(doc: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(doc)]


def test_the_vendored_schema_is_the_sarif_2_1_0_schema():
    jsonschema.Draft4Validator.check_schema(SARIF_SCHEMA)
    assert "Version 2.1.0" in SARIF_SCHEMA["title"]
    assert SARIF_SCHEMA["properties"]["version"]["enum"] == ["2.1.0"]


def test_sarif_of_a_weak_spec_with_suppressions_is_valid_sarif(tmp_path: Path):
    report = run_check(compiled(tmp_path, WEAK + SKIPS), dt.date(2026, 12, 1))
    doc = json.loads(render(report, "sarif", "medium"))
    assert problems(doc) == []
    assert len(doc["runs"][0]["results"]) == len(WEAK_FINDINGS)
    assert any("suppressions" in r for r in doc["runs"][0]["results"])


def test_sarif_written_by_the_cli_is_valid_sarif(tmp_path: Path):
    spec = write(tmp_path, WEAK)
    out = tmp_path / "check.sarif"
    result = run_cli("check", spec, "--format", "sarif", "--output", out, cwd=tmp_path,
                     env={"GITHUB_WORKSPACE": str(tmp_path)})
    assert result.code == 2, result.output
    doc = json.loads(out.read_text())
    assert problems(doc) == [] and doc["runs"][0]["results"]
    clean = run_cli("check", spec, "--format", "sarif", "--fail-on", "high", cwd=tmp_path)
    assert problems(json.loads(clean.stdout)) == []


@pytest.mark.parametrize("breakage", ["no message", "bad level", "line 0"])
def test_the_validation_catches_what_sarif_forbids(tmp_path: Path, breakage: str):
    doc = json.loads(render(run_check(compiled(tmp_path, WEAK), dt.date(2026, 12, 1)), "sarif", "medium"))
    broken = copy.deepcopy(doc)
    result = broken["runs"][0]["results"][0]
    if breakage == "no message":
        del result["message"]
    elif breakage == "bad level":
        result["level"] = "critical"
    else:
        result["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    assert problems(broken)
