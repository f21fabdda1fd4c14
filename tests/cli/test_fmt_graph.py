"""``fmt`` keeps comments, is idempotent and ``--check`` fails CI on unformatted files; ``graph``
prints the dependency graph as DOT or Mermaid."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelinfra.cli.main import main
from tests.e2e.cli import run_cli

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


def test_fmt_of_a_syntax_error_says_it_in_the_specs_words(tmp_path: Path):
    spec = tmp_path / "spec.yaml"
    spec.write_text("version: 1\nname: demo\nresources:\n  a:\n    type: aws.s3_bucket\n   properties: {}\n")
    result = run_cli("fmt", "--check", spec)
    assert result.code == 1 and "Traceback" not in result.output
    assert result.stderr.startswith(f"Error: {spec}:6:4: bad indentation: this line starts at column 4"), result.stderr
    assert "expected <block end>" not in result.output and result.stderr.rstrip().endswith("nothing formatted")
    spec.write_text("version: 1\nname: demo\nr: *x\n")
    alias = run_cli("fmt", spec)
    assert alias.code == 1 and f"{spec}:3:4: YAML anchors and aliases are not allowed" in alias.stderr, alias.stderr
