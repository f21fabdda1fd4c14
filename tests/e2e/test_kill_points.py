"""kill -9 at 20 points spread over a 47-resource S3 + Backup apply (8 versioned buckets, 32 objects,
2 vaults, 2 backup plans, 3 selections) through the installed CLI against moto: after each, one apply
converges (the next plan is empty) and nothing is duplicated (every bucket, object version, vault,
plan and selection exists exactly once).

Kill points are deterministic in what has happened, without sleeps: the test reads the apply's
progress on stderr and kills it right after the k-th action *started* ("addr: Creating...") or the
k-th action *completed* ("addr: Creation complete"); with high parallelism many actions are in
flight at that moment.

Two shapes, because one 47-resource apply costs ~10 s on the shared test machine:
- in the suite, a chain: the apply is killed 20 times in a row, each next apply recovering from the
  previous kill and itself killed at its first action started or completed (parallelism 2, so a
  kill lands every one or two actions and the 20 points cover most of the apply);
  after every kill the cloud holds nothing twice and nothing the stack does not declare, and the
  apply after the last kill converges (the next plan is empty). ~70 s.
- ``MODELINFRA_ALL_KILL_POINTS=1``: 20 independent stacks, each killed once at its own point and
  then required to converge on the very next apply (~13 s a point, ~4-5 min).
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections import Counter
from pathlib import Path

import boto3
import pytest

from tests.e2e.cli import modelinfra_executable, run_cli

pytestmark = pytest.mark.e2e

BUCKETS, OBJECTS_PER_BUCKET = 8, 4
PLANS = 2  # one vault each
SELECTIONS = 3
RESOURCES = BUCKETS + BUCKETS * OBJECTS_PER_BUCKET + 2 * PLANS + SELECTIONS
KILL_POINTS = 20
ROLE = "arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole"


def spec_text(name: str) -> str:
    lines = [f"version: 1\nname: {name}\nproviders:\n  aws: {{region: us-east-1}}\nresources:"]
    for b in range(BUCKETS):
        lines.append(f"  bucket{b}:\n    type: aws.s3_bucket\n"
                     f"    properties: {{name: {name}-b{b}, versioning: true, tags: {{team: ml}}}}")
        for o in range(OBJECTS_PER_BUCKET):
            lines.append(f"  obj{b}_{o}:\n    type: aws.s3_object\n"
                         f"    properties: {{bucket: '${{bucket{b}.name}}', key: models/m{o}.bin, source: ./m{o}.bin}}")
    for p in range(PLANS):
        lines.append(f"  vault{p}:\n    type: aws.backup_vault\n    properties: {{name: {name}-v{p}}}")
        lines.append(f"  plan{p}:\n    type: aws.backup_plan\n    properties:\n      name: {name}-p{p}\n"
                     f"      rules: [{{name: daily, target_vault: '${{vault{p}.name}}', schedule: cron(0 5 ? * * *)}}]")
    for s in range(SELECTIONS):
        arns = ", ".join(f"'${{bucket{b}.arn}}'" for b in range(s, BUCKETS, SELECTIONS))
        lines.append(f"  sel{s}:\n    type: aws.backup_selection\n    properties:\n      name: {name}-s{s}\n"
                     f"      plan: '${{plan{s % PLANS}.id}}'\n      iam_role_arn: {ROLE}\n      resources: [{arns}]")
    return "\n".join(lines) + "\n"


def kill_when(spec: Path, marker: str, count: int, parallelism: int = 16) -> int:
    """Start ``apply``, kill -9 it once ``count`` stderr lines contain ``marker``; its exit code."""
    proc = subprocess.Popen([modelinfra_executable(), "apply", str(spec), "--auto-approve",
                             "--parallelism", str(parallelism)],
                            env={**os.environ, "NO_COLOR": "1"}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, cwd=spec.parent)
    assert proc.stderr is not None
    seen = 0
    try:
        for line in proc.stderr:
            seen += marker in line
            if seen >= count:
                proc.send_signal(signal.SIGKILL)
                break
        proc.stderr.read()
        return proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()


def cloud_census(name: str) -> Counter[str]:
    """How many times each thing the stack makes exists in moto (object *versions* counted)."""
    s3, backup = boto3.client("s3"), boto3.client("backup")
    found: Counter[str] = Counter()
    for bucket in (b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(f"{name}-")):
        found[f"bucket {bucket}"] += 1
        page = s3.list_object_versions(Bucket=bucket)
        for entry in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
            found[f"object {bucket}/{entry['Key']}"] += 1
    for vault in backup.list_backup_vaults()["BackupVaultList"]:
        if vault["BackupVaultName"].startswith(f"{name}-"):
            found[f"vault {vault['BackupVaultName']}"] += 1
    for plan in backup.list_backup_plans()["BackupPlansList"]:
        if plan["BackupPlanName"].startswith(f"{name}-"):
            found[f"plan {plan['BackupPlanName']}"] += 1
            for selection in backup.list_backup_selections(BackupPlanId=plan["BackupPlanId"])["BackupSelectionsList"]:
                found[f"selection {selection['SelectionName']}"] += 1
    return found


def expected_census(name: str) -> Counter[str]:
    return Counter([f"bucket {name}-b{b}" for b in range(BUCKETS)]
                   + [f"object {name}-b{b}/models/m{o}.bin" for b in range(BUCKETS) for o in range(OBJECTS_PER_BUCKET)]
                   + [f"vault {name}-v{p}" for p in range(PLANS)] + [f"plan {name}-p{p}" for p in range(PLANS)]
                   + [f"selection {name}-s{s}" for s in range(SELECTIONS)])


def kill_then_converge(base: Path, suffix: str, point: int) -> None:
    name = f"kp{point}-{suffix}"
    directory = base / name
    directory.mkdir()
    spec = write_stack(directory, name)
    # even points: after the k-th action started; odd: after the k-th completed; k over 1..RESOURCES-1
    marker = ": Creating..." if point % 2 == 0 else ": Creation complete"
    k = 1 + point * (RESOURCES - 2) // (KILL_POINTS - 1)
    code = kill_when(spec, marker, k)
    assert code == -signal.SIGKILL, f"point {point}: the apply ended ({code}) before {k} lines with {marker!r}"

    recovered = run_cli("apply", spec, "--auto-approve", "--parallelism", "16", cwd=directory)
    assert recovered.code == 0, f"point {point} ({marker} #{k}): {recovered.output}"
    again = run_cli("plan", spec, "--detailed-exitcode", cwd=directory)
    assert again.code == 0 and "No changes." in again.stdout, f"point {point} ({marker} #{k}): {again.output}"
    census = cloud_census(name)
    assert census == expected_census(name), f"point {point} ({marker} #{k}): {census - expected_census(name)}"


def test_spec_has_47_resources() -> None:
    assert RESOURCES == 47 and spec_text("x").count("    type: ") == RESOURCES


def write_stack(directory: Path, name: str) -> Path:
    for o in range(OBJECTS_PER_BUCKET):
        (directory / f"m{o}.bin").write_bytes(f"weights {o}".encode() * 100)
    spec = directory / "stack.yaml"
    spec.write_text(spec_text(name))
    return spec


def test_twenty_kills_in_a_row_duplicate_nothing_and_the_next_apply_converges(
        tmp_path: Path, aws_env: dict[str, str], unique_name: str) -> None:
    name = f"kc-{unique_name[:8]}"
    spec = write_stack(tmp_path, name)
    expected = expected_census(name)
    for point in range(KILL_POINTS):
        marker = ": Creating..." if point % 2 == 0 else ": Creation complete"
        code = kill_when(spec, marker, 1, parallelism=2)
        assert code == -signal.SIGKILL, f"kill {point}: the apply ended ({code}) before a line with {marker!r}"
        census = cloud_census(name)
        assert set(census) <= set(expected) and max(census.values(), default=1) == 1, (
            f"kill {point}: duplicated or undeclared: {census - expected}")
    assert len(cloud_census(name)) < RESOURCES, "the kills were spread over the apply, not after it"

    recovered = run_cli("apply", spec, "--auto-approve", "--parallelism", "16", cwd=tmp_path)
    assert recovered.code == 0, recovered.output
    again = run_cli("plan", spec, "--detailed-exitcode", cwd=tmp_path)
    assert again.code == 0 and "No changes." in again.stdout, again.output
    assert cloud_census(name) == expected


@pytest.mark.skipif(not os.environ.get("MODELINFRA_ALL_KILL_POINTS"),
                    reason="~4-5 min: set MODELINFRA_ALL_KILL_POINTS=1 (the chained test runs in the suite)")
@pytest.mark.timeout(900)
@pytest.mark.parametrize("point", range(KILL_POINTS))
def test_each_kill_point_converges_on_the_next_apply_with_nothing_duplicated(
        tmp_path: Path, aws_env: dict[str, str], unique_name: str, point: int) -> None:
    kill_then_converge(tmp_path, unique_name[:6], point)
