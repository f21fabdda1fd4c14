"""`make demo`'s script runs an example's whole lifecycle against a sandbox it starts and stops."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def test_demo_runs_an_example_through_its_lifecycle_and_stops_the_sandbox():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py"), "--example", "azure-retraining-queue.yaml"],
        capture_output=True, text=True, timeout=300,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    steps = ["validate", "plan", "apply", "drift — exit 2 means drift", "apply repairs the drift", "destroy"]
    for step in steps:
        assert f"azure-retraining-queue.yaml: {step}" in out
    assert out.count("(exit 2)") == 2, "the first plan and the drift both report changes"
    assert "Destroy complete! Resources: 3 destroyed." in out
    assert "demo complete: 1 example(s)" in out
    assert "stopping the sandbox" in out


def test_demo_rejects_an_unknown_example():
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py"), "--example", "nope.yaml"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "no such example: nope.yaml" in proc.stderr
