"""The ecosystem through the installed CLI against the emulators: checkov on ``--format
terraform-json``, drift ignores, markdown plans.

checkov lives in its own virtualenv (tests/checkov_venv.py: installed in the background when the
session starts, reused afterwards). It runs offline (``--skip-download``, ``BC_SKIP_MAPPING``) and
unchanged.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import boto3
import pytest

from tests import checkov_venv
from tests.e2e.cli import run_cli
from tests.policy.specs import WEAK, WEAK_FINDINGS, line_of
from tests.policy.specs import write as write_spec
from tests.views.test_terraform_rego import deny

pytestmark = pytest.mark.e2e

CHECKS = ("CKV_AZURE_44", "CKV_AZURE_190", "CKV_AZURE_35", "CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56",
          "CKV_AWS_145", "CKV2_AWS_6", "CKV_AZURE_42", "CKV_AZURE_109", "CKV_AZURE_110", "CKV_AZURE_137",
          "CKV_AZURE_139", "CKV_AWS_7")

WEAK_AND_STRONG = """\
version: 1
name: eco-{u}
providers:
  azure: {{subscription_id: "${{env.AZURE_SUBSCRIPTION_ID}}"}}
  aws: {{region: us-east-1}}
resources:
  rg:
    type: azure.resource_group
    properties: {{name: eco-{u}, location: westus}}
  weak:
    type: azure.storage_account
    properties:
      name: weak{u}
      resource_group: ${{rg.name}}
      location: ${{rg.location}}
      min_tls_version: TLS1_0
      allow_blob_public_access: true
      https_only: false
  strong:
    type: azure.storage_account
    properties:
      name: strong{u}
      resource_group: ${{rg.name}}
      location: ${{rg.location}}
      blob_versioning: true
      blob_soft_delete_days: 14
      network_rules: {{default_action: Deny}}
  open:
    type: aws.s3_bucket
    properties:
      name: eco-open-{u}
      public_access_block:
        block_public_acls: false
        ignore_public_acls: false
        block_public_policy: false
        restrict_public_buckets: false
  closed:
    type: aws.s3_bucket
    properties:
      name: eco-closed-{u}
      versioning: true
      encryption: {{algorithm: "aws:kms", kms_key_id: alias/ml-artifacts}}
  vault_open:
    type: azure.key_vault
    properties: {{name: kvo{u}, resource_group: "${{rg.name}}", location: westus,
                 tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47}}
  vault_strong:
    type: azure.key_vault
    properties: {{name: kvs{u}, resource_group: "${{rg.name}}", location: westus,
                 tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47, purge_protection_enabled: true,
                 network_acls: {{default_action: Deny}}}}
  registry_open:
    type: azure.container_registry
    properties: {{name: acro{u}, resource_group: "${{rg.name}}", location: westus, admin_enabled: true}}
  registry_strong:
    type: azure.container_registry
    properties: {{name: acrs{u}, resource_group: "${{rg.name}}", location: westus, sku: Premium,
                 public_network_access: Disabled}}
  key_weak:
    type: aws.kms_key
    properties: {{description: unrotated}}
  key_strong:
    type: aws.kms_key
    properties: {{description: rotated, enable_key_rotation: true}}
modules:
  store: {{source: ./store, inputs: {{name: eco-mod-{u}}}}}
"""
STORE_MODULE = """\
variables:
  name: {description: bucket name}
resources:
  bucket:
    type: aws.s3_bucket
    properties:
      name: ${var.name}
      versioning: true
      encryption: {algorithm: "aws:kms", kms_key_id: alias/ml-artifacts}
"""


@pytest.fixture(scope="module")
def checkov() -> Path:
    return checkov_venv.executable()


def run_checkov(exe: Path, plan_json: Path) -> dict[str, set[tuple[str, str]]]:
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
    proc = subprocess.run([str(exe), "-f", str(plan_json), "--framework", "terraform_plan", "--skip-download",
                           "--check", ",".join(CHECKS), "-o", "json"],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode in (0, 1), proc.stderr
    reports = json.loads(proc.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    out: dict[str, set[tuple[str, str]]] = {"failed": set(), "passed": set()}
    for report in reports:
        for kind in ("failed", "passed"):
            out[kind] |= {(c["check_id"], c["resource"]) for c in report["results"][f"{kind}_checks"]}
    return out


@pytest.mark.timeout(2400)  # the first run installs checkov into .venv-checkov
def test_checkov_fires_exactly_on_the_weak_and_open_resources(
        tmp_path: Path, aws_env: dict[str, str], azure_env: dict[str, str], unique_name: str,
        checkov: Path) -> None:
    spec = tmp_path / "eco.yaml"
    spec.write_text(WEAK_AND_STRONG.format(u=unique_name))
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "module.yaml").write_text(STORE_MODULE)
    planfile = tmp_path / "eco.plan"
    env = {**aws_env, **azure_env}
    result = run_cli("plan", spec, "--out", planfile, env=env)
    assert result.code == 0, result.output
    warned = {line.split(": ")[2].split(" ")[1] + " " + line.split(": ")[3].split(" ")[0]
              for line in result.stderr.splitlines() if line.startswith("Warning: ")}
    assert {"MI-AZ-STORAGE-TLS weak", "MI-AWS-S3-PUBLIC-ACCESS open"} <= warned
    assert {"MI-AZ-KEYVAULT-PURGE-PROTECTION vault_open", "MI-AZ-ACR-ADMIN registry_open",
            "MI-AWS-KMS-ROTATION key_weak"} <= warned
    assert not any(w.endswith(("strong", "closed")) for w in warned), warned
    shown = run_cli("show", planfile, "--format", "terraform-json", env=env)
    assert shown.code == 0, shown.output
    plan_json = tmp_path / "tfplan.json"
    plan_json.write_text(shown.stdout)
    direct = run_cli("plan", spec, "--format", "terraform-json", env=env)
    assert json.loads(direct.stdout)["resource_changes"] == json.loads(shown.stdout)["resource_changes"]

    found = run_checkov(checkov, plan_json)
    pab = "aws_s3_bucket_public_access_block"
    vault = {(f"CKV_AZURE_{n}", "azurerm_key_vault.vault_{}") for n in (42, 109, 110)}
    registry = {(f"CKV_AZURE_{n}", "azurerm_container_registry.registry_{}") for n in (137, 139)}
    assert found["failed"] == {
        ("CKV_AZURE_44", "azurerm_storage_account.weak"), ("CKV_AZURE_190", "azurerm_storage_account.weak"),
        *{(f"CKV_AWS_{n}", f"{pab}.open") for n in (53, 54, 55, 56)},
        ("CKV_AWS_145", "aws_s3_bucket.open"), ("CKV2_AWS_6", "aws_s3_bucket.open"),
        *{(c, r.format("open")) for c, r in vault | registry}, ("CKV_AWS_7", "aws_kms_key.key_weak"),
    }
    assert found["passed"] == {
        ("CKV_AZURE_44", "azurerm_storage_account.strong"), ("CKV_AZURE_190", "azurerm_storage_account.strong"),
        ("CKV_AZURE_35", "azurerm_storage_account.strong"),  # weak sets no network_rules: checkov says UNKNOWN
        *{(f"CKV_AWS_{n}", f"{pab}.closed") for n in (53, 54, 55, 56)},
        ("CKV_AWS_145", "aws_s3_bucket.closed"), ("CKV2_AWS_6", "aws_s3_bucket.closed"),
        *{(c, r.format("strong")) for c, r in vault | registry}, ("CKV_AWS_7", "aws_kms_key.key_strong"),
        # a module's blocks are connected through configuration.module_calls, as on Terraform
        *{(f"CKV_AWS_{n}", f"module.store.{pab}.bucket") for n in (53, 54, 55, 56)},
        ("CKV_AWS_145", "module.store.aws_s3_bucket.bucket"), ("CKV2_AWS_6", "module.store.aws_s3_bucket.bucket"),
    }

    # the conftest-style Rego policy of tests/views/test_terraform_rego.py, on the CLI's output
    assert deny(json.loads(plan_json.read_text())) == {
        "azurerm_storage_account.weak: min_tls_version is TLS1_0",
        "aws_s3_bucket_public_access_block.open: block_public_acls must be true"}

    markdown = run_cli("show", planfile, "--format", "markdown", env=env)
    assert markdown.code == 0 and "**Plan: 12 to add, 0 to change, 0 to destroy.**" in markdown.stdout


DRIFT_SPEC = """\
version: 1
name: eco-drift-{u}
providers:
  aws: {{region: us-east-1}}
resources:
  bucket:
    type: aws.s3_bucket
    properties:
      name: eco-drift-{u}
      tags: {{team: ml, owner: platform}}
"""


def test_a_drift_ignore_turns_exit_2_into_0_for_that_path_only(
        tmp_path: Path, aws_env: dict[str, str], unique_name: str) -> None:
    spec = tmp_path / "drift.yaml"
    spec.write_text(DRIFT_SPEC.format(u=unique_name))
    assert run_cli("apply", spec, "--auto-approve", env=aws_env).code == 0
    s3 = boto3.client("s3", region_name="us-east-1")
    bucket = f"eco-drift-{unique_name}"
    tags = s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [
        {**t, "Value": "finance"} if t["Key"] == "owner" else t for t in tags]})
    assert run_cli("drift", spec, env=aws_env).code == 2

    ignore = "drift:\n  ignore:\n    - {{address: bucket, path: tags.owner, reason: set by the finance tagger{until}}}\n"
    spec.write_text(DRIFT_SPEC.format(u=unique_name) + ignore.format(until=", until: 2099-12-31"))
    result = run_cli("drift", spec, env=aws_env)
    assert result.code == 0, result.output
    assert 'tags.owner: "platform" -> "finance" ignored (set by the finance tagger)' in result.stdout
    doc = json.loads(run_cli("drift", spec, "--format", "json", env=aws_env).stdout)
    [entry] = doc["resources"]
    assert entry["status"] == "ignored" and [i["path"] for i in entry["ignored_changes"]] == ["tags.owner"]
    plan = run_cli("plan", spec, env=aws_env)  # plan is unaffected: it still shows the change outside
    assert "has changed outside modelinfra" in plan.stdout and "tags.owner" in plan.stdout
    tf = json.loads(run_cli("plan", spec, "--format", "terraform-json", env=aws_env).stdout)
    changes = {c["address"]: c["change"] for c in tf["resource_changes"]}
    assert changes["aws_s3_bucket.bucket"]["actions"] == ["update"]
    assert changes["aws_s3_bucket.bucket"]["before"]["tags"]["owner"] == "finance"
    assert changes["aws_s3_bucket.bucket"]["after"]["tags"]["owner"] == "platform"
    assert changes["aws_s3_bucket_versioning.bucket"]["actions"] == ["no-op"]
    [prior] = [r for r in tf["prior_state"]["values"]["root_module"]["resources"] if r["type"] == "aws_s3_bucket"]
    assert prior["values"]["tags"]["owner"] == "finance" and prior["values"]["bucket"] == bucket

    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    doc = json.loads(run_cli("drift", spec, "--format", "json", env=aws_env).stdout)
    [entry] = doc["resources"]
    assert doc["drift"] is True and [c["path"] for c in entry["changes"]] == ["versioning"]
    assert [i["path"] for i in entry["ignored_changes"]] == ["tags.owner"]
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})

    spec.write_text(DRIFT_SPEC.format(u=unique_name) + ignore.format(until=", until: 2020-01-01"))
    result = run_cli("drift", spec, env=aws_env)
    assert result.code == 2, result.output
    assert "note: drift ignore for tags.owner expired on 2020-01-01" in result.stdout

    spec.write_text(DRIFT_SPEC.format(u=unique_name) + ignore.format(until=""))
    assert run_cli("drift", spec, env=aws_env).code == 0
    applied = run_cli("apply", spec, "--auto-approve", env=aws_env)  # apply is unaffected: it reverts the tag
    assert applied.code == 0 and "1 changed" in applied.stdout, applied.output
    assert {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}["owner"] == "platform"


def expected_line(text: str, address: str, prop: str) -> int:
    """The line of ``prop`` inside resource ``address``'s block of ``text``, else the resource's line."""
    lines = text.splitlines()
    start = lines.index(f"  {address}:")
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith("    ")), len(lines))
    found = [i for i in range(start, end) if f" {prop}: " in lines[i] or lines[i].endswith(f" {prop}:")
             or f"{{{prop}: " in lines[i]]
    return (found[0] if found else start) + 1


def test_check_finds_the_baseline_at_the_right_lines_and_honours_suppressions(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, WEAK)
    result = run_cli("check", spec, cwd=tmp_path)
    assert result.code == 2, result.output
    assert f"spec.yaml:{line_of(WEAK, 'min_tls_version: TLS1_1')}:7: high MI-AZ-STORAGE-TLS: account" in result.stdout

    sarif_path = tmp_path / "check.sarif"
    result = run_cli("check", spec, "--format", "sarif", "--output", sarif_path, cwd=tmp_path,
                     env={"GITHUB_WORKSPACE": str(tmp_path)})
    assert result.code == 2 and "finding(s) in stack policy-weak" in result.stdout
    [run] = json.loads(sarif_path.read_text())["runs"]
    located = {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in run["results"]}
    assert len(located) == len(WEAK_FINDINGS)
    assert ("MI-AZ-STORAGE-TLS", "spec.yaml", line_of(WEAK, "min_tls_version: TLS1_1")) in located
    doc = json.loads(run_cli("check", spec, "--format", "json", cwd=tmp_path).stdout)
    assert {(f["rule"], f["address"]) for f in doc["findings"]} == WEAK_FINDINGS
    for f in doc["findings"]:  # at the property's line when the spec sets it, else at the resource's
        assert (f["rule"], "spec.yaml", f["line"]) in located
        assert f["line"] == expected_line(WEAK, f["address"], f["property"]), f

    skip = "policy:\n  skip:\n    - {{rule: MI-AZ-STORAGE-TLS, address: account, reason: legacy scorer{until}}}\n"
    write_spec(tmp_path, WEAK + skip.format(until=", until: 2099-01-01"))
    doc = json.loads(run_cli("check", spec, "--format", "json", cwd=tmp_path).stdout)
    tls = next(f for f in doc["findings"] if f["rule"] == "MI-AZ-STORAGE-TLS")
    assert tls["suppressed"] is True and tls["suppression_reason"] == "legacy scorer"
    assert doc["summary"]["suppressed"] == 1

    write_spec(tmp_path, WEAK + skip.format(until=", until: 2020-01-01"))
    result = run_cli("check", spec, cwd=tmp_path)
    assert result.code == 2
    assert "high MI-AZ-STORAGE-TLS: account" in result.stdout
    assert "note: suppression expired on 2020-01-01 (reason was: legacy scorer)" in result.stdout

    write_spec(tmp_path, WEAK + "policy:\n  skip:\n    - {rule: MI-AZ-STORAGE-TLS, address: account}\n")
    result = run_cli("check", spec, cwd=tmp_path)
    assert result.code == 1 and "reason" in result.stderr and "Traceback" not in result.output


def test_check_exit_codes_follow_fail_on(tmp_path: Path) -> None:
    low_only = WEAK.split("  account:")[0] + """\
  vault:
    type: aws.backup_vault
    properties: {name: policy-vault}
"""
    spec = write_spec(tmp_path, low_only)
    assert run_cli("check", spec).code == 0  # one low finding, below the default medium
    assert run_cli("check", spec, "--fail-on", "low").code == 2


MANY = """\
version: 1
name: eco-many-{u}
variables:
  models: {{default: [{models}]}}
providers:
  aws: {{region: us-east-1}}
resources:
  bucket:
    type: aws.s3_bucket
    properties: {{name: eco-many-{u}, versioning: true, tags: {{team: ml, cost-center: "42"}}}}
  model:
    type: aws.s3_object
    for_each: ${{var.models}}
    properties: {{bucket: "${{bucket.name}}", key: "models/${{each.key}}/model.onnx", source: ./model.onnx,
                 content_type: application/octet-stream, metadata: {{stage: candidate, owner: ranking-team}}}}
"""


def test_a_300_resource_markdown_plan_fits_one_comment(tmp_path: Path, aws_env: dict[str, str],
                                                         unique_name: str) -> None:
    (tmp_path / "model.onnx").write_bytes(b"onnx")
    names = [f"ranker-{i:03d}" for i in range(299)]
    spec = tmp_path / "many.yaml"
    spec.write_text(MANY.format(u=unique_name, models=", ".join(names)))
    planfile = tmp_path / "many.plan"
    result = run_cli("plan", spec, "--out", planfile, "--format", "markdown", env=aws_env, cwd=tmp_path)
    assert result.code == 0, result.output
    shown = run_cli("show", planfile, "--format", "markdown", env=aws_env, cwd=tmp_path)
    assert shown.code == 0 and shown.stdout == result.stdout
    md = result.stdout
    assert len(md) < 65_536 and "**Plan: 300 to add, 0 to change, 0 to destroy.**" in md
    # every address, with a diff (HTML-escaped in <summary>) or listed (brackets escaped for Markdown)
    assert all(f"model[&quot;{n}&quot;]" in md or f'model\\["{n}"\\]' in md for n in names) and "`bucket`" in md
    assert "<details>" in md and "not shown" not in md  # every resource at least listed
