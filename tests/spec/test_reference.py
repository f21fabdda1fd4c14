from pathlib import Path

from modelinfra.spec.reference import render_reference, update_readme

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_resource_reference_is_fresh():
    text = README.read_text()
    assert update_readme(text) == text, "the README's resource reference is stale: run `make docs`"


def test_reference_lists_every_type_with_its_required_properties():
    reference = render_reference()
    assert "#### `aws.s3_bucket`" in reference and "| `name` | `str` | **required** | forces replacement |" in reference
    assert "`primary_connection_string` (sensitive)" in reference


def test_dotted_literals_are_shown_as_the_schema_spells_them():
    reference = render_reference()
    assert "| `min_tls_version` | `Literal['1.0', '1.1', '1.2']` | `'1.2'` |" in reference
    assert "Literal['0', '1', '2']" not in reference
