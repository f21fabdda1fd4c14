"""``import`` takes the CLOUD_ID forms users have, and never crashes on another one."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from tests.e2e.cli import run_cli

pytestmark = pytest.mark.e2e

SPEC = """\
version: 1
name: legacy
providers:
  aws: {{region: us-east-1}}
resources:
  legacy:
    type: aws.s3_bucket
    properties: {{name: {name}}}
"""


def test_import_takes_an_arn_and_explains_a_wrong_form(tmp_path: Path, aws_env: dict[str, str], unique_name: str):
    name = f"legacy-{unique_name}"
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=name)
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(name=name))
    wrong = run_cli("import", spec, "legacy", "arn:aws:s3:::Not_Valid", env=aws_env, cwd=tmp_path)
    assert wrong.code == 1 and "Internal error" not in wrong.output and "Traceback" not in wrong.output
    assert "expected the bucket name, or its ARN arn:aws:s3:::BUCKET" in wrong.stderr, wrong.stderr
    typo = run_cli("import", spec, "legacyy", name, env=aws_env, cwd=tmp_path)
    assert typo.code == 1 and "(did you mean legacy?)" in typo.stderr
    done = run_cli("import", spec, "legacy", f"arn:aws:s3:::{name}", env=aws_env, cwd=tmp_path)
    assert done.code == 0, done.output
    listed = run_cli("state", "list", spec, env=aws_env, cwd=tmp_path)
    assert f"legacy\taws.s3_bucket\t{name}" in listed.stdout
