"""Find AWS resources tagged ``modelinfra-stack=<stack>`` in the session's region, through the
Resource Groups Tagging API (``GetResources`` with a tag filter, every page). Used by
``drift --unmanaged``; read-only.

``discover(session, stack, managed)`` returns one dict per resource, sorted by ARN::

    {"cloud": "aws", "cloud_id": bucket/vault name or ARN, "cloud_type": "s3:bucket",
     "type": "aws.s3_bucket" | None, "name": ..., "address": the modelinfra-address tag | None}

``cloud_id`` is what our handler would record as the id where one applies (a bucket's or a
vault's name), the ARN otherwise (e.g. backup plans, whose id here is their AWS plan id; callers
also match it against the ``arn`` attribute in state). S3 buckets are global: the tagging API of
the region lists the buckets it knows. Any failure (unreachable endpoint, expired credentials)
raises ``ProviderError``: it is never read as "nothing unmanaged".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from modelinfra.providers.aws.errors import aws_errors
from modelinfra.providers.base import MANAGED_TAG_ADDRESS, MANAGED_TAG_STACK

ARN_TYPES: dict[str, str] = {
    "s3:bucket": "aws.s3_bucket",
    "backup:backup-vault": "aws.backup_vault",
    "backup:backup-plan": "aws.backup_plan",
    "iam:role": "aws.iam_role",
    "kms:key": "aws.kms_key",
}
"""``service:resource-type`` of an ARN -> our resource type; others keep their ARN type."""


def arn_type(arn: str) -> tuple[str, str]:
    """(``service:resource-type``, resource name) of an ARN.

    ``arn:aws:s3:::b`` -> (``s3:bucket``, ``b``); ``arn:aws:backup:r:a:backup-vault:v`` ->
    (``backup:backup-vault``, ``v``); ``arn:aws:ec2:r:a:volume/vol-1`` -> (``ec2:volume``, ``vol-1``).
    """
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return "", arn
    service, resource = parts[2], parts[5]
    if service == "s3" and "/" not in resource:
        return "s3:bucket", resource
    for sep in (":", "/"):
        if sep in resource:
            kind, name = resource.split(sep, 1)
            return f"{service}:{kind}", name
    return f"{service}:{resource}", resource


def discover(session: Any, stack: str, managed: Iterable[tuple[str, str]] = ()) -> list[dict[str, Any]]:
    """``managed`` (the (type, id) pairs state holds) is accepted for symmetry with the other
    clouds; filtering out what state holds is the caller's job."""
    client = session.client("resourcegroupstaggingapi")
    found: dict[str, dict[str, Any]] = {}
    with aws_errors("listing resources tagged modelinfra-stack=" + stack):
        pages = client.get_paginator("get_resources").paginate(
            TagFilters=[{"Key": MANAGED_TAG_STACK, "Values": [stack]}]
        )
        for page in pages:
            for item in page.get("ResourceTagMappingList", []):
                arn = item["ResourceARN"]
                tags = {t["Key"]: t["Value"] for t in item.get("Tags", [])}
                kind, name = arn_type(arn)
                ours = ARN_TYPES.get(kind)
                if ours == "aws.iam_role":
                    name = name.rsplit("/", 1)[-1]  # role/service-role/NAME: the path is not part of the id
                found[arn] = {
                    "cloud": "aws",
                    "cloud_id": name if ours in ("aws.s3_bucket", "aws.backup_vault", "aws.iam_role") else arn,
                    "cloud_type": kind or "unknown",
                    "type": ours,
                    "name": name,
                    "address": tags.get(MANAGED_TAG_ADDRESS),
                }
    return [found[k] for k in sorted(found)]
