"""Terraform habits through the installed CLI against moto: ``apply --target``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_plan_features import buckets, stack  # noqa: F401  (the fixture)

pytestmark = pytest.mark.e2e


def test_apply_target_applies_only_the_target_and_what_it_needs(stack, tmp_path: Path):  # noqa: F811
    write, cli, name = stack
    write()
    applied = cli("apply", "spec.yaml", "--target", "model", "--auto-approve")
    assert applied.code == 0, applied.output
    assert f"second-{name}" in buckets() and f"first-{name}" not in buckets()
    saved = tmp_path / "p.plan"
    assert cli("plan", "spec.yaml", "--out", str(saved)).code == 0
    refused = cli("apply", str(saved), "--target", "first")
    assert refused.code == 1 and "do not change a saved plan" in refused.stderr
    assert cli("destroy", "spec.yaml", "--auto-approve").code == 0


def test_replace_forces_a_replacement_in_plan_and_apply(stack):  # noqa: F811
    write, cli, name = stack
    write()
    assert cli("apply", "spec.yaml", "--auto-approve").code == 0
    planned = cli("plan", "spec.yaml", "--replace", "first")
    assert planned.code == 0, planned.output
    assert "# first must be replaced (replacement requested with --replace)" in planned.stdout, planned.stdout
    assert "Plan: 1 to add, 0 to change, 1 to destroy." in planned.stdout
    applied = cli("apply", "spec.yaml", "--replace", "first", "--auto-approve")
    assert applied.code == 0 and "1 added, 0 changed, 1 destroyed" in applied.stdout, applied.output
    assert cli("plan", "spec.yaml", "--detailed-exitcode").code == 0, "converged"
    unknown = cli("plan", "spec.yaml", "--replace", "nope")
    assert unknown.code == 1 and "--replace nope" in unknown.stderr
    assert cli("destroy", "spec.yaml", "--auto-approve").code == 0
