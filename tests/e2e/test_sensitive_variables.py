"""A sensitive variable's value never reaches plan output, JSON plans, plan files, state, drift
reports or logs; an output showing it must be marked sensitive."""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3
import pytest

from tests.e2e.cli import run_cli

pytestmark = pytest.mark.e2e

SECRET = "SUPERSECRET-7731"
SPEC = """\
version: 1
name: secrets
variables:
  token: {{sensitive: true}}
providers:
  aws: {{region: us-east-1}}
resources:
  bucket:
    type: aws.s3_bucket
    properties:
      name: secret-{name}
      tags: {{token: "${{var.token}}", team: ml}}
outputs:
  token_tag:
    value: ${{bucket.tags}}
    {sensitive}
"""


def write(tmp_path: Path, name: str, sensitive: str = "sensitive: true") -> Path:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(name=name, sensitive=sensitive))
    return spec


def test_an_output_showing_a_secret_must_be_sensitive(tmp_path: Path, unique_name: str):
    spec = write(tmp_path, unique_name, sensitive="")
    result = run_cli("validate", spec, env={"MODELINFRA_VAR_token": SECRET})
    assert result.code == 1 and "outputs.token_tag.value: shows a sensitive value" in result.stderr


def test_a_sensitive_variable_never_leaks(tmp_path: Path, aws_env: dict[str, str], unique_name: str):
    write(tmp_path, unique_name)
    env = {**aws_env, "MODELINFRA_VAR_token": SECRET}
    seen: list[str] = []

    def cli(*args):
        result = run_cli(*args, env=env, cwd=tmp_path)
        seen.append(result.output)
        return result

    assert cli("plan", "spec.yaml", "--out", "p.plan").code == 0
    assert re.search(r"\+ tags += \(sensitive value\)", seen[-1]), seen[-1]
    plan_json = json.loads(cli("plan", "spec.yaml", "--json").stdout)
    change = plan_json["resource_changes"][0]["change"]
    assert change["after_sensitive"] == {"tags": True}
    assert cli("apply", "p.plan").code == 0
    tags = {t["Key"]: t["Value"] for t in boto3.client("s3").get_bucket_tagging(Bucket=f"secret-{unique_name}")["TagSet"]}
    assert tags["token"] == SECRET, "the secret reaches the cloud"
    assert cli("plan", "spec.yaml", "--detailed-exitcode").code == 0, seen[-1]
    assert cli("plan", "spec.yaml", "--no-refresh", "--detailed-exitcode").code == 0, seen[-1]
    assert cli("drift", "spec.yaml", "--format", "json").code == 0
    boto3.client("s3").put_bucket_tagging(Bucket=f"secret-{unique_name}", Tagging={"TagSet": [
        {"Key": "token", "Value": SECRET + "-rotated"}, {"Key": "team", "Value": "ml"}]})
    drift = cli("drift", "spec.yaml", "--format", "json")
    assert drift.code == 2 and "tags" in drift.stdout
    cli("output", "spec.yaml", "--json")
    assert cli("destroy", "spec.yaml", "--auto-approve").code == 0
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "spec.yaml"]
    assert any(p.name.endswith(".state.json") for p in files) and any(p.suffix == ".plan" for p in files)
    for text in [*seen, *(p.read_text() for p in files)]:
        assert SECRET not in text
