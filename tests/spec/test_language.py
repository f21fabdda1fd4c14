"""validate (offline, the registry's types) for the language of issue 15: for_each, functions,
instance references, modules and the state blocks; and the JSON Schema accepts it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from modelinfra.errors import SpecError
from modelinfra.spec.compile import compile_spec
from modelinfra.spec.expressions import ExpressionError, evaluate, find_references, parse_expression
from modelinfra.spec.schema import spec_schema
from modelinfra.values import UNKNOWN
from tests.e2e.cli import run_cli

SPEC = """\
version: 1
name: lang
variables:
  models: {default: [ranker, scorer]}
providers:
  aws: {region: us-east-1}
resources:
  bucket:
    type: aws.s3_bucket
    properties: {name: ml-artifacts, versioning: true}
  model:
    type: aws.s3_object
    for_each: ${var.models}
    properties:
      bucket: ${bucket.name}
      key: models/${each.key}.bin
      source: ./models/${each.value}.bin
  index:
    type: aws.s3_bucket
    properties:
      name: ml-index
      tags: {ranker: '${model["ranker"].version_id}'}
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "models").mkdir(exist_ok=True)
    for name in ("ranker", "scorer"):
        (tmp_path / "models" / f"{name}.bin").write_bytes(b"x")
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        compile_spec(write(tmp_path, text), environ={})
    return [f"{p.line}:{p.col}: {p.path}: {p.message}" for p in caught.value.problems]


def test_the_example_compiles_into_instances_with_their_dependencies(tmp_path: Path):
    spec = compile_spec(write(tmp_path, SPEC), environ={})
    assert sorted(spec.resources) == ["bucket", "index", 'model["ranker"]', 'model["scorer"]']
    assert spec.resources["index"].dependencies == {'model["ranker"]'}
    assert spec.resources['model["scorer"]'].each == ("scorer", "scorer")


@pytest.mark.parametrize(("edit", "expected"), [
    (("${var.models}", "${bucket.arn}"),
     "13:5: resources.model.for_each: for_each must be known before apply: build it from variables, literals "
     "and files(), not from resource attributes or data sources"),
    (("${var.models}", "[a, 1]"),
     "13:5: resources.model.for_each: for_each list items must be strings (got 1); use a map for other values"),
    (("${var.models}", "${upper(var.models)}"),
     "13:5: resources.model.for_each: upper(): the argument must be a string (got [\"ranker\", \"scorer\"])"),
    (("key: models/${each.key}.bin", "key: models/${each.name}.bin"),
     "16:7: resources.model.properties.key: invalid expression ${each.name}: expected ${each.key} or ${each.value}"),
    (("name: ml-index", "name: ml-${each.key}"),
     "21:7: resources.index.properties.name: ${each.key}: each.key and each.value exist only in a resource with "
     "for_each"),
    (("${model[\"ranker\"].version_id}", "${model.version_id}"),
     "22:14: resources.index.properties.tags.ranker: ${model.version_id}: model has for_each: name one instance, "
     "e.g. ${model[\"ranker\"].version_id}"),
    (("${model[\"ranker\"].version_id}", "${model[\"rankr\"].version_id}"),
     "22:14: resources.index.properties.tags.ranker: ${model[\"rankr\"].version_id}: model has no instance "
     "'rankr' (did you mean ranker?) (keys: ranker, scorer)"),
    (("${model[\"ranker\"].version_id}", "${bucket[\"x\"].arn}"),
     "22:14: resources.index.properties.tags.ranker: ${bucket[\"x\"].arn}: bucket has no for_each, so it has no "
     "instance ['x']"),
    (("${model[\"ranker\"].version_id}", "${shout(bucket.arn)}"),
     "22:14: resources.index.properties.tags.ranker: invalid expression ${shout(bucket.arn)}: unknown function "
     "shout() (functions: basename, files, format, join, lower, replace, upper)"),
])
def test_language_problems_are_reported_at_their_line(tmp_path: Path, edit, expected):
    assert problems(tmp_path, SPEC.replace(*edit)) == [expected]


def test_an_invalid_value_in_one_instance_is_reported_once_at_the_declaration(tmp_path: Path):
    found = problems(tmp_path, SPEC.replace("key: models/${each.key}.bin", "key: 7"))
    assert found == ["16:7: resources.model.properties.key: must be a string (quote it if it looks like a number "
                     "or a boolean) (got 7)"]


def test_a_missing_source_names_the_instance(tmp_path: Path):
    text = SPEC.replace("default: [ranker, scorer]", "default: [ranker, nope]").replace(
        "${model[\"ranker\"]", "${model[\"ranker\"]")
    (found,) = problems(tmp_path, text)
    assert found.startswith('17:7: resources.model.properties.source: model["nope"]: source file ./models/nope.bin '
                            "does not exist")


def test_the_json_schema_accepts_the_whole_language(tmp_path: Path):
    document = {
        "version": 1, "name": "lang",
        "data": {"shared": {"type": "aws.s3_bucket", "properties": {"name": "x"}}},
        "resources": {"model": {"type": "aws.s3_object", "for_each": "${var.models}",
                                "properties": {"bucket": "${data.shared.name}", "key": "${each.key}"}}},
        "modules": {"features": {"source": "./modules/store", "inputs": {"name": "f"}}},
        "moved": [{"from": "a", "to": "b"}], "removed": [{"from": "c"}],
        "import": [{"to": 'model["x"]', "id": "x/y"}],
    }
    validator = Draft202012Validator(spec_schema())
    assert [e.message for e in validator.iter_errors(document)] == []
    document["moved"] = [{"from": "a"}]
    assert [e.message for e in validator.iter_errors(document)] == ["'to' is a required property"]


def test_validate_reports_a_module_problem_in_the_module_file_through_the_cli(tmp_path: Path):
    module = tmp_path / "modules" / "store"
    module.mkdir(parents=True)
    (module / "module.yaml").write_text("variables:\n  name: {}\nresources:\n  bucket:\n    type: aws.s3_bucket\n"
                                        "    properties: {name: '${var.name}', versoning: true}\n")
    spec = write(tmp_path, SPEC + "modules:\n  store: {source: ./modules/store, inputs: {name: ml-store}}\n")
    result = run_cli("validate", spec)
    assert result.code == 1 and "Traceback" not in result.output
    assert f"{Path('modules/store/module.yaml')}:6:39: resources.bucket.properties.versoning: unknown field " \
           "(did you mean versioning?)" in result.output.replace(str(tmp_path) + "/", "")


def test_expressions_parse_calls_literals_and_instance_keys():
    node = parse_expression('format("%s-%d", lower(var.env), 3)')
    assert node.name == "format" and len(node.args) == 3
    refs = [r for _, r in find_references('${join(",", [1])}')]
    assert isinstance(refs[0], ExpressionError)
    (ref,) = [r for _, r in find_references('${model["a \\"b"].url}')]
    assert (ref.name, ref.key, ref.attr) == ('model["a \\"b"]', 'a "b', ("url",))

    def lookup(ref):
        return {"var.env": "Dev", "var.list": ["a", "b"], "x.id": UNKNOWN}[ref.text]

    assert evaluate('${format("%s-%d", lower(var.env), 3)}', lookup) == "dev-3"
    assert evaluate('n-${join("+", var.list)}', lookup) == "n-a+b"
    assert evaluate('${upper(x.id)}', lookup) is UNKNOWN
    assert evaluate('${replace("a.b.c", ".", "/")}', lookup) == "a/b/c"
    assert evaluate('${basename("models/a.onnx", ".onnx")}', lookup) == "a"


def test_files_is_sorted_and_stays_inside_the_directory(tmp_path: Path):
    (tmp_path / "m" / "sub").mkdir(parents=True)
    for name in ("b.onnx", "a.onnx", "sub/c.onnx"):
        (tmp_path / "m" / name).write_text("x")
    assert evaluate('${files("m/**/*.onnx")}', lambda r: None, tmp_path) == ["m/a.onnx", "m/b.onnx", "m/sub/c.onnx"]
    with pytest.raises(ExpressionError, match="inside the spec's directory"):
        evaluate('${files("../*")}', lambda r: None, tmp_path)


def test_plan_schema_and_spec_schema_files_are_valid_json_schemas():
    root = Path(__file__).resolve().parents[2] / "schemas"
    for name in ("plan.schema.json", "modelinfra.schema.json"):
        Draft202012Validator.check_schema(json.loads((root / name).read_text()))


def test_a_function_given_a_value_it_cannot_take_is_reported_at_the_property(tmp_path: Path):
    found = problems(tmp_path, SPEC.replace("name: ml-index", "name: '${lower(var.models)}'"))
    assert found == ['21:7: resources.index.properties.name: lower(): the argument must be a string '
                     '(got ["ranker", "scorer"])']


def test_a_data_source_needs_its_cloud_s_provider_block(tmp_path: Path):
    text = ("version: 1\nname: d\ndata:\n  shared: {type: aws.s3_bucket, properties: {name: x}}\n")
    assert "1:1: providers: resources of type aws.* need a providers.aws block" in problems(tmp_path, text)


OBJECTS = """\
version: 1
name: lang
variables:
  models:
    default:
      ranker: {file: ranker, tier: hot}
      scorer: {file: scorer, tier: cold}
  cfg:
    default: {bucket: {name: ml-artifacts}, regions: [us-east-1]}
providers:
  aws: {region: us-east-1}
resources:
  bucket:
    type: aws.s3_bucket
    properties: {name: '${var.cfg.bucket.name}', tags: {region: '${var.cfg.regions[0]}'}}
  model:
    type: aws.s3_object
    for_each: ${var.models}
    properties:
      bucket: ${bucket.name}
      key: models/${each.key}-${each.value.tier}.bin
      source: ./models/${each.value["file"]}.bin
"""


def test_var_and_each_value_reach_into_objects(tmp_path: Path):
    from modelinfra.spec.evaluator import Evaluator

    spec = compile_spec(write(tmp_path, OBJECTS), environ={})
    evaluator = Evaluator(spec)
    assert evaluator.properties("bucket")["name"] == "ml-artifacts"
    assert evaluator.properties("bucket")["tags"] == {"region": "us-east-1"}
    assert evaluator.properties('model["scorer"]')["key"] == "models/scorer-cold.bin"
    assert evaluator.properties('model["ranker"]')["source"] == "./models/ranker.bin"


def test_a_missing_key_in_an_object_path_is_reported_at_the_property(tmp_path: Path):
    found = problems(tmp_path, OBJECTS.replace("each.value.tier", "each.value.tir").replace(
        "${var.cfg.bucket.name}", "${var.cfg.bucket.nam}"))
    assert "21:7: resources.model.properties.key: ${each.value.tir}: each.value has no key 'tir'" in found
    assert any(f.startswith("15:18: resources.bucket.properties.name: ") and "var.cfg has no key 'nam'" in f
               for f in found), found
    assert problems(tmp_path, OBJECTS.replace("${each.key}-", "${each.key.x}-")) == [
        "21:7: resources.model.properties.key: invalid expression ${each.key.x}: expected ${each.key} "
        "(each.key is text, it has no keys)"]


def test_files_matching_nothing_is_an_empty_for_each_with_a_positioned_warning(tmp_path: Path):
    spec = write(tmp_path, SPEC.replace("${var.models}", '${files("onnx/*.onnx")}').replace(
        '${model["ranker"].version_id}', "none"))
    result = run_cli("validate", spec)
    assert result.code == 0, result.output
    assert (f'Warning: {spec}:13:5: resources.model.for_each: ${{files("onnx/*.onnx")}} matched no file'
            in result.stderr), result.stderr
    assert "model has no instances" in result.stderr


def test_a_sensitive_variable_cannot_be_the_for_each_keys(tmp_path: Path):
    found = problems(tmp_path, SPEC.replace("models: {default: [ranker, scorer]}",
                                            "models: {default: [ranker, scorer], sensitive: true}"))
    assert found == ["13:5: resources.model.for_each: for_each uses the sensitive variable var.models: instance "
                     "keys appear in addresses, plans and state, so they cannot be sensitive (as in Terraform); "
                     "build the keys from a variable that is not sensitive"]


def test_a_sensitive_variable_reaching_a_module_s_for_each_through_its_input_is_refused(tmp_path: Path):
    store = tmp_path / "modules" / "store"
    store.mkdir(parents=True)
    (store / "module.yaml").write_text("""\
variables:
  keys: {description: object keys}
resources:
  obj:
    type: aws.s3_object
    for_each: ${var.keys}
    properties: {bucket: b, key: '${each.key}', source: ./x.bin}
""")
    (store / "x.bin").write_bytes(b"x")
    text = SPEC.replace("models: {default: [ranker, scorer]}", "models: {default: [ranker, scorer], sensitive: true}"
                        ).split("resources:")[0] + "modules:\n  m: {source: ./modules/store, inputs: {keys: '${var.models}'}}\n"
    with pytest.raises(SpecError) as caught:
        compile_spec(write(tmp_path, text), environ={})
    (problem,) = caught.value.problems
    assert problem.file.endswith("module.yaml") and problem.line == 6
    assert "for_each uses the sensitive variable var.models" in problem.message


def test_for_each_on_a_module_is_refused_with_what_to_do_instead(tmp_path: Path):
    store = tmp_path / "modules" / "store"
    store.mkdir(parents=True)
    (store / "module.yaml").write_text("variables:\n  name: {description: n}\nresources: {}\n")
    text = SPEC + "modules:\n  m: {source: ./modules/store, for_each: [a, b], inputs: {name: x}}\n"
    found = problems(tmp_path, text)
    assert found == ["24:32: modules.m.for_each: a module cannot take for_each (not supported yet): declare one "
                     "module block per copy (each is an independent copy), or put for_each on the module's "
                     "resources and pass the keys as an input"]
