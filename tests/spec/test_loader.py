import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from modelinfra.errors import SpecError
from modelinfra.spec.loader import MAX_SPEC_BYTES, load_document, parse_document, read_document

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").rglob("*.yaml"))


def problems(text: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        parse_document(Path("s.yaml"), text)
    return [str(p) for p in info.value.problems]


def lenient(text: str, tmp_path: Path) -> Any:
    spec = tmp_path / "s.yaml"
    spec.write_text(text)
    return read_document(spec)


def _round_trip_reference(text: str) -> Any:
    """What ruamel's round-trip loader (the loader before the one-pass rewrite) makes of ``text``."""
    from ruamel.yaml import YAML

    def plain(node: Any) -> Any:
        if isinstance(node, dict):
            return {str(k): plain(v) for k, v in node.items()}
        if isinstance(node, list):
            return [plain(v) for v in node]
        for kind in (bool, int, float, str):
            if isinstance(node, kind):
                return kind(node)
        if isinstance(node, dt.datetime | dt.date):
            return node.isoformat()
        return node

    return plain(YAML(typ="rt").load(text))


TRICKY = """\
a: 1
b: -2
c: 0o17
d: 0x1F
e: 1_000
acct: 012345678901
zo: 017
zero: 0
neg: -0x1f
plus: +12
half: .5
exp: 1.0e+3
version_like: 1.2.3
colon_time: 12:30
f: 1.5
g: -.inf
h: 1e3
i: true
j: False
k: yes
l: no
m: ~
n: null
o:
p: '3'
q: "x: y"
r: 2027-06-30
s: 2026-01-02T03:04:05Z
u: [1, "two", {v: w}]
w: |
  line one
  line two
x: >-
  folded
  text
"""


@pytest.mark.parametrize("text", [TRICKY, *(p.read_text() for p in EXAMPLES)],
                         ids=["tricky", *(p.name for p in EXAMPLES)])
def test_values_equal_what_the_round_trip_loader_built(text: str):
    assert parse_document(Path("s.yaml"), text).data == _round_trip_reference(text)


def test_yaml_1_2_plain_scalars_libyaml_refuses_still_parse_with_their_positions():
    # A backup schedule in a flow mapping: libyaml (YAML 1.1) reads " ? " and " * " as indicators.
    text = "rules: [{name: daily, schedule: cron(0 5 ? * * *)}]\nnext: 1\n"
    doc = parse_document(Path("s.yaml"), text)
    assert doc.data == {"rules": [{"name": "daily", "schedule": "cron(0 5 ? * * *)"}], "next": 1}
    assert doc.positions[("next",)] == (2, 1)


def test_an_explicit_str_tag_gives_a_string():
    assert parse_document(Path("s.yaml"), "t: !!str 12\n").data == {"t": "12"}


def test_positions_are_one_based_for_keys_and_items():
    doc = parse_document(Path("s.yaml"), "a: 1\nb:\n  c:\n    - x: 1\n")
    assert doc.positions[("a",)] == (1, 1)
    assert doc.positions[("b", "c")] == (3, 3)
    assert doc.positions[("b", "c", 0)] == (4, 7)
    assert doc.positions[("b", "c", 0, "x")] == (4, 7)
    assert doc.position(("b", "c", 0, "missing")) == (4, 7)


def test_anchors_and_aliases_are_rejected_with_their_position():
    assert problems("a: &x 1\nb: *x\n") == [
        "s.yaml:1:4: YAML anchors and aliases are not allowed: write the value out in full (or use a variable)",
        "s.yaml:2:4: YAML anchors and aliases are not allowed: write the value out in full (or use a variable)",
    ]


def test_an_alias_is_never_expanded(tmp_path: Path):
    doc = lenient("a: &x [1, 2]\nb: *x\n", tmp_path)
    assert doc.data == {"a": [1, 2], "b": None} and len(doc.problems) == 2


def test_duplicate_keys_are_reported_at_the_duplicate_and_keep_the_first_value(tmp_path: Path):
    [message] = problems("a: 1\na: 2\n")
    assert message == "s.yaml:2:1: duplicate key 'a' (first at line 1): remove one of them"
    doc = lenient("a: 1\nb:\n  c: 1\n  c: 2\na: 3\nd: 4\n", tmp_path)
    assert doc.data == {"a": 1, "b": {"c": 1}, "d": 4}
    assert [(p.line, p.col) for p in doc.problems] == [(4, 3), (5, 1)]


def test_load_document_is_strict_and_read_document_returns_the_problems(tmp_path: Path):
    spec = tmp_path / "s.yaml"
    spec.write_text("a: &x 1\na: 2\n")
    with pytest.raises(SpecError) as info:
        load_document(spec)
    assert len(info.value.problems) == 2
    assert len(read_document(spec).problems) == 2


@pytest.mark.parametrize(("text", "where", "words"), [
    ("a:\n  b: 1\n c: 2\n", "3:2", "bad indentation: this line starts at column 2, but the keys of the mapping "
                                   "begun at line 1 start at column 1"),
    ("a: 1\n- b\n", "2:1", "a list item ('- ') where a key was expected"),
    ("a: b: c\n", "1:5", "unexpected ':' here"),
    ("a: 1\n  b: 2\n", "2:4", "unexpected ':' here"),
    ("a:\n\tb: 1\n", "2:1", "a tab character: YAML indentation must use spaces"),
    ("a: [1, 2\nb: 3\n", "1:4", "the list opened with '[' here is not closed"),
    ("a: {x: 1\nb: 3\n", "1:4", "the mapping opened with '{' here is not closed"),
    ("a: 'abc\nb: 3\n", "1:4", "the quoted string that starts here is not closed"),
    ("a: 1\nb\nc: 2\n", "2:1", "add ':' after the key"),
    ('a: "\\q"\n', "1:5", "unknown escape sequence"),
    ("a: @x\n", "1:4", "'@' cannot start a plain value; put the value in quotes"),
])
def test_syntax_errors_are_said_in_the_specs_words(text: str, where: str, words: str):
    [message] = problems(text)
    assert message.startswith(f"s.yaml:{where}: "), message
    assert words in message, message
    for library_text in ("while parsing", "while scanning", "did not find expected", "block end"):
        assert library_text not in message


def test_multiple_documents_are_rejected():
    assert problems("a: 1\n---\nb: 2\n") == [
        "s.yaml:2:1: only one YAML document per spec file: remove the '---' and what follows, "
        "or split it into another file"]


def test_tags_are_rejected():
    [message] = problems("a: !secret x\n")
    assert message.startswith("s.yaml:1:4: YAML tag !secret is not supported")


def test_top_level_must_be_a_mapping():
    assert problems("- 1\n- 2\n") == ["s.yaml:1:1: spec must be a mapping at the top level"]
    assert problems("") == ["s.yaml:1:1: spec is empty"]


def test_files_over_five_mebibytes_are_rejected_before_parsing(tmp_path: Path):
    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * MAX_SPEC_BYTES + "\n")
    with pytest.raises(SpecError) as info:
        load_document(big)
    assert "limit is 5 MiB" in str(info.value)


def test_timestamps_become_iso_strings_keeping_the_timezone():
    doc = parse_document(Path("s.yaml"), "t: 2026-01-02T03:04:05Z\n")
    assert doc.data["t"].startswith("2026-01-02T03:04:05")
    assert doc.data["t"].endswith(("+00:00", "Z"))
