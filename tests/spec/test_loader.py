from pathlib import Path

import pytest

from modelinfra.errors import SpecError
from modelinfra.spec.loader import MAX_SPEC_BYTES, load_document, parse_document


def problems(text: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        parse_document(Path("s.yaml"), text)
    return [str(p) for p in info.value.problems]


def test_positions_are_one_based_for_keys_and_items():
    doc = parse_document(Path("s.yaml"), "a: 1\nb:\n  c:\n    - x: 1\n")
    assert doc.positions[("a",)] == (1, 1)
    assert doc.positions[("b", "c")] == (3, 3)
    assert doc.positions[("b", "c", 0)] == (4, 7)
    assert doc.position(("b", "c", 0, "missing")) == (4, 7)


def test_anchors_and_aliases_are_rejected_with_their_position():
    assert problems("a: &x 1\nb: *x\n") == [
        "s.yaml:1:4: YAML anchors and aliases are not allowed",
        "s.yaml:2:4: YAML anchors and aliases are not allowed",
    ]


def test_duplicate_keys_are_rejected_at_the_duplicate():
    [message] = problems("a: 1\na: 2\n")
    assert message.startswith("s.yaml:2:1: invalid YAML") and "duplicate key" in message


def test_syntax_error_reports_line_and_column():
    [message] = problems("a: [1, 2\nb: 3\n")
    assert message.startswith("s.yaml:") and "invalid YAML" in message


def test_multiple_documents_are_rejected():
    assert problems("a: 1\n---\nb: 2\n") == ["s.yaml:2:1: only one YAML document per spec file"]


def test_top_level_must_be_a_mapping():
    assert problems("- 1\n- 2\n") == ["s.yaml:1:1: spec must be a mapping at the top level"]


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
