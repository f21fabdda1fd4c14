"""Commands a first hour reaches for, on a stack with no cloud resources (no emulator needed):
JSON outputs with ``format_version`` matching their schemas, ``output`` quoting and ``--raw``,
``show`` of the state and of a spec, a second apply, destroy of a stack never applied."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.e2e.cli import run_cli

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"

SPEC = """\
version: 1
name: offline
outputs:
  greeting: {value: hello}
  nested: {value: {a: [1, 2], b: x}}
"""


def schema(name: str) -> dict:
    return json.loads((SCHEMAS / f"{name}.schema.json").read_text())


@pytest.fixture
def applied(tmp_path: Path) -> Path:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    first = run_cli("apply", spec, "--auto-approve", cwd=tmp_path)
    assert first.code == 0, first.output
    return spec


def test_validate_json_has_a_format_version_and_matches_its_schema(tmp_path: Path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.replace("name: offline", "name: Bad!"))
    result = run_cli("validate", spec, "--json")
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, schema("validate"))
    assert doc["format_version"] == "1.0" and doc["valid"] is False and doc["problems"][0]["line"] == 2
    spec.write_text(SPEC)
    jsonschema.validate(json.loads(run_cli("validate", spec, "--json").stdout), schema("validate"))


def test_output_json_matches_its_schema_and_strings_are_quoted_unless_raw(applied: Path):
    doc = json.loads(run_cli("output", applied, "--json").stdout)
    jsonschema.validate(doc, schema("output"))
    assert doc["outputs"]["greeting"] == {"value": "hello", "sensitive": False}
    assert run_cli("output", applied, "greeting").stdout == '"hello"\n'
    assert run_cli("output", applied, "greeting", "--raw").stdout == "hello\n"
    listed = run_cli("output", applied).stdout
    assert 'greeting = "hello"\nnested   = {\n    a = [\n        1,\n' in listed
    not_raw = run_cli("output", applied, "nested", "--raw")
    assert not_raw.code == 1 and "use --json" in not_raw.stderr
    typo = run_cli("output", applied, "greting")
    assert typo.code == 1 and "(did you mean greeting?)" in typo.stderr


def test_artifacts_schema_is_a_valid_schema():
    jsonschema.Draft202012Validator.check_schema(schema("artifacts-versions"))
    jsonschema.validate({"format_version": "1.0", "address": "model", "versions": [
        {"version_id": "v1", "last_modified": "2026-01-31T12:00:00+00:00", "size": 3, "is_latest": True,
         "sha256": None}]}, schema("artifacts-versions"))


def test_a_second_apply_without_changes_still_prints_the_outputs(applied: Path):
    again = run_cli("apply", applied, "--auto-approve", cwd=applied.parent)
    assert again.code == 0
    assert "No changes." in again.stdout and 'greeting = "hello"' in again.stdout


def test_show_without_a_plan_file_shows_the_state_and_a_spec_is_not_a_plan(applied: Path):
    shown = run_cli("show", cwd=applied.parent)
    assert shown.code == 0 and 'greeting = "hello"' in shown.stdout
    spec = run_cli("show", applied)
    assert spec.code == 1 and "is a spec, not a plan file" in spec.stderr and "JSON" not in spec.stderr
    empty = run_cli("show", cwd=applied.parent / ".modelinfra")
    assert empty.code == 1 and "no state in ./.modelinfra" in empty.stderr


def test_destroy_of_a_stack_never_applied_writes_no_state(tmp_path: Path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    result = run_cli("destroy", spec, "--auto-approve", cwd=tmp_path)
    assert result.code == 0 and "Nothing to destroy" in result.stdout
    assert not (tmp_path / ".modelinfra").exists()


@pytest.mark.parametrize("command", [["check", "--output"], ["drift", "--output"], ["plan", "--out"]],
                         ids=lambda c: " ".join(c))
def test_an_unwritable_output_path_is_a_one_line_error(applied: Path, command: list[str]):
    blocker = applied.parent / "not-a-dir"
    blocker.write_text("a file where a directory should be\n")
    result = run_cli(command[0], applied, command[1], blocker / "report.out", cwd=applied.parent)
    assert result.code == 1, result.output
    assert "Internal error" not in result.output and "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [f"Error: cannot write {blocker / 'report.out'}: File exists ({blocker})"], result.stderr


def test_state_list_json_has_a_format_version_and_matches_its_schema(applied: Path):
    jsonschema.Draft202012Validator.check_schema(schema("state-list"))
    doc = json.loads(run_cli("state", "list", applied, "--json").stdout)
    jsonschema.validate(doc, schema("state-list"))
    assert doc["format_version"] == "1.0" and doc["stack"] == "offline" and doc["resources"] == []
    jsonschema.validate({**doc, "resources": [{"address": 'model["a"]', "type": "aws.s3_object",
                                               "id": "bucket/key", "status": "tainted"}]}, schema("state-list"))


def test_import_without_cloud_credentials_is_a_one_line_error(tmp_path: Path):
    spec = tmp_path / "spec.yaml"
    spec.write_text("version: 1\nname: legacy\nproviders:\n  aws: {region: us-east-1}\nresources:\n"
                    "  legacy:\n    type: aws.s3_bucket\n    properties: {name: legacy-models}\n")
    no_credentials = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "",
                      "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
                      "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_EC2_METADATA_DISABLED": "true",
                      "AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
                      "AWS_WEB_IDENTITY_TOKEN_FILE": ""}
    result = run_cli("import", spec, "legacy", "legacy-models", env=no_credentials, cwd=tmp_path)
    assert result.code == 1, result.output
    assert "Internal error" not in result.output and "Traceback" not in result.output
    assert result.stderr.startswith("Error: legacy: reading legacy-models to import it failed: "), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (tmp_path / ".modelinfra" / "legacy.state.json").exists()
    profile = run_cli("plan", spec, env={**no_credentials, "AWS_PROFILE": "nope"}, cwd=tmp_path)
    assert profile.code == 1 and "Internal error" not in profile.output, profile.output
    assert "Error: AWS profile 'nope' (from AWS_PROFILE) is not in the AWS config or credentials file" in profile.stderr


def test_show_and_state_push_of_a_file_that_is_not_json_say_so_in_words(applied: Path):
    junk = applied.parent / "junk.bin"
    junk.write_bytes(b"\xff\xfe not json")
    shown = run_cli("show", junk, cwd=applied.parent)
    assert shown.code == 1 and "Internal error" not in shown.output
    assert shown.stderr.strip() == (f"Error: {junk}: not a modelinfra plan file (not JSON); save one with "
                                    "`modelinfra plan SPEC --out FILE`"), shown.stderr
    pushed = run_cli("state", "push", applied, junk, cwd=applied.parent)
    assert pushed.code == 1 and "codec" not in pushed.output and "it is not UTF-8 text" in pushed.stderr
    junk.write_text("plain text, not JSON\n")
    text = run_cli("state", "push", applied, junk, cwd=applied.parent)
    assert text.code == 1 and "Expecting value" not in text.output, text.output
    assert text.stderr.strip() == (f"Error: {junk} is not a state JSON document: it is not JSON (line 1, column 1); "
                                   "`modelinfra state pull SPEC > FILE` writes one"), text.stderr
