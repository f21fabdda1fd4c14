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
