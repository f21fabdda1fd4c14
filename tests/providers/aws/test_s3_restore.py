"""Point-in-time restore of ``aws.s3_object`` (``restore_at`` / ``restore_version_id``) on moto over HTTP."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from modelinfra.errors import TerminalError
from modelinfra.plans.diff import diff_attributes
from modelinfra.providers.aws.s3_object import S3ObjectHandler, list_versions
from modelinfra.providers.aws.s3_object_spec import S3ObjectSpec
from modelinfra.providers.aws.session import AwsSession
from modelinfra.providers.base import ResourceContext
from modelinfra.sandbox.base import RunningService
from modelinfra.settings import Settings
from modelinfra.spec.providers import AwsProviderConfig

HANDLER = S3ObjectHandler()
KEYS = ("list", "restore-at", "by-id", "deleted", "errors")


def make_ctx(spec_dir: Path) -> ResourceContext:
    session = AwsSession(AwsProviderConfig(region="us-east-1"), Settings(max_attempts=3))
    return ResourceContext(stack="s3test", address="artifact", spec_dir=spec_dir, session=session)


@pytest.fixture(scope="module")
def histories(aws_emulator: RunningService, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict]]:
    """One versioned bucket where each of KEYS (one per test) has three versions uploaded by the
    handler a second apart (S3 lists LastModified to the second). Yields (bucket, {key: versions
    newest first})."""
    from modelinfra.providers.aws.s3_bucket import S3BucketHandler

    with pytest.MonkeyPatch.context() as patch:
        for name, value in {"AWS_ENDPOINT_URL": aws_emulator.url, "AWS_ACCESS_KEY_ID": "testing",
                            "AWS_SECRET_ACCESS_KEY": "testing"}.items():
            patch.setenv(name, value)
        ctx = make_ctx(tmp_path_factory.mktemp("restore"))
        bucket = f"mi-restore-{uuid.uuid4().hex[:10]}"
        client = ctx.session.client("s3")
        client.create_bucket(Bucket=bucket)
        client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        for i in range(3):
            if i:
                time.sleep(1.0 - time.time() % 1.0 + 0.01)  # next wall-clock second
            (ctx.spec_dir / "model.bin").write_bytes(f"weights v{i + 1}".encode())
            for key in KEYS:
                HANDLER.create(ctx, S3ObjectSpec(bucket=bucket, key=key, source="model.bin"))
        yield bucket, {key: list_versions(ctx, bucket, key) for key in KEYS}
        S3BucketHandler().delete(ctx, bucket, {"force_destroy": True})


@pytest.fixture
def ctx(aws_env: dict[str, str], tmp_path: Path) -> ResourceContext:
    return make_ctx(tmp_path)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def current_bytes(ctx: ResourceContext, bucket: str, key: str) -> bytes:
    return ctx.session.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()


def test_list_versions_is_newest_first_with_recorded_sha(ctx: ResourceContext, histories: tuple[str, dict]) -> None:
    _, all_versions = histories
    versions = all_versions["list"]
    assert [v["sha256"] for v in versions] == [sha(b"weights v3"), sha(b"weights v2"), sha(b"weights v1")]
    assert [v["is_latest"] for v in versions] == [True, False, False]
    assert all(v["size"] == 10 and v["restored_from"] is None for v in versions)
    assert versions[0]["last_modified"] > versions[1]["last_modified"] > versions[2]["last_modified"]


def test_restore_at_brings_back_the_version_current_then(ctx: ResourceContext, histories: tuple[str, dict]) -> None:
    bucket, all_versions = histories
    versions = all_versions["restore-at"]
    v2 = versions[1]
    at = datetime.fromisoformat(v2["last_modified"]) + timedelta(milliseconds=500)
    want = S3ObjectSpec(bucket=bucket, key="restore-at", source="model.bin", restore_at=at)

    desired = HANDLER.desired(ctx, want)
    assert desired["restored_from"] == f"{v2['version_id']} (as of {at.isoformat()})"
    assert desired["sha256"] == sha(b"weights v2")
    observed = HANDLER.read(ctx, f"{bucket}/restore-at")
    changes = diff_attributes(desired, observed, force_new=HANDLER.force_new)
    assert {(c.path, c.after) for c in changes} == {("sha256", sha(b"weights v2")),
                                                    ("restored_from", desired["restored_from"])}
    assert not any(c.forces_replacement for c in changes)

    after = HANDLER.update(ctx, want, observed, changes)
    assert current_bytes(ctx, bucket, "restore-at") == b"weights v2"
    assert after["restored_from"] == desired["restored_from"]
    assert not diff_attributes(HANDLER.desired(ctx, want), HANDLER.read(ctx, f"{bucket}/restore-at")), "plan is a no-op"

    newest = list_versions(ctx, bucket, "restore-at")[0]
    assert newest["restored_from"] == desired["restored_from"] and newest["sha256"] == sha(b"weights v2")


def test_restore_by_version_id(ctx: ResourceContext, histories: tuple[str, dict]) -> None:
    bucket, all_versions = histories
    versions = all_versions["by-id"]
    oldest = versions[2]["version_id"]
    want = S3ObjectSpec(bucket=bucket, key="by-id", restore_version_id=oldest)
    observed = HANDLER.read(ctx, f"{bucket}/by-id")
    HANDLER.update(ctx, want, observed, diff_attributes(HANDLER.desired(ctx, want), observed))
    assert current_bytes(ctx, bucket, "by-id") == b"weights v1"
    assert HANDLER.read(ctx, f"{bucket}/by-id")["restored_from"] == oldest


def test_restore_recreates_a_deleted_object(ctx: ResourceContext, histories: tuple[str, dict]) -> None:
    bucket, all_versions = histories
    versions = all_versions["deleted"]
    from dataclasses import replace

    HANDLER.delete(replace(ctx, retain_versions=True), f"{bucket}/deleted", {})  # only a delete marker
    assert HANDLER.read(ctx, f"{bucket}/deleted") is None
    attrs = HANDLER.create(ctx, S3ObjectSpec(bucket=bucket, key="deleted", restore_version_id=versions[0]["version_id"]))
    assert attrs["sha256"] == sha(b"weights v3")
    assert current_bytes(ctx, bucket, "deleted") == b"weights v3"


def test_restore_before_the_first_version_is_an_error(ctx: ResourceContext, histories: tuple[str, dict]) -> None:
    bucket, all_versions = histories
    versions = all_versions["errors"]
    at = datetime.fromisoformat(versions[2]["last_modified"]) - timedelta(days=1)
    with pytest.raises(TerminalError, match=f"no version of s3://{bucket}/errors existed at"):
        HANDLER.desired(ctx, S3ObjectSpec(bucket=bucket, key="errors", restore_at=at))
    with pytest.raises(TerminalError, match="is in the future"):
        HANDLER.desired(ctx, S3ObjectSpec(bucket=bucket, key="errors", restore_at=datetime.now(UTC) + timedelta(hours=1)))
    with pytest.raises(TerminalError, match="has no version nope"):
        HANDLER.desired(ctx, S3ObjectSpec(bucket=bucket, key="errors", restore_version_id="nope"))
