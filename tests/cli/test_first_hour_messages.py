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


SYNTAX = [
    ("spec.json", b'{"version": 1,\n "name": "demo",\n "resources": {\n',
     "4:1: the file ends where a value was expected: finish the last entry and close every '{' and '['"),
    ("spec.yaml", b"version: 1\nname: demo\nresources:\n  - a\n  b: 1\n",
     "5:3: this line is not a list item, but the list begun at line 4 (column 3) continues here"),
    ("spec.yaml", b"version: 1\nname: demo\nk: [a]]\n", "3:7: unexpected ']': no '[' is open here"),
    ("spec.json", b'{"version": 1,\n "name": "demo"\n "resources": {}}\n',
     "3:2: missing ',' before this: separate the entries of the mapping opened with '{' at line 1, column 1"),
    ("spec.json", b'{"version": 1, "name": "demo", "resources": {}\n',
     "1:1: the mapping opened with '{' here is not closed: add the missing '}'"),
    ("spec.yaml", b'version: 1\nname: demo\nx: [1, "q" "r"]\n',
     "3:12: missing ',' before this: separate the items of the list opened with '[' at line 3, column 4"),
    ("spec.yaml", b'version: 1\nname: "d\xc3\x28"\n', "2:9: not UTF-8 text (byte 0xc3 here): save the spec as UTF-8"),
]


def test_syntax_errors_never_show_the_librarys_words(tmp_path: Path):
    for name, content, expected in SYNTAX:
        spec = tmp_path / name
        spec.write_bytes(content)
        result = run_cli("validate", spec)
        assert result.code == 1 and "Traceback" not in result.output
        lines = [line.removeprefix(f"{spec}:") for line in result.stderr.splitlines() if line.startswith(str(spec))]
        assert len(lines) == 1 and lines[0].startswith(expected), (content, lines)
        for library in ("invalid YAML", "did not find", "codec", "expected <block end>", "while parsing"):
            assert library not in result.output, (content, result.output)
