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
