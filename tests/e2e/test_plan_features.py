"""Lifecycle rules, targeting, destroy plans, partial failure and the state/output/show commands,
through the installed CLI against moto."""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3
import pytest

from tests.e2e.cli import run_cli

pytestmark = pytest.mark.e2e

SPEC = """\
version: 1
name: features
variables:
  suffix: {{default: x}}
  first_name: {{default: first}}
providers:
  aws: {{region: us-east-1}}
resources:
  first:
    type: aws.s3_bucket
    properties:
      name: ${{var.first_name}}-${{var.suffix}}
      tags: {{team: ml}}
      force_destroy: true
    lifecycle: {lifecycle}
  second:
    type: aws.s3_bucket
    properties:
      name: second-${{var.suffix}}
      force_destroy: true
  model:
    type: aws.s3_object
    properties:
      bucket: ${{second.name}}
      key: model.bin
      source: ./model.bin
outputs:
  first_arn: {{value: "${{first.arn}}"}}
  second_name: {{value: "${{second.name}}"}}
"""


@pytest.fixture
def stack(tmp_path: Path, aws_env: dict[str, str], unique_name: str):
    (tmp_path / "model.bin").write_bytes(b"model")

    def write(lifecycle: str = "{}") -> Path:
        path = tmp_path / "spec.yaml"
        path.write_text(SPEC.format(lifecycle=lifecycle))
        return path

    def cli(*args: str, **kwargs):
        return run_cli(*args, "--var", f"suffix={unique_name}", env=aws_env, cwd=tmp_path, **kwargs) \
            if args[0] in ("plan", "apply", "destroy", "drift") and not str(args[1]).endswith(".plan") \
            else run_cli(*args, env=aws_env, cwd=tmp_path, **kwargs)

    yield write, cli, unique_name
    cli("destroy", "spec.yaml", "--auto-approve")


def buckets() -> set[str]:
    return {b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]}


def test_prevent_destroy_fails_the_plan_and_touches_nothing(stack):
    write, cli, name = stack
    write("{prevent_destroy: true}")
    assert cli("apply", "spec.yaml", "--auto-approve").code == 0
    blocked = cli("destroy", "spec.yaml", "--auto-approve")
    assert blocked.code == 1 and "prevent_destroy" in blocked.stderr and "first" in blocked.stderr
    assert f"first-{name}" in buckets()
    write()


def test_ignore_changes_hides_out_of_band_tag_edits(stack):
    write, cli, name = stack
    write("{ignore_changes: [tags]}")
    assert cli("apply", "spec.yaml", "--auto-approve").code == 0
    boto3.client("s3").put_bucket_tagging(Bucket=f"first-{name}", Tagging={"TagSet": [{"Key": "team", "Value": "x"}]})
    plan = cli("plan", "spec.yaml", "--detailed-exitcode")
    assert plan.code == 0, plan.output
    drift = cli("drift", "spec.yaml")
    assert drift.code == 0 and "first (aws.s3_bucket): in sync" in drift.stdout, drift.output
    write()
    noticed = cli("drift", "spec.yaml")
    assert noticed.code == 2 and "tags.team: \"ml\" -> \"x\"" in noticed.stdout, noticed.output


def test_create_before_destroy_replaces_with_the_new_one_first(stack):
    write, cli, name = stack
    write("{create_before_destroy: true}")
    assert cli("apply", "spec.yaml", "--auto-approve").code == 0
    renamed = cli("plan", "spec.yaml", "--var", "first_name=renamed", "--detailed-exitcode")
    assert renamed.code == 2, renamed.output
    assert "+/- resource \"aws.s3_bucket\" \"first\"" in renamed.stdout
    assert "# forces replacement" in renamed.stdout
    assert "Plan: 1 to add, 0 to change, 1 to destroy." in renamed.stdout
    applied = cli("apply", "spec.yaml", "--var", "first_name=renamed", "--auto-approve")
    assert applied.code == 0, applied.output
    assert f"renamed-{name}" in buckets() and f"first-{name}" not in buckets()
    state = json.loads((write().parent / ".modelinfra" / "features.state.json").read_text())
    assert state["resources"]["first"]["id"] == f"renamed-{name}" and "first#deposed" not in state["resources"]
    cli("destroy", "spec.yaml", "--var", "first_name=renamed", "--auto-approve")


def test_target_limits_the_plan_to_the_target_and_what_it_needs(stack):
    write, cli, _ = stack
    write()
    plan = cli("plan", "spec.yaml", "--target", "model")
    assert "model will be created" in plan.stdout and "second will be created" in plan.stdout
    assert "first will be created" not in plan.stdout
    unknown = cli("plan", "spec.yaml", "--target", "nope")
    assert unknown.code == 1 and "nope" in unknown.stderr


def test_destroy_plan_lists_every_resource(stack):
    write, cli, _ = stack
    write()
    assert cli("apply", "spec.yaml", "--auto-approve").code == 0
    plan = cli("plan", "spec.yaml", "--destroy")
    assert "Plan: 0 to add, 0 to change, 3 to destroy." in plan.stdout
    for address in ("first", "second", "model"):
        assert f"# {address} will be destroyed" in plan.stdout


def test_partial_failure_keeps_what_succeeded_and_names_the_root_cause(stack, tmp_path: Path):
    write, cli, name = stack
    write()
    saved = tmp_path / "all.plan"
    assert cli("plan", "spec.yaml", "--out", str(saved)).code == 0
    (tmp_path / "model.bin").write_bytes(b"changed")  # the object's action fails (stale); the buckets' do not
    failed = run_cli("apply", saved, cwd=tmp_path)
    assert failed.code == 1
    assert "model:" in failed.stderr and "Traceback" not in failed.output
    state = json.loads((tmp_path / ".modelinfra" / "features.state.json").read_text())
    assert {a for a, r in state["resources"].items() if r["status"] == "ready"} == {"first", "second"}
    assert f"first-{name}" in buckets() and f"second-{name}" in buckets()
    (tmp_path / "model.bin").write_bytes(b"model")
    assert cli("apply", "spec.yaml", "--auto-approve").code == 0


def test_state_output_and_show_commands(stack, tmp_path: Path):
    write, cli, name = stack
    write()
    assert cli("apply", "spec.yaml", "--auto-approve").code == 0
    listed = cli("state", "list", "spec.yaml")
    assert listed.code == 0 and f"first\taws.s3_bucket\tfirst-{name}" in listed.stdout
    as_json = json.loads(cli("state", "list", "spec.yaml", "--json").stdout)
    assert {r["address"]: r["status"] for r in as_json["resources"]} == {
        "first": "ready", "second": "ready", "model": "ready"}
    shown = json.loads(cli("state", "show", "spec.yaml", "second").stdout)
    assert shown["attributes"]["name"] == f"second-{name}" and shown["status"] == "ready"
    outputs = json.loads(cli("output", "spec.yaml", "--json").stdout)["outputs"]
    assert outputs["first_arn"]["value"] == f"arn:aws:s3:::first-{name}"
    assert cli("output", "spec.yaml", "second_name").stdout.strip() == f'"second-{name}"', "quoted as apply shows it"
    assert cli("output", "spec.yaml", "second_name", "--raw").stdout == f"second-{name}\n"
    removed = cli("state", "rm", "spec.yaml", "model")
    assert removed.code == 0 and "model" not in cli("state", "list", "spec.yaml").stdout
    plan = cli("plan", "spec.yaml", "--out", str(tmp_path / "p.plan"))
    assert "model will be created" in plan.stdout
    show = cli("show", str(tmp_path / "p.plan"))
    assert "model will be created" in show.stdout


def test_import_adopts_an_existing_bucket_and_plan_shows_only_real_differences(stack, tmp_path: Path):
    write, cli, name = stack
    write()
    boto3.client("s3").create_bucket(Bucket=f"first-{name}")
    imported = cli("import", "spec.yaml", "first", f"first-{name}")
    assert imported.code == 0, imported.output
    shown = json.loads(cli("state", "show", "spec.yaml", "first").stdout)
    assert shown["id"] == f"first-{name}" and shown["status"] == "ready"
    plan = cli("plan", "spec.yaml")
    assert "# first will be updated in-place" in plan.stdout and "first will be created" not in plan.stdout
    assert re.search(r'\+ tags\.team += "ml"', plan.stdout), plan.stdout
    again = cli("import", "spec.yaml", "first", f"first-{name}")
    assert again.code == 1 and "already managed" in again.stderr
    missing = cli("import", "spec.yaml", "second", "no-such-bucket-anywhere-x1")
    assert missing.code == 1 and "no aws.s3_bucket found" in missing.stderr


def test_no_refresh_trusts_state_and_makes_no_read(stack):
    write, cli, name = stack
    write()
    assert cli("apply", "spec.yaml", "--auto-approve").code == 0
    boto3.client("s3").put_bucket_tagging(Bucket=f"first-{name}", Tagging={"TagSet": [{"Key": "team", "Value": "x"}]})
    trusting = cli("plan", "spec.yaml", "--no-refresh", "--detailed-exitcode")
    assert trusting.code == 0 and "Refreshing" not in trusting.stderr
    refreshed = cli("plan", "spec.yaml", "--detailed-exitcode")
    assert refreshed.code == 2 and "Refreshing" in refreshed.stderr


def test_validate_json_lists_problems(tmp_path: Path):
    spec = tmp_path / "bad.yaml"
    spec.write_text("version: 1\nname: x\nresources:\n  b:\n    type: aws.s3_bucket\n    properties: {name: AB}\n")
    result = run_cli("validate", spec, "--json")
    assert result.code == 1
    doc = json.loads(result.stdout)
    assert doc["valid"] is False
    assert {(p["line"], p["path"]) for p in doc["problems"]} >= {(6, "resources.b.properties.name")}


def test_a_saved_plan_applies_once_and_only_with_the_files_it_planned(stack, tmp_path: Path):
    write, cli, name = stack
    write()
    assert cli("apply", "spec.yaml", "--auto-approve").code == 0
    boto3.client("s3").put_bucket_tagging(Bucket=f"first-{name}", Tagging={"TagSet": [{"Key": "team", "Value": "x"}]})
    saved = tmp_path / "repair.plan"
    assert cli("plan", "spec.yaml", "--out", str(saved)).code == 0
    assert run_cli("apply", saved, cwd=tmp_path).code == 0
    twice = run_cli("apply", saved, cwd=tmp_path)
    assert twice.code == 1 and "stale plan" in twice.stderr, "content-neutral applies still move the serial"

    (tmp_path / "model.bin").write_bytes(b"model v2")
    upload = tmp_path / "upload.plan"
    assert cli("plan", "spec.yaml", "--out", str(upload)).code == 0
    (tmp_path / "model.bin").write_bytes(b"model v3, written after the plan")
    changed = run_cli("apply", upload, cwd=tmp_path)
    assert changed.code == 1 and "stale plan" in changed.stderr and "sha256" in changed.stderr
    body = boto3.client("s3").get_object(Bucket=f"second-{name}", Key="model.bin")["Body"].read()
    assert body == b"model", "nothing was uploaded"


def test_a_saved_plan_applies_from_any_directory(stack, tmp_path: Path):
    write, cli, _ = stack
    write()
    saved = tmp_path / "sub" / "p.plan"
    saved.parent.mkdir()
    assert cli("plan", "spec.yaml", "--out", str(saved)).code == 0
    assert run_cli("apply", "p.plan", cwd=saved.parent).code == 0


def test_drift_the_spec_adopts_stops_being_drift_after_apply(stack):
    write, cli, name = stack
    write()
    assert cli("apply", "spec.yaml", "--auto-approve").code == 0
    boto3.client("s3").put_bucket_tagging(Bucket=f"first-{name}",
                                          Tagging={"TagSet": [{"Key": "team", "Value": "ml"},
                                                              {"Key": "owner", "Value": "ops"}]})
    path = write()
    path.write_text(path.read_text().replace("tags: {team: ml}", "tags: {team: ml, owner: ops}"))
    assert cli("drift", "spec.yaml").code == 2
    accepted = cli("apply", "spec.yaml", "--auto-approve")
    assert accepted.code == 0 and "No changes" in accepted.stdout
    assert cli("drift", "spec.yaml").code == 0


def test_replacing_a_bucket_with_its_object_deletes_the_object_first(stack):
    write, cli, name = stack
    path = write()
    without_force = "      name: second-${var.suffix}\n      force_destroy: true\n"
    assert without_force in path.read_text()
    path.write_text(path.read_text().replace(without_force, "      name: second-${var.suffix}\n"))
    assert cli("apply", "spec.yaml", "--auto-approve").code == 0
    path.write_text(path.read_text().replace("name: second-", "name: moved-"))
    plan = cli("plan", "spec.yaml")
    assert '-/+ resource "aws.s3_bucket" "second"' in plan.stdout and '-/+ resource "aws.s3_object" "model"' in plan.stdout
    applied = cli("apply", "spec.yaml", "--auto-approve")
    assert applied.code == 0, applied.output
    s3 = boto3.client("s3")
    assert s3.get_object(Bucket=f"moved-{name}", Key="model.bin")["Body"].read() == b"model"
    assert f"second-{name}" not in buckets()
    assert cli("plan", "spec.yaml", "--detailed-exitcode").code == 0


MOVED_SPEC = """\
version: 1
name: ignored-tags
providers:
  aws: {{region: us-east-1}}
resources:
  {address}:
    type: aws.s3_bucket
    properties: {{name: ign-{suffix}, tags: {{team: ml}}, force_destroy: true}}
    lifecycle: {{ignore_changes: [tags]}}
{blocks}"""


def test_a_move_with_ignored_tags_rewrites_only_the_address_tag(tmp_path: Path, aws_env: dict[str, str],
                                                                unique_name: str) -> None:
    """The move's retag is a tag write; with ``ignore_changes: [tags]`` it keeps the tags set
    outside modelinfra (the update is sent the bucket's current tags, as Terraform plans an ignored
    argument) and changes only modelinfra's address tag."""
    spec = tmp_path / "spec.yaml"
    s3 = boto3.client("s3")
    name = f"ign-{unique_name}"

    def tags() -> dict[str, str]:
        return {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=name)["TagSet"]}

    spec.write_text(MOVED_SPEC.format(address="first", suffix=unique_name, blocks=""))
    try:
        assert run_cli("apply", "spec.yaml", "--auto-approve", env=aws_env, cwd=tmp_path).code == 0
        outside = {**tags(), "team": "platform", "cost-center": "42"}
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in outside.items()]})
        spec.write_text(MOVED_SPEC.format(address="primary", suffix=unique_name,
                                          blocks="moved:\n  - {from: first, to: primary}\n"))
        plan = run_cli("plan", "spec.yaml", env=aws_env, cwd=tmp_path)
        assert "1 to change" in plan.stdout and "team" not in plan.stdout, plan.output
        assert run_cli("apply", "spec.yaml", "--auto-approve", env=aws_env, cwd=tmp_path).code == 0
        assert tags() == {**outside, "modelinfra-address": "primary"}
        again = run_cli("plan", "spec.yaml", "--detailed-exitcode", env=aws_env, cwd=tmp_path)
        assert again.code == 0, again.output
    finally:
        run_cli("destroy", "spec.yaml", "--auto-approve", env=aws_env, cwd=tmp_path)
