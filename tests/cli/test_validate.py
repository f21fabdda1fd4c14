"""Bad input: exit 1, one `file:line:col: path: message` line per problem, no traceback, no cloud
call, state untouched."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.cli import run_cli

GOOD = """\
version: 1
name: demo
variables:
  env:
    default: dev
providers:
  aws:
    region: us-east-1
resources:
  bucket:
    type: aws.s3_bucket
    properties:
      name: models-${var.env}
      versioning: true
  model:
    type: aws.s3_object
    properties:
      bucket: ${bucket.name}
      key: model.bin
      source: ./model.bin
"""

DEAD_ENDPOINT = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}


def check(tmp_path: Path, text: str, *commands: str) -> list[str]:
    """The problem lines (without the file name) every one of ``commands`` prints for the spec;
    each command must print the same ones."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    (tmp_path / "model.bin").write_bytes(b"weights")
    seen: list[list[str]] = []
    for command in commands or ("validate",):
        result = run_cli(command, spec, env=DEAD_ENDPOINT, cwd=tmp_path)
        assert result.code == 1, result.output
        assert "Traceback" not in result.output
        assert "Internal error" not in result.output
        assert not (tmp_path / ".modelinfra").exists(), "no state may be written for an invalid spec"
        seen.append([line.removeprefix(str(spec) + ":") for line in result.stderr.splitlines()
                     if line.startswith(str(spec))])
    assert all(lines == seen[0] for lines in seen), seen
    return seen[0]


def test_a_good_spec_is_valid(tmp_path: Path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(GOOD)
    (tmp_path / "model.bin").write_bytes(b"weights")
    result = run_cli("validate", spec)
    assert result.code == 0, result.output


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("      versioning: true\n", "      versioning: true\n      colour: red\n"),
         "15:7: resources.bucket.properties.colour: unknown field"),
        (("versioning: true", "versioning: [1]"), "14:7: resources.bucket.properties.versioning: must be true or false"),
        (("versioning: true", "versioning: 1"), "14:7: resources.bucket.properties.versioning: must be true or false (got 1)"),
        (("versioning: true", "versoning: true"),
         "14:7: resources.bucket.properties.versoning: unknown field (did you mean versioning?)"),
        (("name: models-${var.env}", "name: Models_${var.env}"), "13:7: resources.bucket.properties.name:"),
        (("${bucket.name}", "${bucket.nam}"), "18:7: resources.model.properties.bucket: ${bucket.nam}: aws.s3_bucket has no attribute 'nam'"),
        (("${bucket.name}", "${buckt.name}"), "18:7: resources.model.properties.bucket: ${buckt.name}: no resource 'buckt' in this spec (did you mean bucket?)"),
        (("${bucket.name}", "${bucket.nme}"), "18:7: resources.model.properties.bucket: ${bucket.nme}: aws.s3_bucket has no attribute 'nme' (did you mean name?)"),
        (("models-${var.env}", "models-${var.evn}"), "13:7: resources.bucket.properties.name: ${var.evn}: no variable 'evn' is declared (did you mean env?)"),
        (("type: aws.s3_object", "type: aws.s3_objekt"), "16:5: resources.model.type: unknown resource type 'aws.s3_objekt' (did you mean aws.s3_object?)"),
        (("source: ./model.bin", "source: ./missing.bin"), "20:7: resources.model.properties.source: source file ./missing.bin does not exist"),
        (("      key: model.bin\n", ""), "17:5: resources.model.properties.key: required field is missing; add `key: ...`"),
        (("models-${var.env}", "models-${env.MODELINFRA_SURELY_UNSET}"), "13:7: resources.bucket.properties.name: ${env.MODELINFRA_SURELY_UNSET}: environment variable MODELINFRA_SURELY_UNSET is not set"),
        (("name: demo", "name: Demo!"), "2:1: name: invalid value"),
        (("type: aws.s3_object", "type: aws.s3_thing"), "16:5: resources.model.type: unknown resource type 'aws.s3_thing'"),
        (("version: 1", "version: 2"), "1:1: version: must be one of: 1"),
    ],
)
def test_each_problem_is_one_positioned_line(tmp_path: Path, edit: tuple[str, str], expected: str):
    lines = check(tmp_path, GOOD.replace(*edit), "validate", "plan")
    assert any(line.startswith(expected) for line in lines), lines


def test_duplicate_addresses_are_rejected(tmp_path: Path):
    text = GOOD + "  bucket:\n    type: aws.s3_bucket\n    properties: {name: other-bucket}\n"
    [line] = check(tmp_path, text)
    assert line == "21:3: duplicate key 'bucket' (first at line 10): remove one of them"


def test_anchors_are_rejected(tmp_path: Path):
    text = GOOD.replace("      versioning: true\n", "      versioning: &v true\n      force_destroy: *v\n")
    lines = check(tmp_path, text)
    assert [line.partition(":  ")[0].split(": YAML")[0] for line in lines] == ["14:19", "15:22"], lines
    assert all("YAML anchors and aliases are not allowed" in line for line in lines)


def test_duplicate_keys_and_anchors_hide_no_other_problem(tmp_path: Path):
    text = (GOOD.replace("      versioning: true\n", "      versioning: &v true\n      versoning: true\n")
            + "  bucket:\n    type: aws.s3_bucket\n    properties: {name: other-bucket}\n")
    lines = check(tmp_path, text)
    assert any("duplicate key 'bucket'" in line for line in lines), lines
    assert any("YAML anchors and aliases are not allowed" in line for line in lines), lines
    assert any("resources.bucket.properties.versoning" in line for line in lines), lines


def test_a_dependency_cycle_is_named(tmp_path: Path):
    text = GOOD.replace("      versioning: true\n", "      versioning: true\n    depends_on: [model]\n")
    lines = check(tmp_path, text)
    assert any("dependency cycle: bucket -> model -> bucket" in line for line in lines), lines


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path):
    text = GOOD.replace("versioning: true", "versioning: maybe").replace("key: model.bin", "key: model.bin\n      kee: 1")
    lines = check(tmp_path, text)
    assert len(lines) == 2, lines


def test_oversized_spec_is_rejected(tmp_path: Path):
    text = GOOD + "#" + "x" * (5 * 1024 * 1024) + "\n"
    [line] = check(tmp_path, text)
    assert "limit is 5 MiB" in line


def test_validate_and_help_import_no_cloud_sdk(tmp_path: Path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(GOOD)
    (tmp_path / "model.bin").write_bytes(b"weights")
    probe = (
        "import sys\n"
        "from modelinfra.cli.main import main\n"
        f"code = main(['validate', {str(spec)!r}])\n"
        "main(['--help'])\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'azure'))\n"
        "print('LOADED', loaded, code)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert "LOADED [] 0" in out, out


def test_broken_references_and_names_hide_no_other_problem(tmp_path: Path):
    text = (GOOD.replace("name: demo", "name: Bad Name")
            .replace("name: models-${var.env}", "name: models-${var.nope}\n      versoning: true")
            .replace("${bucket.name}", "${buckt.name}")
            .replace("source: ./model.bin", "source: ./model.bin\n      colour: red"))
    lines = check(tmp_path, text)
    paths = [line.split(": ")[1] for line in lines]
    assert paths == ["name", "resources.bucket.properties.name", "resources.bucket.properties.versoning",
                     "resources.model.properties.bucket", "resources.model.properties.colour"], lines


def test_no_color_is_accepted_after_the_subcommand(tmp_path: Path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(GOOD)
    (tmp_path / "model.bin").write_bytes(b"weights")
    result = run_cli("validate", spec, "--no-color")
    assert result.code == 0 and "\x1b[" not in result.output
