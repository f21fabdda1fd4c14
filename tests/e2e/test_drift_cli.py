"""``modelinfra drift`` through the installed CLI, as a scheduled CI job runs it: exit 0 clean,
2 drift (modified, deleted, unmanaged with ``--unmanaged``), 1 error (an unreachable cloud is an
error, never "deleted"); read-only (no state lock taken, state file byte-identical)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import boto3
import pytest

from modelinfra.engine import workflow
from tests.e2e.cli import run_cli

pytestmark = pytest.mark.e2e

AWS_SPEC = """\
version: 1
name: drift-cli-{u}
providers:
  aws: {{region: us-east-1}}
resources:
  bucket:
    type: aws.s3_bucket
    properties:
      name: drift-cli-{u}
      versioning: false
      tags: {{team: ml}}
"""

AZURE_SPEC = """\
version: 1
name: drift-cli-az-{u}
providers:
  azure: {{subscription_id: "${{env.AZURE_SUBSCRIPTION_ID}}"}}
resources:
  rg:
    type: azure.resource_group
    properties: {{name: drift-cli-{u}, location: westus}}
"""


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def aws_stack(tmp_path: Path, aws_env: dict[str, str], unique_name: str) -> Path:
    spec = tmp_path / "drift.yaml"
    spec.write_text(AWS_SPEC.format(u=unique_name))
    result = run_cli("apply", spec, "--auto-approve", env=aws_env)
    assert result.code == 0, result.output
    return spec


def state_file(spec: Path) -> Path:
    return workflow.open_stack(spec).spec.state_path()


def s3() -> boto3.client:
    return boto3.client("s3", region_name="us-east-1")


def test_clean_stack_exits_0_every_time(aws_stack: Path, aws_env: dict[str, str]) -> None:
    for _ in range(3):
        result = run_cli("drift", aws_stack, "--unmanaged", env=aws_env)
        assert result.code == 0, result.output
        assert "No drift in stack drift-cli-" in result.stdout
        assert "0 unmanaged" in result.stdout


def test_attribute_change_exits_2_naming_the_path(aws_stack: Path, aws_env: dict[str, str],
                                                  unique_name: str) -> None:
    s3().put_bucket_versioning(Bucket=f"drift-cli-{unique_name}", VersioningConfiguration={"Status": "Enabled"})
    result = run_cli("drift", aws_stack, "--format", "json", env=aws_env)
    assert result.code == 2, result.output
    doc = json.loads(result.stdout)
    assert doc["drift"] is True
    [bucket] = doc["resources"]
    assert (bucket["status"], bucket["changes"]) == ("modified", [
        {"path": "versioning", "before": False, "after": True, "forces_replacement": False}])


def test_deleted_bucket_exits_2_as_deleted(aws_stack: Path, aws_env: dict[str, str], unique_name: str) -> None:
    s3().delete_bucket(Bucket=f"drift-cli-{unique_name}")
    result = run_cli("drift", aws_stack, env=aws_env)
    assert result.code == 2, result.output
    assert "! bucket (aws.s3_bucket): deleted outside modelinfra" in result.stdout


def test_unmanaged_bucket_exits_2_only_with_the_flag(aws_stack: Path, aws_env: dict[str, str],
                                                     unique_name: str, tmp_path: Path) -> None:
    extra = f"drift-cli-extra-{unique_name}"
    s3().create_bucket(Bucket=extra)
    s3().put_bucket_tagging(Bucket=extra, Tagging={"TagSet": [
        {"Key": "modelinfra-stack", "Value": f"drift-cli-{unique_name}"}]})
    assert run_cli("drift", aws_stack, env=aws_env).code == 0
    result = run_cli("drift", aws_stack, "--unmanaged", env=aws_env)
    assert result.code == 2, result.output
    assert f"+ {extra} (aws.s3_bucket): not managed by this stack (cloud id: {extra})" in result.stdout
    report = tmp_path / "report.xml"
    result = run_cli("drift", aws_stack, "--unmanaged", "--format", "junit", "--output", report, env=aws_env)
    assert result.code == 2
    assert f'name="unmanaged: aws.s3_bucket {extra}"' in report.read_text()


def test_unreachable_aws_is_an_error_never_deleted(aws_stack: Path, aws_env: dict[str, str]) -> None:
    env = {**aws_env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{closed_port()}", "MODELINFRA_MAX_ATTEMPTS": "2",
           "MODELINFRA_ENGINE_RETRY_BASE": "0.01"}
    for extra in ((), ("--unmanaged",)):
        result = run_cli("drift", aws_stack, *extra, "--format", "json", env=env, timeout=120)
        assert result.code == 1, result.output
        assert "Error: " in result.stderr and "Could not connect to the endpoint URL" in result.stderr
        assert "deleted" not in result.output
        assert result.stdout == ""


def test_unreachable_azure_is_an_error_never_deleted(tmp_path: Path, azure_env: dict[str, str],
                                                     unique_name: str) -> None:
    spec = tmp_path / "az.yaml"
    spec.write_text(AZURE_SPEC.format(u=unique_name))
    assert run_cli("apply", spec, "--auto-approve", env=azure_env).code == 0
    assert run_cli("drift", spec, "--unmanaged", env=azure_env).code == 0
    env = {**azure_env, "MODELINFRA_AZURE_ENDPOINT": f"http://127.0.0.1:{closed_port()}",
           "MODELINFRA_MAX_ATTEMPTS": "2", "MODELINFRA_ENGINE_RETRY_BASE": "0.01"}
    result = run_cli("drift", spec, env=env, timeout=120)
    assert result.code == 1, result.output
    assert "Error: " in result.stderr and "drift-cli-" in result.stderr
    assert "deleted" not in result.output


def test_drift_takes_no_lock_and_leaves_state_byte_identical(aws_stack: Path, aws_env: dict[str, str],
                                                             unique_name: str) -> None:
    path = state_file(aws_stack)
    before = path.read_bytes()
    stat = path.stat()
    s3().put_bucket_versioning(Bucket=f"drift-cli-{unique_name}", VersioningConfiguration={"Status": "Enabled"})
    stack = workflow.open_stack(aws_stack)
    with stack.manager.lock("apply") as mine:  # an apply holds the lock meanwhile
        held = run_cli("apply", aws_stack, "--auto-approve", env=aws_env)
        assert held.code == 1 and "lock" in held.output.lower()  # the lock is really held
        files_before = sorted(p.name for p in path.parent.iterdir())
        result = run_cli("drift", aws_stack, "--unmanaged", env=aws_env)
        files_during = sorted(p.name for p in path.parent.iterdir())
        holder = stack.manager.backend.lock_info()  # type: ignore[attr-defined]
    assert result.code == 2, result.output
    assert "versioning: false -> true" in result.stdout
    assert path.read_bytes() == before
    assert path.stat().st_mtime_ns == stat.st_mtime_ns
    assert files_during == files_before  # drift made no lock or temp file and removed none
    assert holder is not None and holder.id == mine.id  # ... and left our lock alone
