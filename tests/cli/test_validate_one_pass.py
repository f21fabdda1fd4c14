"""validate reports every problem in one pass, each once, in the spec's words."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_validate import GOOD, check
from tests.e2e.cli import run_cli

CYCLE = """\
version: 1
name: demo
providers:
  aws: {region: us-east-1}
resources:
  a:
    type: aws.s3_bucket
    properties:
      name: ${b.name}
      versioning: maybe
      colour: red
  b:
    type: aws.s3_bucket
    properties:
      name: ${a.name}
      tags: ${a.tags}
"""


def test_a_cycle_hides_no_property_problem(tmp_path: Path):
    lines = check(tmp_path, CYCLE)
    assert any("dependency cycle: a -> b -> a" in line for line in lines), lines
    assert any(line.startswith("10:7: resources.a.properties.versioning: must be true or false") for line in lines)
    assert any(line.startswith("11:7: resources.a.properties.colour: unknown field") for line in lines), lines
    assert len(lines) == 3, lines


def test_one_bad_variable_is_one_line_naming_it_and_its_origin(tmp_path: Path):
    text = GOOD.replace("  env:\n    default: dev\n", "  env:\n    default: dev\n  ver:\n    default: true\n")
    text = text.replace("versioning: true", "versioning: ${var.ver}").replace(
        "  model:\n", "  logs:\n    type: aws.s3_bucket\n    properties:\n      name: logs\n"
                      "      versioning: ${var.ver}\n  model:\n")
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    (tmp_path / "model.bin").write_bytes(b"weights")
    result = run_cli("validate", spec, "--var", "ver=maybe")
    assert result.code == 1
    problems = [line for line in result.stderr.splitlines() if line.startswith(str(spec))]
    assert len(problems) == 1, problems
    assert "variable ver = 'maybe' (from --var): must be true or false" in problems[0]
    result = run_cli("validate", spec, env={"MODELINFRA_VAR_ver": "maybe"})
    assert "(from MODELINFRA_VAR_ver)" in result.stderr, result.stderr


def test_an_unknown_environment_variable_is_a_warning(tmp_path: Path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(GOOD)
    (tmp_path / "model.bin").write_bytes(b"weights")
    result = run_cli("validate", spec, env={"MODELINFRA_VAR_evn": "prod"})
    assert result.code == 0, result.output
    assert "Warning: MODELINFRA_VAR_evn is set but" in result.stderr
    assert "(did you mean env?)" in result.stderr


def test_a_time_that_is_not_rfc3339_says_so(tmp_path: Path):
    text = GOOD.replace("source: ./model.bin", "source: ./model.bin\n      restore_at: yesterday")
    lines = check(tmp_path, text)
    assert any("restore_at: not an RFC 3339 time (e.g. 2026-01-31T12:00:00Z)" in line for line in lines), lines


def test_a_bad_enum_lists_the_allowed_values(tmp_path: Path):
    text = GOOD.replace("versioning: true", "versioning: true\n      encryption: {algorithm: AES257}\n"
                        "      public_access_block: {block_public_acl: true}")
    lines = check(tmp_path, text)
    assert not any("should" in line or "Input" in line for line in lines), lines
    assert any("encryption.algorithm: must be one of: AES256, aws:kms (got 'AES257') (did you mean AES256?)"
               in line for line in lines), lines
    assert any("public_access_block.block_public_acl: unknown field (did you mean block_public_acls?)" in line
               for line in lines), lines


def test_var_files_sit_between_the_environment_and_var(tmp_path: Path):
    text = GOOD.replace("  env:\n    default: dev\n", "  env:\n    default: dev\n  ver:\n    default: true\n")
    spec = tmp_path / "spec.yaml"
    spec.write_text(text.replace("versioning: true", "versioning: ${var.ver}"))
    (tmp_path / "model.bin").write_bytes(b"weights")
    bad, good = tmp_path / "bad.yaml", tmp_path / "good.yaml"
    bad.write_text("ver: maybe\n")
    good.write_text("ver: false\nenv: prod\n")
    result = run_cli("validate", spec, "--var-file", bad)
    assert result.code == 1 and f"(from --var-file {bad})" in result.stderr, result.stderr
    assert run_cli("validate", spec, "--var-file", bad, "--var", "ver=true").code == 0
    assert run_cli("validate", spec, "--var-file", bad, "--var-file", good).code == 0
    assert run_cli("validate", spec, "--var-file", good, env={"MODELINFRA_VAR_ver": "maybe"}).code == 0
    (tmp_path / "list.yaml").write_text("- a\n")
    listed = run_cli("validate", spec, "--var-file", tmp_path / "list.yaml")
    assert listed.code == 1 and "must be a mapping of variable names" in listed.stderr
    assert "Traceback" not in listed.output and "Internal error" not in listed.output


def test_log_level_shows_records_of_the_modelinfra_loggers(tmp_path: Path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(GOOD)
    (tmp_path / "model.bin").write_bytes(b"weights")
    env = {"MODELINFRA_VAR_evn": "prod"}
    default = run_cli("validate", spec, env=env)
    assert "Warning: MODELINFRA_VAR_evn is set but" in default.stderr
    verbose = run_cli("validate", spec, "--log-level", "debug", env=env)
    assert "WARNING modelinfra.spec: MODELINFRA_VAR_evn is set but" in verbose.stderr, verbose.stderr
    from_env = run_cli("validate", spec, env={**env, "MODELINFRA_LOG": "info"})
    assert "WARNING modelinfra.spec:" in from_env.stderr
    quiet = run_cli("validate", spec, "--log-level", "error", env=env)
    assert "MODELINFRA_VAR_evn" not in quiet.stderr
    bad = run_cli("validate", spec, "--log-level", "loud")
    assert bad.code == 1 and "loud" in bad.stderr and "Traceback" not in bad.output


DECLARATION_ERRORS = """\
version: 1
name: demo
variables:
  n: {type: number, default: 3}
providers:
  aws: {region: us-east-1}
resources:
  a:
    type: aws.s3_bucket
    bogus: 1
    properties:
      name: ${b.name}
      versioning: maybe
      colour: red
  b:
    type: aws.s3_bucket
    depends_on: 7
    properties:
      name: ${a.name}
      name: other
"""


def test_a_bad_declaration_field_hides_no_other_problem(tmp_path: Path):
    lines = check(tmp_path, DECLARATION_ERRORS)
    expected = ["4:7: variables.n.type: unknown field", "8:3: resources.a: dependency cycle: a -> b -> a",
                "10:5: resources.a.bogus: unknown field",
                "13:7: resources.a.properties.versioning: must be true or false",
                "14:7: resources.a.properties.colour: unknown field", "17:5: resources.b.depends_on: must be a list",
                "20:7: duplicate key 'name' (first at line 19)"]
    assert len(lines) == len(expected), lines
    for line, start in zip(lines, expected, strict=True):
        assert line.startswith(start), (line, start)


def test_an_unclosed_expression_and_a_wrong_argument_count_are_positioned_and_clear(tmp_path: Path):
    text = GOOD.replace("versioning: true", 'versioning: true\n      tags:\n        a: "${var.env"\n'
                        '        b: "x-${var.env}-${lower(var.env"\n        c: "${upper(var.env, var.env)}"\n'
                        '        d: "${join(\\"-\\")}"\n        e: "$${literal"')
    lines = check(tmp_path, text)
    assert lines == [
        "16:9: resources.bucket.properties.tags.a: unclosed expression '${var.env' (at character 1 of the string): "
        "add the closing '}', or write $${ for a literal ${",
        "17:9: resources.bucket.properties.tags.b: unclosed expression '${lower(var.env' (at character 14 of the "
        "string): add the closing '}', or write $${ for a literal ${",
        "18:9: resources.bucket.properties.tags.c: upper() takes 1 argument, got 2: upper(s)",
        "19:9: resources.bucket.properties.tags.d: join() takes 2 arguments, got 1: join(sep, list)",
    ], lines
