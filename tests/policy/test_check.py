"""``run_check``: which rules fire, where, and how suppressions (with expiry) apply."""

from __future__ import annotations

import datetime as dt

import pytest

from modelinfra.errors import SpecError
from modelinfra.policy.check import run_check
from modelinfra.policy.rules import RULES
from tests.policy.specs import STRONG, WEAK, WEAK_FINDINGS, compiled, line_of

TODAY = dt.date(2026, 12, 1)


def test_weak_spec_trips_every_rule(tmp_path):
    report = run_check(compiled(tmp_path, WEAK), TODAY)
    assert {(f.rule.id, f.address) for f in report.findings} == WEAK_FINDINGS
    assert {r.id for r in RULES} - {f.rule.id for f in report.findings} == set()
    assert all(f.active for f in report.findings)


def test_strong_spec_is_clean(tmp_path):
    assert run_check(compiled(tmp_path, STRONG), TODAY).findings == []


def test_findings_point_at_the_property_else_the_resource(tmp_path):
    report = run_check(compiled(tmp_path, WEAK), TODAY)
    where = {(f.rule.id, f.address): (f.line, f.col) for f in report.findings}
    assert where[("MI-AZ-STORAGE-TLS", "account")] == (line_of(WEAK, "min_tls_version: TLS1_1"), 7)
    assert where[("MI-AWS-S3-PUBLIC-ACCESS", "bucket")] == (line_of(WEAK, "public_access_block:"), 7)
    # versioning is unset (the default false): the finding sits on the resource's key
    assert where[("MI-AWS-S3-VERSIONING", "bucket")] == (line_of(WEAK, "  bucket:"), 3)
    assert report.findings[0].file.endswith("spec.yaml")


def test_unknown_values_are_not_judged(tmp_path):
    text = WEAK.replace("min_tls_version: TLS1_1", "min_tls_version: ${var.tls}").replace(
        "resources:\n", "variables:\n  tls: {default: TLS1_0}\nresources:\n", 1)
    spec = compiled(tmp_path, text)
    assert ("MI-AZ-STORAGE-TLS", "account") in {(f.rule.id, f.address) for f in run_check(spec, TODAY).findings}
    spec.variables.pop("tls")  # the value is not known: lenient evaluation makes it UNKNOWN
    found = {(f.rule.id, f.address) for f in run_check(spec, TODAY).findings}
    assert ("MI-AZ-STORAGE-TLS", "account") not in found and ("MI-AZ-STORAGE-HTTPS", "account") in found


SKIP = """policy:
  skip:
    - {{rule: MI-AZ-STORAGE-TLS, address: account, reason: legacy scorer needs TLS 1.1{until}}}
"""


def test_a_suppression_with_a_reason_silences_one_finding(tmp_path):
    report = run_check(compiled(tmp_path, WEAK + SKIP.format(until=", until: 2027-06-30")), TODAY)
    [tls] = [f for f in report.findings if f.rule.id == "MI-AZ-STORAGE-TLS"]
    assert not tls.active and tls.suppressed == "legacy scorer needs TLS 1.1" and tls.note is None
    assert len(report.failing("low")) == len(WEAK_FINDINGS) - 1
    assert report.counts()["suppressed"] == 1


def test_an_expired_suppression_turns_the_finding_back_on_and_says_so(tmp_path):
    report = run_check(compiled(tmp_path, WEAK + SKIP.format(until=", until: 2026-11-30")), TODAY)
    [tls] = [f for f in report.findings if f.rule.id == "MI-AZ-STORAGE-TLS"]
    assert tls.active and tls.note.startswith("suppression expired on 2026-11-30 (reason was: legacy scorer")


@pytest.mark.parametrize(("skip", "words"), [
    ("{rule: MI-AZ-STORAGE-TLS, address: account}", "reason"),
    ("{rule: MI-AZ-STORAGE-TLS, address: account, reason: x, until: soon}", "until"),
    ("{rule: not-a-rule, address: account, reason: x}", "rule"),
])
def test_malformed_suppressions_fail_validation_at_their_line(tmp_path, skip, words):
    text = WEAK + f"policy:\n  skip:\n    - {skip}\n"
    with pytest.raises(SpecError) as exc:
        compiled(tmp_path, text)
    assert f"spec.yaml:{line_of(text, '    - {rule')}" in str(exc.value) and words in str(exc.value)


def test_a_suppression_of_an_unknown_rule_is_an_error_at_its_line(tmp_path):
    text = WEAK + "policy:\n  skip:\n    - {rule: MI-NOPE, address: account, reason: x}\n"
    with pytest.raises(SpecError) as exc:
        run_check(compiled(tmp_path, text), TODAY)
    [problem] = exc.value.problems
    assert problem.line == line_of(text, "MI-NOPE") and "unknown rule 'MI-NOPE'" in problem.message


def test_the_readme_lists_every_rule_with_its_severity():
    from pathlib import Path
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for rule in RULES:
        assert f"| `{rule.id}` | {rule.severity} |" in readme, rule.id


ROLE = """\
  role:
    type: aws.iam_role
    properties:
      name: policy-role
      assume_role_policy: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Principal: {{Service: backup.amazonaws.com}}, Action: "sts:AssumeRole"}}]}}
{extra}"""


@pytest.mark.parametrize(("extra", "prop"), [
    ("      managed_policy_arns: [arn:aws:iam::aws:policy/AdministratorAccess]\n", "managed_policy_arns"),
    ("      inline_policies:\n        all: '{\"Version\": \"2012-10-17\", \"Statement\": {\"Effect\": \"Allow\", "
     "\"Action\": [\"*\"], \"Resource\": \"*\"}}'\n", "inline_policies"),
])
def test_iam_admin_fires_on_the_managed_policy_and_on_a_json_string_inline_policy(tmp_path, extra, prop):
    text = STRONG.split("  role:")[0] + ROLE.format(extra=extra)
    [finding] = [f for f in run_check(compiled(tmp_path, text), TODAY).findings if f.rule.id == "MI-AWS-IAM-ADMIN"]
    assert finding.property == prop and finding.line == line_of(text, f"{prop}:")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_no_rule_judges_or_trips_over_values_only_known_after_apply(rule):
    from modelinfra.policy.rules import Context
    from modelinfra.providers.registry import handler_for
    from modelinfra.values import UNKNOWN
    fields = handler_for(rule.type).spec_model.model_fields
    everything_unknown = dict.fromkeys(fields, UNKNOWN)
    for context in (Context(), Context(frozenset([UNKNOWN]), frozenset([UNKNOWN]))):
        assert rule.check(everything_unknown, context) is None
    lists_of_unknown = {**everything_unknown, "rules": [UNKNOWN], "managed_policy_arns": [UNKNOWN],
                        "inline_policies": {"p": UNKNOWN}}
    assert rule.check(lists_of_unknown, Context()) is None
