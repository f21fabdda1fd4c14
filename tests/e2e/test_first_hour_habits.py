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
    assert refused.code == 1 and "--target cannot narrow a saved plan" in refused.stderr
    assert cli("destroy", "spec.yaml", "--auto-approve").code == 0
