"""``plan --format markdown``: a plan as one PR comment (pure rendering of Plan objects)."""

from __future__ import annotations

from modelinfra.plans.action import Action
from modelinfra.plans.diff import AttributeChange
from modelinfra.plans.plan import DriftEntry, OutputChange, Plan, ResourceChange
from modelinfra.values import UNKNOWN, redact
from modelinfra.views.plan_markdown import MAX_CHARS, render


def plan_of(changes, **kw) -> Plan:
    return Plan("eco", "spec.yaml", "d" * 64, None, 0, {}, list(changes), **kw)


def bucket(i: int, action: Action = Action.CREATE) -> ResourceChange:
    after = {"name": f"ml-artifacts-{i:04d}", "versioning": True, "tags": {"team": "ml", "cost-center": "42"},
             "encryption": {"algorithm": "aws:kms", "kms_key_id": f"arn:aws:kms:us-east-1:1:key/{i:036d}"},
             "public_access_block": {"block_public_acls": True, "ignore_public_acls": True,
                                     "block_public_policy": True, "restrict_public_buckets": True},
             "lifecycle_rules": [{"id": "expire", "noncurrent_version_expiration_days": 30}], "arn": UNKNOWN}
    return ResourceChange(f"bucket_{i:04d}", "aws.s3_bucket", action, None, after)


def test_summary_table_and_collapsible_diffs():
    update = ResourceChange("account", "azure.storage_account", Action.UPDATE, {"min_tls_version": "TLS1_0"},
                            {"min_tls_version": "TLS1_2"}, [AttributeChange("min_tls_version", "TLS1_0", "TLS1_2")])
    replace = ResourceChange("disk", "azure.managed_disk", Action.DELETE_THEN_CREATE, {"name": "a"}, {"name": "b"},
                             [AttributeChange("name", "a", "b", forces_replacement=True)])
    md = render(plan_of([bucket(1), update, replace], resource_drift=[
        DriftEntry("account", "azure.storage_account", "modified", [AttributeChange("tags.owner", "a", "b")])]))
    assert md.startswith("<!-- modelinfra-plan:eco -->\n## modelinfra plan for stack `eco`")
    assert "**Plan: 2 to add, 1 to change, 1 to destroy.**" in md
    assert "| `+` Create | 1 | `bucket_0001` |" in md
    assert "| `~` Update in place | 1 | `account` |" in md
    assert "| `-/+` Replace | 1 | `disk` |" in md
    assert "- `account` (`azure.storage_account`): `tags.owner`" in md
    assert md.count("<details>") == 3 and md.count("</details>") == 3
    assert "<summary><code>~ account</code> (azure.storage_account) will be updated in-place</summary>" in md
    assert '- min_tls_version = "TLS1_0"\n+ min_tls_version = "TLS1_2"' in md
    assert '+ name = "b"  # forces replacement' in md
    assert "+ arn = (known after apply)" in md


def test_no_changes():
    md = render(plan_of([ResourceChange("a", "aws.s3_bucket", Action.NOOP, {}, {})]))
    assert "**No changes.**" in md and "<details>" not in md


def test_secrets_are_masked():
    secret = "Endpoint=sb://ns/;SharedAccessKey=hunter2"
    change = ResourceChange("ns", "azure.servicebus_namespace", Action.CREATE, None,
                            {"name": "ns", "primary_connection_string": redact(secret)})
    md = render(plan_of([change], output_changes=[OutputChange("conn", Action.CREATE, None, secret, sensitive=True)]))
    assert "hunter2" not in md and "(sensitive value)" in md


def test_backticks_in_values_cannot_close_the_fence():
    change = ResourceChange("o", "aws.s3_object", Action.CREATE, None, {"key": "a````b"})
    md = render(plan_of([change]))
    assert "`````diff\n" in md and "\n`````\n" in md


def test_a_300_resource_plan_fits_one_comment_with_every_address():
    changes = [bucket(i) for i in range(300)]
    md = render(plan_of(changes))
    assert len(md) < 65_536 and len(md) <= MAX_CHARS
    assert "**Plan: 300 to add, 0 to change, 0 to destroy.**" in md
    assert all(f"bucket_{i:04d}" in md for i in range(300))
    assert "<details>" in md and "more changes, without their diffs" in md
    assert "not shown" not in md  # every resource at least listed


def test_a_huge_plan_is_cut_with_a_note():
    md = render(plan_of([bucket(i) for i in range(5000)]))
    assert len(md) <= MAX_CHARS
    assert md.rstrip().splitlines()[-1].startswith("> **Note:**") and "more changes not shown" in md
