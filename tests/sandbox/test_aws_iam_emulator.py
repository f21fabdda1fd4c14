"""The emulator's IAM knows AWS's managed policies, as every real account does."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from modelinfra.sandbox.base import RunningService

BACKUP_POLICY = "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                 "Principal": {"Service": "backup.amazonaws.com"}}]}


@pytest.fixture
def iam(aws_emulator: RunningService) -> Any:
    return boto3.client("iam", endpoint_url=aws_emulator.url, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def test_aws_managed_backup_policy_exists_and_attaches(iam: Any, unique_name: str) -> None:
    assert iam.get_policy(PolicyArn=BACKUP_POLICY)["Policy"]["PolicyName"] == "AWSBackupServiceRolePolicyForBackup"
    name = f"backup-{unique_name}"
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))
    try:
        iam.attach_role_policy(RoleName=name, PolicyArn=BACKUP_POLICY)
        attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
        assert [p["PolicyArn"] for p in attached] == [BACKUP_POLICY]
        with pytest.raises(ClientError, match="NoSuchEntity"):  # a policy AWS does not have still fails
            iam.attach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicyAnywhere")
        iam.detach_role_policy(RoleName=name, PolicyArn=BACKUP_POLICY)
    finally:
        iam.delete_role(RoleName=name)
