"""``aws.iam_role`` against moto server over HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from modelinfra.plans.diff import diff_attributes
from modelinfra.providers.aws.iam_role import IamRoleHandler, IamRoleSpec
from modelinfra.providers.aws.session import AwsSession
from modelinfra.providers.base import ResourceContext
from modelinfra.settings import Settings
from modelinfra.spec.providers import AwsProviderConfig
from tests.providers.conformance import check_lifecycle

HANDLER = IamRoleHandler()
BACKUP_POLICY = "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"
RESTORE_POLICY = "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores"
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                 "Principal": {"Service": "backup.amazonaws.com"}}]}
READ_MODELS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"],
                                                       "Resource": "arn:aws:s3:::models/*"}]}


@pytest.fixture
def ctx(aws_env: dict[str, str], tmp_path: Path) -> ResourceContext:
    session = AwsSession(AwsProviderConfig(region="us-east-1"), Settings(max_attempts=3))
    return ResourceContext(stack="iamtest", address="role", spec_dir=tmp_path, session=session)


def spec(**props: Any) -> IamRoleSpec:
    return IamRoleSpec.model_validate({"assume_role_policy": TRUST, **props})


def test_role_conformance_update_changes_policies_description_duration_and_tags(ctx: ResourceContext,
                                                                                unique_name: str) -> None:
    name = f"backup-{unique_name}"
    created = spec(name=name, managed_policy_arns=[BACKUP_POLICY], path="/service-role/", tags={"team": "ml"})
    updated = spec(name=name, path="/service-role/", managed_policy_arns=[RESTORE_POLICY, BACKUP_POLICY],
                   inline_policies={"read-models": json.dumps(READ_MODELS)}, description="AWS Backup role",
                   max_session_duration=7200, tags={"team": "ml", "env": "dev"},
                   assume_role_policy={**TRUST, "Statement": [{**TRUST["Statement"][0], "Sid": "Backup"}]})
    final = check_lifecycle(HANDLER, ctx, created, updated)
    assert final["arn"] == f"arn:aws:iam::123456789012:role/service-role/{name}" and final["unique_id"]
    assert final["managed_policy_arns"] == sorted([RESTORE_POLICY, BACKUP_POLICY])
    assert final["inline_policies"]["read-models"]["Statement"][0]["Resource"] == ["arn:aws:s3:::models/*"]
    assert final["max_session_duration"] == 7200 and final["tags"] == {"team": "ml", "env": "dev"}


def test_policies_attached_or_added_outside_modelinfra_are_removed(ctx: ResourceContext, unique_name: str) -> None:
    name = f"drift-{unique_name}"
    want = spec(name=name, managed_policy_arns=[BACKUP_POLICY])
    HANDLER.create(ctx, want)
    iam = ctx.session.client("iam")
    try:
        iam.attach_role_policy(RoleName=name, PolicyArn=RESTORE_POLICY)
        iam.put_role_policy(RoleName=name, PolicyName="extra", PolicyDocument=json.dumps(READ_MODELS))
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(
            {"Statement": [{"Principal": {"Service": ["backup.amazonaws.com"]}, "Action": ["sts:AssumeRole"],
                            "Effect": "Allow"}], "Version": "2012-10-17"}))  # same trust, other spelling
        observed = HANDLER.read(ctx, name) or {}
        changes = diff_attributes(HANDLER.desired(ctx, want), observed)
        assert sorted({c.path.split("[")[0].split(".")[0] for c in changes}) == ["inline_policies",
                                                                                 "managed_policy_arns"]
        after = HANDLER.update(ctx, want, observed, changes)
        assert after["managed_policy_arns"] == [BACKUP_POLICY] and after["inline_policies"] == {}
    finally:
        HANDLER.delete(ctx, name, {})
    assert HANDLER.read(ctx, name) is None


def test_name_and_path_force_replacement(ctx: ResourceContext) -> None:
    observed = HANDLER.desired(ctx, spec(name="a-role"))
    changes = diff_attributes(HANDLER.desired(ctx, spec(name="b-role", path="/svc/")), observed,
                              force_new=HANDLER.force_new)
    assert {c.path: c.forces_replacement for c in changes} == {"name": True, "path": True}


@pytest.mark.parametrize(("props", "message"), [
    ({"name": "has space"}, "invalid role name"),
    ({"name": "r", "path": "service-role"}, "must begin and end with '/'"),
    ({"name": "r", "assume_role_policy": "{}"}, "non-empty Statement"),
    ({"name": "r", "managed_policy_arns": ["AWSBackupServiceRolePolicyForBackup"]}, "not an IAM policy ARN"),
    ({"name": "r", "inline_policies": {"p": {"Statement": [{"Effect": "Allow"}]}}}, "inline policy 'p'"),
    ({"name": "r", "max_session_duration": 60}, "greater than or equal to 3600"),
])
def test_role_spec_rejects(props: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        spec(**props)


def test_import_takes_the_role_name_or_its_arn() -> None:
    assert HANDLER.parse_cloud_id("arn:aws:iam::123456789012:role/service-role/backup") == "backup"
    assert HANDLER.parse_cloud_id("backup") == "backup"
    with pytest.raises(ValueError, match="expected the role name"):
        HANDLER.parse_cloud_id("arn:aws:iam::123456789012:user/alice")
