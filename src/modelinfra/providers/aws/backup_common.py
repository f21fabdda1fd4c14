"""Pieces the three AWS Backup handlers share: name rules, tag checks (one rule set for every AWS
resource, in ``aws.tags``) and tag sync, plan lookup.

No SDK at module level. botocore errors are mapped by ``modelinfra.providers.aws.errors`` (shared
with the S3 handlers): throttling -> ``RetryableError``, anything else -> ``TerminalError`` carrying
the AWS code and message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from modelinfra.providers.aws.errors import aws_errors, is_code
from modelinfra.providers.aws.tags import check_tags as check_tags  # re-exported for the Backup spec models

NOT_FOUND = "ResourceNotFoundException"
PLAN_NAME = re.compile(r"^[a-zA-Z0-9\-_.]{1,50}$")
RULE_NAME = PLAN_NAME
SELECTION_NAME = PLAN_NAME
VAULT_NAME = re.compile(r"^[a-zA-Z0-9\-_]{2,50}$")
IAM_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
VAULT_ARN = re.compile(r"^arn:aws[a-z-]*:backup:[a-z0-9-]+:\d{12}:backup-vault:[a-zA-Z0-9\-_]{2,50}$")
KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")


def check_name(value: str, pattern: re.Pattern[str], what: str, rule: str) -> str:
    """``value`` if it matches ``pattern``; messages leave the value out (the spec's problem
    renderer appends ``(got 'value')`` itself)."""
    if not pattern.match(value):
        raise ValueError(f"invalid {what}: {rule}")
    return value


def read_tags(client: Any, arn: str) -> dict[str, str]:
    """Every tag on ``arn`` (ListTags, following NextToken), managed ones included."""
    tags: dict[str, str] = {}
    kwargs: dict[str, Any] = {"ResourceArn": arn}
    with aws_errors(f"listing tags of {arn}"):
        while True:
            page = client.list_tags(**kwargs)
            tags.update(page.get("Tags") or {})
            if not page.get("NextToken"):
                return tags
            kwargs["NextToken"] = page["NextToken"]


def sync_tags(client: Any, arn: str, want: Mapping[str, str]) -> None:
    """Make the tags on ``arn`` exactly ``want`` (which includes the managed tags)."""
    have = read_tags(client, arn)
    stale = [key for key in have if key not in want]
    changed = {key: value for key, value in want.items() if have.get(key) != value}
    with aws_errors(f"tagging {arn}"):
        if stale:
            client.untag_resource(ResourceArn=arn, TagKeyList=stale)
        if changed:
            client.tag_resource(ResourceArn=arn, Tags=dict(changed))


def find_plan(client: Any, name: str) -> dict[str, Any] | None:
    """The live (not deleted) backup plan named ``name`` as a ListBackupPlans entry, or None."""
    with aws_errors(f"listing backup plans to find {name}"):
        for page in client.get_paginator("list_backup_plans").paginate():
            for entry in page.get("BackupPlansList") or []:
                if entry.get("BackupPlanName") == name and not entry.get("DeletionDate"):
                    return dict(entry)
    return None


def plan_is_gone(exc: BaseException) -> bool:
    """AWS answers a call about a missing plan with ResourceNotFoundException, or (selection
    calls) with InvalidParameterValueException "Cannot find Backup plan with ID ..."."""
    if is_code(exc, NOT_FOUND):
        return True
    message = str(getattr(exc, "response", {}).get("Error", {}).get("Message", ""))
    return is_code(exc, "InvalidParameterValueException") and "Cannot find Backup plan" in message
