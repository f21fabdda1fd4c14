"""Executor behaviour that does not depend on one handler: progress is best effort."""

from __future__ import annotations

from pathlib import Path

import boto3

from modelinfra.engine import workflow
from modelinfra.reporting import Reporter

SPEC = """\
version: 1
name: executor
providers:
  aws: {{region: us-east-1}}
resources:
  bucket:
    type: aws.s3_bucket
    properties: {{name: executor-{name}}}
"""


class BrokenReporter(Reporter):
    def action_started(self, address: str, action: str) -> None:
        raise BrokenPipeError("stdout closed")

    def action_done(self, address: str, action: str, error: str | None = None) -> None:
        raise BrokenPipeError("stdout closed")


def test_a_failing_progress_reporter_never_fails_an_action(tmp_path: Path, aws_env, unique_name):
    (tmp_path / "s.yaml").write_text(SPEC.format(name=unique_name))
    stack = workflow.open_stack(tmp_path / "s.yaml", reporter=BrokenReporter())
    _, state = workflow.apply(stack, confirm=lambda plan: True)
    assert state.resources["bucket"].status == "ready"
    assert f"executor-{unique_name}" in {b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]}
    workflow.apply(stack, confirm=lambda plan: True, destroy=True)
