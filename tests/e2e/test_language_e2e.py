"""Issue 15 through the installed CLI against moto server: for_each, files(), two copies of a local
module, references to an instance, and moved / removed / import blocks; data sources separately."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from tests.e2e.cli import run_cli

pytestmark = pytest.mark.e2e

MODULE = """\
variables:
  name: {description: bucket name}
resources:
  bucket:
    type: aws.s3_bucket
    properties: {name: '${var.name}', force_destroy: true}
outputs:
  bucket_name: {value: '${bucket.name}'}
"""

SPEC = """\
version: 1
name: lang-e2e
variables:
  models: {{default: {models}}}
  suffix: {{default: {suffix}}}
providers:
  aws: {{region: us-east-1}}
resources:
  artifacts:
    type: aws.s3_bucket
    properties: {{name: 'art-${{var.suffix}}', versioning: true, force_destroy: true}}
  model:
    type: aws.s3_object
    for_each: ${{var.models}}
    properties:
      bucket: ${{artifacts.name}}
      key: models/${{each.key}}.bin
      source: ./models/${{each.value}}.bin
  extra:
    type: aws.s3_object
    for_each: ${{files("extras/*.txt")}}
    properties: {{bucket: '${{artifacts.name}}', key: '${{upper(basename(each.value, ".txt"))}}', source: '${{each.value}}'}}
  {index}:
    type: aws.s3_bucket
    properties:
      name: 'idx-${{var.suffix}}'
      force_destroy: true
      tags: {{ranker: '${{model["ranker"].version_id}}', features: '${{module.features.bucket_name}}'}}
{extra_resources}
modules:
  features: {{source: ./modules/store, inputs: {{name: 'feat-${{var.suffix}}'}}}}
  features_prod: {{source: ./modules/store, inputs: {{name: 'featp-${{var.suffix}}'}}}}
{blocks}
outputs:
  prod_features: {{value: '${{module.features_prod.bucket_name}}'}}
"""

LEGACY = """\
  legacy:
    type: aws.s3_bucket
    properties: {name: 'legacy-${var.suffix}'}
"""


def write(tmp_path: Path, suffix: str, models: str = "[ranker, scorer]", index: str = "index",
          extra_resources: str = "", blocks: str = "") -> Path:
    spec = tmp_path / "stack.yaml"
    spec.write_text(SPEC.format(models=models, suffix=suffix, index=index,
                                extra_resources=extra_resources, blocks=blocks))
    return spec


def plan_json(spec: Path) -> dict:
    result = run_cli("plan", spec, "--json")
    assert result.code == 0, result.output
    return json.loads(result.stdout)


def planned(spec: Path) -> dict[str, list[str]]:
    return {c["address"]: c["change"]["actions"] for c in plan_json(spec)["resource_changes"]
            if c["change"]["actions"] != ["no-op"]}


def apply(spec: Path) -> None:
    result = run_cli("apply", spec, "--auto-approve")
    assert result.code == 0, result.output


def converged(spec: Path) -> None:
    result = run_cli("plan", spec, "--detailed-exitcode")
    assert result.code == 0, result.output


def state(tmp_path: Path) -> dict:
    return json.loads((tmp_path / ".modelinfra" / "lang-e2e.state.json").read_text())["resources"]


def test_for_each_modules_and_state_blocks_through_the_cli(tmp_path: Path, aws_env, unique_name: str):
    s3 = boto3.client("s3")
    (tmp_path / "models").mkdir()
    (tmp_path / "extras").mkdir()
    (tmp_path / "modules" / "store").mkdir(parents=True)
    (tmp_path / "modules" / "store" / "module.yaml").write_text(MODULE)
    for name in ("ranker", "scorer", "tagger"):
        (tmp_path / "models" / f"{name}.bin").write_bytes(name.encode() * 100)
    (tmp_path / "extras" / "readme.txt").write_text("hello")
    suffix = unique_name
    spec = write(tmp_path, suffix, extra_resources=LEGACY)
    assert run_cli("validate", spec).code == 0

    apply(spec)
    converged(spec)
    addresses = set(state(tmp_path))
    assert {'model["ranker"]', 'model["scorer"]', 'extra["extras/readme.txt"]', "module.features.bucket",
            "module.features_prod.bucket", "index", "legacy"} <= addresses
    version = s3.head_object(Bucket=f"art-{suffix}", Key="models/ranker.bin")["VersionId"]
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=f"idx-{suffix}")["TagSet"]}
    assert tags["ranker"] == version and tags["features"] == f"feat-{suffix}"
    assert s3.get_object(Bucket=f"art-{suffix}", Key="README")["Body"].read() == b"hello"
    s3.head_bucket(Bucket=f"featp-{suffix}")
    shown = run_cli("state", "show", spec, 'model["ranker"]')
    assert shown.code == 0 and json.loads(shown.stdout)["address"] == 'model["ranker"]'
    unquoted = run_cli("state", "show", spec, "model[ranker]")  # what an unquoted model["ranker"] reaches us as
    assert unquoted.code == 0 and json.loads(unquoted.stdout)["address"] == 'model["ranker"]'
    targeted = run_cli("plan", spec, "--target", "model[ranker]", "--detailed-exitcode")
    assert targeted.code == 0, targeted.output

    spec = write(tmp_path, suffix, models="[ranker, scorer, tagger]", extra_resources=LEGACY)
    assert planned(spec) == {'model["tagger"]': ["create"]}
    spec = write(tmp_path, suffix, models="[scorer, ranker]", extra_resources=LEGACY)
    assert planned(spec) == {}
    spec = write(tmp_path, suffix, models="[ranker]", extra_resources=LEGACY)
    changes = plan_json(spec)["resource_changes"]
    assert [(c["address"], c["index"]) for c in changes if c["change"]["actions"] == ["delete"]] == \
        [('model["scorer"]', "scorer")]
    apply(spec)

    # moved + removed + import, in one apply
    s3.create_bucket(Bucket=f"adopt-{suffix}")
    blocks = ("moved:\n  - {from: index, to: catalog}\nremoved:\n  - {from: legacy}\n"
              "import:\n  - {to: adopted, id: 'adopt-" + suffix + "'}\n")
    adopted = "  adopted:\n    type: aws.s3_bucket\n    properties: {name: 'adopt-${var.suffix}'}\n"
    spec = write(tmp_path, suffix, models="[ranker]", index="catalog", extra_resources=adopted, blocks=blocks)
    text = run_cli("plan", spec)
    assert text.code == 0, text.output
    assert "index has moved to catalog" in text.stdout
    assert "legacy will be removed from state, not destroyed" in text.stdout
    assert "adopted will be imported" in text.stdout
    assert "0 to add" in text.stdout and "0 to destroy" in text.stdout
    assert '~ tags.modelinfra-address = "index" -> "catalog"' in text.stdout  # the move's one cloud change
    targeted = run_cli("plan", spec, "--target", "adopted")  # a move whatever the target; removed only if targeted
    assert targeted.code == 0, targeted.output
    assert "index has moved to catalog" in targeted.stdout and "adopted will be imported" in targeted.stdout
    assert "legacy" not in targeted.stdout
    apply(spec)
    after = state(tmp_path)
    assert "catalog" in after and "index" not in after and "legacy" not in after
    assert after["adopted"]["id"] == f"adopt-{suffix}"
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=f"idx-{suffix}")["TagSet"]}
    assert tags["modelinfra-address"] == "catalog" and tags["ranker"] == version  # retagged, not re-created
    converged(spec)
    s3.head_bucket(Bucket=f"legacy-{suffix}")

    bad = write(tmp_path, suffix, models="[ranker]", index="catalog", extra_resources=adopted,
                blocks="moved:\n  - {from: index, to: catalogue}\n")
    result = run_cli("validate", bad)
    assert result.code == 1 and "moved[0].to: moved to 'catalogue', which the spec does not declare" in result.output
    assert "Traceback" not in result.output

    spec = write(tmp_path, suffix, models="[ranker]", index="catalog", extra_resources=adopted, blocks=blocks)
    assert run_cli("state", "rm", spec, "catalog").code == 0  # unmanaged now: drift names it by its new address
    unmanaged = run_cli("drift", spec, "--unmanaged")
    assert unmanaged.code == 2 and f"idx-{suffix}" in unmanaged.stdout, unmanaged.output
    assert "tagged modelinfra-address=catalog" in unmanaged.stdout
    result = run_cli("destroy", spec, "--auto-approve")
    assert result.code == 0, result.output
    names = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert f"legacy-{suffix}" in names and f"art-{suffix}" not in names and f"feat-{suffix}" not in names


DATA_SPEC = """\
version: 1
name: data-e2e
providers:
  aws: {{region: us-east-1}}
data:
  shared: {{type: aws.s3_bucket, properties: {{name: '{shared}'}}}}
resources:
  index:
    type: aws.s3_bucket
    properties: {{name: 'dix-{suffix}', force_destroy: true, tags: {{shared: '${{data.shared.arn}}'}}}}
  model:
    type: aws.s3_object
    for_each: [ranker]
    properties: {{bucket: '${{data.shared.name}}', key: 'models/${{each.key}}.bin', source: ./m.bin}}
"""


def test_a_data_source_through_the_cli(tmp_path: Path, aws_env, unique_name: str):
    s3 = boto3.client("s3")
    shared = f"shared-{unique_name}"
    s3.create_bucket(Bucket=shared)
    (tmp_path / "m.bin").write_bytes(b"weights")
    spec = tmp_path / "stack.yaml"
    spec.write_text(DATA_SPEC.format(shared=shared, suffix=unique_name))
    apply(spec)
    converged(spec)
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=f"dix-{unique_name}")["TagSet"]}
    assert tags["shared"] == f"arn:aws:s3:::{shared}"
    assert not any(t["Key"].startswith("modelinfra-") for t in _tags(s3, shared))  # a data source is never tagged
    assert run_cli("destroy", spec, "--auto-approve").code == 0
    s3.head_bucket(Bucket=shared)
    spec.write_text(DATA_SPEC.format(shared=f"missing-{unique_name}", suffix=unique_name))
    result = run_cli("plan", spec)
    assert result.code == 1 and "data.shared" in result.output and f"missing-{unique_name}" in result.output
    assert "Traceback" not in result.output


def _tags(s3, bucket: str) -> list[dict]:
    try:
        return s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    except s3.exceptions.ClientError:  # NoSuchTagSet
        return []


KEY_SPEC = """\
version: 1
name: mv-{suffix}
providers:
  aws: {{region: us-east-1}}
resources:
  {address}:
    type: aws.kms_key
    properties: {{description: models, deletion_window_in_days: 7}}
{blocks}"""


def test_a_moved_kms_key_whose_id_follows_its_address_tag_converges_in_one_apply(tmp_path: Path, aws_env,
                                                                                 unique_name: str):
    kms = boto3.client("kms")
    spec = tmp_path / "stack.yaml"
    spec.write_text(KEY_SPEC.format(suffix=unique_name, address="old_key", blocks=""))
    apply(spec)
    path = tmp_path / ".modelinfra" / f"mv-{unique_name}.state.json"
    key_id = json.loads(path.read_text())["resources"]["old_key"]["attributes"]["key_id"]
    spec.write_text(KEY_SPEC.format(suffix=unique_name, address="key", blocks="moved:\n  - {from: old_key, to: key}\n"))
    shown = run_cli("plan", spec)
    assert shown.code == 0 and "old_key has moved to key" in shown.stdout and "0 to add" in shown.stdout, shown.output
    apply(spec)
    entry = json.loads(path.read_text())["resources"]["key"]
    assert entry["attributes"]["key_id"] == key_id and entry["id"] == f"modelinfra:mv-{unique_name}/key"
    tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key_id)["Tags"]}
    assert tags["modelinfra-address"] == "key"
    converged(spec)
    assert run_cli("destroy", spec, "--auto-approve").code == 0


GROUP_SPEC = """\
version: 1
name: mvrg-{suffix}
providers:
  azure: {{subscription_id: '${{env.AZURE_SUBSCRIPTION_ID}}'}}
resources:
  {address}:
    type: azure.resource_group
    properties: {{name: 'mvrg-{suffix}', location: westus, tags: {{team: ml}}}}
{blocks}"""


def test_a_moved_resource_group_is_retagged_through_the_cli_against_the_arm_emulator(tmp_path: Path, azure_env,
                                                                                   unique_name: str):
    from tests.e2e.examples import azure_mgmt

    groups = azure_mgmt("resource").resource_groups
    spec = tmp_path / "stack.yaml"
    spec.write_text(GROUP_SPEC.format(suffix=unique_name, address="old_rg", blocks=""))
    apply(spec)
    assert groups.get(f"mvrg-{unique_name}").tags["modelinfra-address"] == "old_rg"
    spec.write_text(GROUP_SPEC.format(suffix=unique_name, address='rg["main"]',
                                      blocks="moved:\n  - {from: old_rg, to: 'rg[\"main\"]'}\n"))
    spec.write_text(spec.read_text().replace("  rg[\"main\"]:\n", "  rg:\n    for_each: [main]\n"))
    shown = run_cli("plan", spec)
    assert shown.code == 0, shown.output
    assert 'old_rg has moved to rg["main"]' in shown.stdout
    assert '~ tags.modelinfra-address = "old_rg" -> "rg:main"' in shown.stdout and "0 to add" in shown.stdout
    apply(spec)
    assert groups.get(f"mvrg-{unique_name}").tags == {"team": "ml", "modelinfra-stack": f"mvrg-{unique_name}",
                                                      "modelinfra-address": "rg:main"}
    converged(spec)
    assert run_cli("destroy", spec, "--auto-approve").code == 0
