from pathlib import Path

from modelinfra.spec.reference import render_reference, update_readme

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_resource_reference_is_fresh():
    text = README.read_text()
    assert update_readme(text) == text, "the README's resource reference is stale: run `make docs`"


def test_reference_lists_every_type_with_its_required_properties():
    reference = render_reference()
    assert "#### `aws.s3_bucket`" in reference and (
        "| `name` | `str` | **required** | Bucket name (globally unique; forces replacement). |" in reference)
    assert "| `location` | `str` | **required** | Azure region, e.g. westus or eastus2. Changing it replaces the resource. |" \
        in reference
    assert "``" not in reference, "RST double backticks are written as Markdown code"
    assert "`primary_connection_string` (sensitive)" in reference


def test_dotted_literals_are_shown_as_the_schema_spells_them():
    reference = render_reference()
    assert "| `min_tls_version` | `'1.0' \\| '1.1' \\| '1.2'` | `'1.2'` |" in reference
    assert "'0' \\| '1' \\| '2'" not in reference


def test_nested_types_are_defined_and_every_type_says_its_cloud_id_form():
    reference = render_reference()
    for nested in ("`LifecycleRule` (in `aws.s3_bucket`)", "`PublicAccessBlock` (in `aws.s3_bucket`)",
                   "`BackupRule` (in `aws.backup_plan`)"):
        assert nested in reference
    assert "| `algorithm` | `'AES256' \\| 'aws:kms'` |" in reference
    assert "object (see the model)" not in reference, "every property's type is spelt out"
    assert reference.count("Import: `modelinfra import SPEC ADDR CLOUD_ID`") == reference.count("#### `")
    assert "<function" not in reference


def test_nested_model_defaults_point_at_their_type_and_enums_are_spelt_out():
    reference = render_reference()
    assert "| `public_access_block` | `PublicAccessBlock` | see `PublicAccessBlock` |" in reference
    assert "| `public_access` | `'none' \\| 'blob' \\| 'container'` | `'none'` |" in reference
    assert "(see model)" not in reference
