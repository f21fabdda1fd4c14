"""A backup vault's access policy through the installed CLI against moto (with the project's Backup
extensions): apply sets it, a policy rewritten outside modelinfra in another form is no drift,
removing ``policy`` from the spec is an in-place update that deletes it."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.e2e.cli import run_cli

pytestmark = pytest.mark.e2e

SPEC = """\
version: 1
name: vault-policy-{suffix}
providers:
  aws:
    region: us-east-1
state:
  path: {state}
resources:
  vault:
    type: aws.backup_vault
    properties:
      name: {vault}
{policy}"""
POLICY = """\
      policy:
        Version: "2012-10-17"
        Statement:
          - Sid: NoDelete
            Effect: Deny
            Principal: {AWS: "*"}
            Action: [backup:DeleteRecoveryPoint]
            Resource: "*"
"""


def test_policy_applied_rewritten_outside_is_no_drift_and_removed_with_the_spec(
        tmp_path: Path, aws_env: dict[str, str], unique_name: str) -> None:
    vault = f"vault-{unique_name}"
    spec = tmp_path / "vault.yaml"
    state = tmp_path / "state.json"

    def write(policy: str) -> None:
        spec.write_text(SPEC.format(suffix=unique_name, state=state, vault=vault, policy=policy))

    def cli(*args: str) -> tuple[int, str]:
        result = run_cli(*args, env=aws_env, cwd=tmp_path)
        return result.code, result.output

    backup = boto3.client("backup", region_name="us-east-1")
    write(POLICY)
    code, out = cli("apply", str(spec), "--auto-approve")
    assert code == 0, out
    try:
        assert json.loads(backup.get_backup_vault_access_policy(BackupVaultName=vault)["Policy"])[
            "Statement"][0]["Sid"] == "NoDelete"
        assert cli("plan", str(spec), "--detailed-exitcode")[0] == 0

        backup.put_backup_vault_access_policy(BackupVaultName=vault, Policy=json.dumps({
            "Statement": {"Resource": ["*"], "Action": "backup:DeleteRecoveryPoint", "Principal": {"AWS": ["*"]},
                          "Effect": "Deny", "Sid": "NoDelete"}, "Version": "2012-10-17"}))
        code, out = cli("drift", str(spec))
        assert code == 0, out

        write("")
        code, out = cli("plan", str(spec), "--detailed-exitcode")
        assert code == 2 and "policy" in out and "1 to change" in out, out
        code, out = cli("apply", str(spec), "--auto-approve")
        assert code == 0, out
        with pytest.raises(ClientError) as exc:
            backup.get_backup_vault_access_policy(BackupVaultName=vault)
        assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
        code, out = cli("plan", str(spec), "--detailed-exitcode")
        assert code == 0, out
    finally:
        code, out = cli("destroy", str(spec), "--auto-approve")
        assert code == 0, out
