"""``plan --json`` reports how many requests the plan took (``statistics``), so refresh cost per
resource can be watched."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.e2e.cli import run_cli

pytestmark = pytest.mark.e2e

SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "plan.schema.json"


def test_plan_json_reports_requests_and_resources(tmp_path: Path, aws_env: dict[str, str], unique_name: str):
    spec = tmp_path / "spec.yaml"
    spec.write_text("version: 1\nname: stats\nproviders:\n  aws:\n    region: us-east-1\nresources:\n"
                    + "".join(f"  b{i}:\n    type: aws.s3_bucket\n    properties: {{name: st-{unique_name}-{i}}}\n"
                              for i in range(3)))
    offline = run_cli("plan", spec, "--json", "--no-refresh", env=aws_env, cwd=tmp_path)
    assert offline.code == 0, offline.output
    assert json.loads(offline.stdout)["statistics"] == {"requests": 0, "resources": 3}
    applied = run_cli("apply", spec, "--auto-approve", env=aws_env, cwd=tmp_path)
    assert applied.code == 0, applied.output
    try:
        refreshed = run_cli("plan", spec, "--json", env=aws_env, cwd=tmp_path)
        document = json.loads(refreshed.stdout)
        jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text())).validate(document)
        stats = document["statistics"]
        assert stats["resources"] == 3 and stats["requests"] >= 3, stats
    finally:
        assert run_cli("destroy", spec, "--auto-approve", env=aws_env, cwd=tmp_path).code == 0
