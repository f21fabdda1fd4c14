"""The committed JSON Schema is generated from the models, and every example validates against it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from modelinfra.spec.loader import load_document
from modelinfra.spec.schema import spec_schema

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "schemas" / "modelinfra.schema.json"
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


def test_committed_schema_is_fresh():
    committed = json.loads(SCHEMA_FILE.read_text())
    assert committed == spec_schema(), "schemas/modelinfra.schema.json is stale: run `make schema`"


def test_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(spec_schema())


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_example_validates_against_the_schema_and_carries_the_modeline(example: Path):
    text = example.read_text()
    assert text.startswith("# yaml-language-server: $schema=../schemas/modelinfra.schema.json"), example
    jsonschema.Draft202012Validator(spec_schema()).validate(load_document(example).data)


def test_schema_rejects_unknown_fields_and_types():
    validator = jsonschema.Draft202012Validator(spec_schema())
    good = {"version": 1, "name": "x", "resources": {"b": {"type": "aws.s3_bucket", "properties": {"name": "abc"}}}}
    assert not list(validator.iter_errors(good))
    bad_field = json.loads(json.dumps(good))
    bad_field["resources"]["b"]["properties"]["colour"] = "red"
    assert list(validator.iter_errors(bad_field))
    bad_type = json.loads(json.dumps(good))
    bad_type["resources"]["b"]["type"] = "aws.s3_thing"
    assert list(validator.iter_errors(bad_type))
    expression = json.loads(json.dumps(good))
    expression["resources"]["b"]["properties"]["versioning"] = "${var.flag}"
    assert not list(validator.iter_errors(expression))


def _properties_without_description(node: object, path: str = "#") -> list[str]:
    """Every property schema under ``node`` (through $defs, properties, items, anyOf/allOf/oneOf,
    additionalProperties and if/then branches' ``then``) that has no non-empty description."""
    if isinstance(node, list):
        return [m for i, item in enumerate(node) for m in _properties_without_description(item, f"{path}[{i}]")]
    if not isinstance(node, dict):
        return []
    missing = []
    for name, prop in node.get("properties", {}).items():
        if not (isinstance(prop, dict) and str(prop.get("description", "")).strip()):
            missing.append(f"{path}/properties/{name}")
        missing += _properties_without_description(prop, f"{path}/properties/{name}")
    for key in ("items", "additionalProperties", "then", "else", "anyOf", "allOf", "oneOf", "prefixItems"):
        if isinstance(node.get(key), dict | list):
            missing += _properties_without_description(node[key], f"{path}/{key}")
    for name, definition in node.get("$defs", {}).items():
        missing += _properties_without_description(definition, f"#/$defs/{name}")
    return missing


def test_every_property_of_the_committed_schema_has_a_description():
    schema = json.loads(SCHEMA_FILE.read_text())
    missing = _properties_without_description(schema)
    assert not missing, f"{len(missing)} properties without a description:\n" + "\n".join(missing)


def test_the_description_walk_finds_a_missing_description():
    schema = {"properties": {"a": {"description": "ok", "anyOf": [{"properties": {"b": {"type": "string"}}}]}},
              "$defs": {"X": {"properties": {"c": {"description": " "}}}}}
    assert _properties_without_description(schema) == ["#/properties/a/anyOf[0]/properties/b",
                                                        "#/$defs/X/properties/c"]


def test_descriptions_are_one_line_and_say_when_a_change_replaces_the_resource():
    props = spec_schema()["$defs"]["props_azure_storage_account"]["properties"]
    assert props["name"]["description"].endswith("Changing it replaces the resource.")
    assert "replaces" not in props["sku"]["description"]
    assert props["min_tls_version"]["anyOf"][0]["enum"] == ["TLS1_0", "TLS1_1", "TLS1_2", "TLS1_3"]
    text = SCHEMA_FILE.read_text()
    assert "``" not in text


def test_the_module_schema_is_committed_fresh_and_accepts_a_module_only():
    from tests.e2e.cli import run_cli

    result = run_cli("schema", "--module")
    assert result.code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed == json.loads((ROOT / "schemas" / "module.schema.json").read_text()), \
        "schemas/module.schema.json is stale: run `make schema`"
    jsonschema.Draft202012Validator.check_schema(printed)
    validator = jsonschema.Draft202012Validator(printed)
    module = {"variables": {"name": {"description": "bucket name"}},
              "resources": {"bucket": {"type": "aws.s3_bucket", "properties": {"name": "${var.name}"}}},
              "outputs": {"bucket_name": {"value": "${bucket.name}"}}}
    assert not list(validator.iter_errors(module))
    assert list(validator.iter_errors({**module, "version": 1}))  # a spec's header is not a module's
    assert list(validator.iter_errors({**module, "resources": {"b": {"type": "aws.nope", "properties": {}}}}))
