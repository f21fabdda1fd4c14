"""compile_spec: variables, references and evaluation semantics beyond the CLI error tests."""

from pathlib import Path

import pytest

from modelinfra.errors import SpecError
from modelinfra.spec.compile import compile_spec
from modelinfra.spec.evaluator import Evaluator
from modelinfra.values import UNKNOWN

SPEC = """\
version: 1
name: unit
variables:
  env: {default: dev}
  replicas: {default: 2}
  restore_at: {default: null}
providers:
  aws: {region: us-east-1}
resources:
  bucket:
    type: aws.s3_bucket
    properties:
      name: models-${var.env}
  model:
    type: aws.s3_object
    properties:
      bucket: ${bucket.name}
      key: k/${var.replicas}
      source: ./m.bin
      restore_at: ${var.restore_at}
outputs:
  arn: {value: "${bucket.arn}"}
"""


def compile_text(tmp_path: Path, text: str = SPEC, **kwargs):
    path = tmp_path / "s.yaml"
    path.write_text(text)
    (tmp_path / "m.bin").write_bytes(b"weights")
    return compile_spec(path, **kwargs)


def test_variables_take_defaults_cli_values_and_environment(tmp_path: Path):
    spec = compile_text(tmp_path, cli_vars={"replicas": "3"}, environ={"MODELINFRA_VAR_env": "prod"})
    assert spec.variables == {"env": "prod", "replicas": 3, "restore_at": None}


def test_a_null_property_is_left_out_as_if_unset(tmp_path: Path):
    spec = compile_text(tmp_path, environ={})
    props = Evaluator(spec).properties("model")
    assert "restore_at" not in props and props["bucket"] == "models-dev" and props["key"] == "k/2"


def test_computed_attributes_are_unknown_until_known(tmp_path: Path):
    spec = compile_text(tmp_path, environ={})
    assert Evaluator(spec).evaluate("${bucket.arn}") is UNKNOWN
    known = Evaluator(spec, known={"bucket": {"arn": "arn:aws:s3:::models-dev"}})
    assert known.evaluate("${bucket.arn}") == "arn:aws:s3:::models-dev"
    pending = Evaluator(spec, known={"bucket": {"arn": "old"}}, pending={"bucket"})
    assert pending.evaluate("${bucket.arn}") is UNKNOWN


def test_unset_variable_without_default_is_an_error(tmp_path: Path):
    with pytest.raises(SpecError, match="variable size has no value"):
        compile_text(tmp_path, SPEC.replace("  env: {default: dev}", "  env: {default: dev}\n  size: {}"), environ={})


def test_undeclared_cli_variable_is_an_error(tmp_path: Path):
    with pytest.raises(SpecError, match="--var nope: no such variable"):
        compile_text(tmp_path, cli_vars={"nope": "1"}, environ={})


def test_digest_changes_with_variables(tmp_path: Path):
    a = compile_text(tmp_path, environ={}).digest
    b = compile_text(tmp_path, cli_vars={"env": "prod"}, environ={}).digest
    assert a != b and a == compile_text(tmp_path, environ={}).digest


def test_rules_spanning_resources_are_checked_at_validate(tmp_path: Path):
    text = """\
version: 1
name: sbq
providers:
  azure: {subscription_id: 00000000-0000-0000-0000-000000000000}
resources:
  ns:
    type: azure.servicebus_namespace
    properties: {name: retrain-ns-1, resource_group: rg1, location: westus, sku: Basic}
  q:
    type: azure.servicebus_queue
    properties:
      name: jobs
      namespace: ${ns.name}
      resource_group: rg1
      requires_duplicate_detection: true
"""
    with pytest.raises(SpecError) as info:
        compile_text(tmp_path, text, environ={})
    [problem] = info.value.problems
    assert (problem.line, problem.col, problem.path) == (15, 7, "resources.q.properties.requires_duplicate_detection")
    assert "Standard or Premium" in problem.message
    compile_text(tmp_path, text.replace("sku: Basic", "sku: Standard"), environ={})
