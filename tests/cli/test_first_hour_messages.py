"""Issue 13, "no raw library text", through the installed CLI: an empty list and a bad indent are
said in the spec's words at file:line:col, without pydantic's or the YAML parser's phrasing."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.cli import run_cli

EMPTY_LIST = """\
version: 1
name: first-hour
providers:
  aws: {region: us-east-1}
resources:
  plan:
    type: aws.backup_plan
    properties: {name: p, rules: []}
"""
BAD_INDENT = "version: 1\nname: first-hour\nresources:\n  b:\n    type: aws.s3_bucket\n   properties: {name: x}\n"
LIBRARY_TEXT = ("List should have", "after validation", "while parsing", "expected <block end>", "Traceback",
                "Internal error")


def test_an_empty_list_and_a_bad_indent_are_said_in_the_specs_words(tmp_path: Path):
    for text, where, words in ((EMPTY_LIST, "spec.yaml:8:27: resources.plan.properties.rules:", "must not be empty"),
                               (BAD_INDENT, "spec.yaml:6:4:", "bad indentation")):
        spec = tmp_path / "spec.yaml"
        spec.write_text(text)
        result = run_cli("validate", spec)
        assert result.code == 1, result.output
        assert where in result.output and words in result.output, result.output
        assert not [t for t in LIBRARY_TEXT if t in result.output], result.output
