"""``fmt`` keeps comments, is idempotent and ``--check`` fails CI on unformatted files; ``graph``
prints the dependency graph as DOT or Mermaid."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelinfra.cli.main import main

MESSY = """\
version: 1
name: g   # the stack
providers:
    aws: {region: us-east-1}
resources:
    bucket:
        type: aws.s3_bucket
        properties:
            name: gg-bucket-x   # keep me
    logs:
      type: aws.s3_bucket
      depends_on:
      - bucket
      properties: {name: "${bucket.name}-logs"}
"""


class Ran:
    def __init__(self, exit_code: int, output: str):
        self.exit_code, self.output = exit_code, output


@pytest.fixture
def run(capsys):
    def invoke(*args: str) -> Ran:
        code = main(list(args))
        captured = capsys.readouterr()
        return Ran(code, captured.out + captured.err)
    return invoke


def test_fmt_check_fails_then_fmt_rewrites_keeping_comments_and_is_idempotent(tmp_path: Path, run):
    spec = tmp_path / "spec.yaml"
    spec.write_text(MESSY)
    checked = run("fmt", "--check", str(spec))
    assert checked.exit_code == 1 and str(spec) in checked.output
    assert spec.read_text() == MESSY, "--check changes nothing"
    assert run("fmt", str(spec)).exit_code == 0
    text = spec.read_text()
    assert "# the stack" in text and "# keep me" in text
    assert "\n  aws: {region: us-east-1}\n" in text and "\n    depends_on:\n      - bucket\n" in text
    assert run("fmt", "--check", str(spec)).exit_code == 0
    assert run("validate", str(spec)).exit_code == 0


def test_fmt_refuses_what_is_not_yaml(tmp_path: Path, run):
    spec = tmp_path / "spec.yaml"
    spec.write_text("a: [1,\n")
    result = run("fmt", str(spec))
    assert result.exit_code == 1 and spec.read_text() == "a: [1,\n"
    spec.write_text("just text\n")
    result = run("fmt", str(spec))
    assert result.exit_code == 1 and "not a spec" in result.output and spec.read_text() == "just text\n"


def test_graph_as_dot_and_mermaid(tmp_path: Path, run):
    spec = tmp_path / "spec.yaml"
    spec.write_text(MESSY)
    dot = run("graph", str(spec))
    assert dot.exit_code == 0 and '"logs" -> "bucket";' in dot.output and dot.output.startswith('digraph "g" {')
    mermaid = run("graph", str(spec), "--format", "mermaid")
    assert mermaid.output.startswith("graph RL\n") and "n1 --> n0" in mermaid.output
