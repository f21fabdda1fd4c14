"""``aws.iam_role``: an IAM role with its trust policy, attached managed policies, inline policies
and tags — e.g. the service role AWS Backup assumes for ``aws.backup_selection.iam_role_arn``.
Cloud id: the role name (unique in the account).

Invariants
- create adopts a role that already has the name (``EntityAlreadyExists``) and converges every
  setting, so a create interrupted after CreateRole converges on the next apply.
- policies (trust and inline) are compared in ``canonical_policy`` form: key order and
  single-vs-list values never show as a diff; attached policy ARNs are a set (sorted).
- ``name`` and ``path`` force replacement; everything else changes in place, each setting with its
  own call (UpdateAssumeRolePolicy, UpdateRole, Attach/DetachRolePolicy, Put/DeleteRolePolicy,
  Tag/UntagRole), only where it differs.
- delete detaches the managed policies, deletes the inline ones and removes the role from its
  instance profiles before DeleteRole (AWS refuses otherwise); a missing role is success.
"""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar
from urllib.parse import unquote

from pydantic import Field, field_validator

from modelinfra.errors import TerminalError
from modelinfra.providers.aws.errors import aws_errors, is_code, map_error
from modelinfra.providers.aws.policy_document import canonical_policy, check_policy, parse_policy
from modelinfra.providers.aws.tags import check_tags
from modelinfra.providers.base import ResourceContext, ResourceHandler, strip_managed_tags
from modelinfra.spec.fields import SpecModel, Tags

NOT_FOUND = "NoSuchEntity"
ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
ROLE_PATH = re.compile(r"^/([\x21-\x7e]*/)?$")
POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(aws|\d{12}):policy/[\x21-\x7e]+$")
INLINE_NAME = re.compile(r"^[\w+=,.@-]{1,128}$")
SESSION_SECONDS = (3600, 43200)


class IamRoleSpec(SpecModel):
    name: str = Field(description="Role name, 1-64 of letters, digits and +=,.@_- (forces replacement).")
    assume_role_policy: dict[str, Any] | str = Field(description=(
        "Trust policy: who may assume the role (a JSON document as a mapping or a JSON string), e.g. "
        "Principal {Service: backup.amazonaws.com}; compared semantically."))
    managed_policy_arns: list[str] = Field(default_factory=list, description=(
        "Managed policies to attach, e.g. arn:aws:iam::aws:policy/service-role/"
        "AWSBackupServiceRolePolicyForBackup; others attached outside modelinfra are detached."))
    inline_policies: dict[str, dict[str, Any] | str] = Field(default_factory=dict, description=(
        "Inline policies by name (each a JSON document); others on the role are deleted."))
    description: str = Field(default="", max_length=1000, description="Role description.")
    max_session_duration: int = Field(default=3600, ge=SESSION_SECONDS[0], le=SESSION_SECONDS[1],
                                      description="Maximum session duration in seconds (3600-43200).")
    path: str = Field(default="/", max_length=512, description="Role path, e.g. /service-role/ (forces replacement).")
    tags: Tags

    @field_validator("name")
    @classmethod
    def _valid_name(cls, name: str) -> str:
        if not ROLE_NAME.match(name):
            raise ValueError("invalid role name: 1 to 64 letters, digits or +=,.@_-")
        return name

    @field_validator("path")
    @classmethod
    def _valid_path(cls, path: str) -> str:
        if not ROLE_PATH.match(path):
            raise ValueError("invalid role path: must begin and end with '/' (e.g. /service-role/)")
        return path

    @field_validator("assume_role_policy")
    @classmethod
    def _valid_trust(cls, policy: dict[str, Any] | str) -> dict[str, Any] | str:
        return check_policy(policy)

    @field_validator("managed_policy_arns")
    @classmethod
    def _valid_arns(cls, arns: list[str]) -> list[str]:
        for arn in arns:
            if not POLICY_ARN.match(arn):
                raise ValueError(f"{arn!r} is not an IAM policy ARN (arn:aws:iam::aws|<account>:policy/<name>)")
        if len(set(arns)) != len(arns):
            raise ValueError("managed_policy_arns lists the same ARN twice")
        return arns

    @field_validator("inline_policies")
    @classmethod
    def _valid_inline(cls, policies: dict[str, dict[str, Any] | str]) -> dict[str, dict[str, Any] | str]:
        for name, policy in policies.items():
            if not INLINE_NAME.match(name):
                raise ValueError(f"invalid inline policy name {name!r}: 1 to 128 letters, digits or +=,.@_-")
            try:
                check_policy(policy)
            except ValueError as exc:
                raise ValueError(f"inline policy {name!r}: {exc}") from None
        return policies

    @field_validator("tags")
    @classmethod
    def _valid_tags(cls, tags: dict[str, str]) -> dict[str, str]:
        return check_tags(tags)


def _document(value: Any) -> dict[str, Any]:
    """A policy document as IAM returns it: a dict (botocore decoded it) or URL-encoded JSON."""
    if isinstance(value, dict):
        return value
    return parse_policy(unquote(str(value)))


class IamRoleHandler(ResourceHandler[IamRoleSpec]):
    type_name: ClassVar[str] = "aws.iam_role"
    cloud_id_form: ClassVar[str] = "the role name, or its ARN arn:aws:iam::ACCOUNT:role/PATH/NAME"
    cloud: ClassVar[str] = "aws"
    spec_model = IamRoleSpec
    computed: ClassVar[tuple[str, ...]] = ("arn", "unique_id")
    force_new: ClassVar[tuple[str, ...]] = ("name", "path")
    taggable: ClassVar[bool] = True
    lookup_keys: ClassVar[tuple[str, ...]] = ("name",)

    def identify(self, ctx: ResourceContext, spec: IamRoleSpec) -> str:
        return spec.name

    def parse_cloud_id(self, cloud_id: str) -> str:
        text = cloud_id.strip()
        if text.startswith("arn:"):
            parts = text.split(":", 5)
            if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
                raise ValueError(f"{cloud_id!r} is not an IAM role ARN; expected {self.cloud_id_form}")
            text = parts[5].rsplit("/", 1)[-1]
        if not ROLE_NAME.match(text):
            raise ValueError(f"{cloud_id!r} is not an IAM role name; expected {self.cloud_id_form}")
        return text

    def normalise(self, attributes: dict[str, Any]) -> dict[str, Any]:
        out = dict(attributes)
        if isinstance(out.get("assume_role_policy"), (dict, str)):
            out["assume_role_policy"] = canonical_policy(out["assume_role_policy"])
        if isinstance(out.get("inline_policies"), dict):
            out["inline_policies"] = {k: canonical_policy(v) for k, v in out["inline_policies"].items()}
        if isinstance(out.get("managed_policy_arns"), list):
            out["managed_policy_arns"] = sorted(out["managed_policy_arns"])
        return out

    def read(self, ctx: ResourceContext, cloud_id: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        client = ctx.session.client("iam")
        try:
            role = client.get_role(RoleName=cloud_id)["Role"]
            attached = [p["PolicyArn"] for page in client.get_paginator("list_attached_role_policies").paginate(
                RoleName=cloud_id) for p in page.get("AttachedPolicies") or []]
            names = [n for page in client.get_paginator("list_role_policies").paginate(RoleName=cloud_id)
                     for n in page.get("PolicyNames") or []]
            inline = {n: _document(client.get_role_policy(RoleName=cloud_id, PolicyName=n)["PolicyDocument"])
                      for n in names}
            tags = {t["Key"]: t["Value"] for page in client.get_paginator("list_role_tags").paginate(
                RoleName=cloud_id) for t in page.get("Tags") or []}
        except ClientError as exc:
            if is_code(exc, NOT_FOUND):
                return None
            raise map_error(exc, f"reading IAM role {cloud_id}") from exc
        return self.normalise({
            "name": role["RoleName"],
            "assume_role_policy": _document(role["AssumeRolePolicyDocument"]),
            "managed_policy_arns": attached,
            "inline_policies": inline,
            "description": role.get("Description") or "",
            "max_session_duration": role.get("MaxSessionDuration", 3600),
            "path": role.get("Path", "/"),
            "tags": strip_managed_tags(tags),
            "arn": role["Arn"],
            "unique_id": role["RoleId"],
        })

    def create(self, ctx: ResourceContext, spec: IamRoleSpec) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        client = ctx.session.client("iam")
        tags = {**spec.tags, **ctx.managed_tags}
        try:
            client.create_role(
                RoleName=spec.name, Path=spec.path, Description=spec.description,
                AssumeRolePolicyDocument=json.dumps(parse_policy(spec.assume_role_policy)),
                MaxSessionDuration=spec.max_session_duration,
                Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
        except ClientError as exc:
            if not is_code(exc, "EntityAlreadyExists"):
                raise map_error(exc, f"creating IAM role {spec.name}") from exc
        return self._converge(ctx, spec)  # also adopts a role that already had the name

    def update(
        self, ctx: ResourceContext, spec: IamRoleSpec, observed: dict[str, Any], changes: list[Any]
    ) -> dict[str, Any]:
        return self._converge(ctx, spec)

    def _converge(self, ctx: ResourceContext, spec: IamRoleSpec) -> dict[str, Any]:
        """Make every setting of the live role what ``spec`` says (only the calls needed)."""
        client = ctx.session.client("iam")
        have = self._read_back(ctx, spec.name)
        want = self.desired(ctx, spec)
        with aws_errors(f"updating IAM role {spec.name}"):
            if have["assume_role_policy"] != want["assume_role_policy"]:
                client.update_assume_role_policy(
                    RoleName=spec.name, PolicyDocument=json.dumps(parse_policy(spec.assume_role_policy)))
            if (have["description"], have["max_session_duration"]) != (spec.description, spec.max_session_duration):
                client.update_role(RoleName=spec.name, Description=spec.description,
                                   MaxSessionDuration=spec.max_session_duration)
            for arn in set(have["managed_policy_arns"]) - set(spec.managed_policy_arns):
                client.detach_role_policy(RoleName=spec.name, PolicyArn=arn)
            for arn in sorted(set(spec.managed_policy_arns) - set(have["managed_policy_arns"])):
                client.attach_role_policy(RoleName=spec.name, PolicyArn=arn)
            for name in set(have["inline_policies"]) - set(spec.inline_policies):
                client.delete_role_policy(RoleName=spec.name, PolicyName=name)
            for name, policy in spec.inline_policies.items():
                if have["inline_policies"].get(name) != want["inline_policies"][name]:
                    client.put_role_policy(RoleName=spec.name, PolicyName=name,
                                           PolicyDocument=json.dumps(parse_policy(policy)))
            _sync_role_tags(client, spec.name, {**spec.tags, **ctx.managed_tags})
        return self._read_back(ctx, spec.name)

    def _read_back(self, ctx: ResourceContext, name: str) -> dict[str, Any]:
        observed = self.read(ctx, name)
        if observed is None:
            raise TerminalError(f"IAM role {name} disappeared right after it was created or adopted")
        return observed

    def delete(self, ctx: ResourceContext, cloud_id: str, attributes: dict[str, Any]) -> None:
        from botocore.exceptions import ClientError

        client = ctx.session.client("iam")
        try:
            for page in client.get_paginator("list_attached_role_policies").paginate(RoleName=cloud_id):
                for policy in page.get("AttachedPolicies") or []:
                    client.detach_role_policy(RoleName=cloud_id, PolicyArn=policy["PolicyArn"])
            for page in client.get_paginator("list_role_policies").paginate(RoleName=cloud_id):
                for name in page.get("PolicyNames") or []:
                    client.delete_role_policy(RoleName=cloud_id, PolicyName=name)
            for page in client.get_paginator("list_instance_profiles_for_role").paginate(RoleName=cloud_id):
                for profile in page.get("InstanceProfiles") or []:
                    client.remove_role_from_instance_profile(InstanceProfileName=profile["InstanceProfileName"],
                                                             RoleName=cloud_id)
            client.delete_role(RoleName=cloud_id)
        except ClientError as exc:
            if is_code(exc, NOT_FOUND):
                return
            raise map_error(exc, f"deleting IAM role {cloud_id}") from exc


def _sync_role_tags(client: Any, name: str, want: dict[str, str]) -> None:
    have = {t["Key"]: t["Value"] for page in client.get_paginator("list_role_tags").paginate(RoleName=name)
            for t in page.get("Tags") or []}
    stale = [k for k in have if k not in want]
    changed = [{"Key": k, "Value": v} for k, v in want.items() if have.get(k) != v]
    if stale:
        client.untag_role(RoleName=name, TagKeys=stale)
    if changed:
        client.tag_role(RoleName=name, Tags=changed)
