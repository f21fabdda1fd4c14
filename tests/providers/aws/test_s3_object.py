"""``aws.s3_object`` against moto server over HTTP: upload, SHA-256 identity, out-of-band edits."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from modelinfra.errors import ProviderError, TerminalError
from modelinfra.plans.diff import diff_attributes
from modelinfra.providers.aws.s3_object import S3ObjectHandler
from modelinfra.providers.aws.s3_object_spec import S3ObjectSpec
from modelinfra.providers.aws.session import AwsSession
from modelinfra.providers.base import ResourceContext
from modelinfra.reporting import Reporter
from modelinfra.settings import Settings
from modelinfra.spec.providers import AwsProviderConfig
from tests.providers.conformance import check_lifecycle

HANDLER = S3ObjectHandler()


class RecordingReporter(Reporter):
    def __init__(self) -> None:
        self.transfers: list[tuple[str, int, int]] = []
        self._lock = threading.Lock()

    def transfer(self, address: str, done_bytes: int, total_bytes: int) -> None:
        with self._lock:
            self.transfers.append((address, done_bytes, total_bytes))


@pytest.fixture
def reporter() -> RecordingReporter:
    return RecordingReporter()


@pytest.fixture
def ctx(aws_env: dict[str, str], tmp_path: Path, reporter: RecordingReporter) -> ResourceContext:
    session = AwsSession(AwsProviderConfig(region="us-east-1"), Settings(max_attempts=3))
    return ResourceContext(stack="s3test", address="artifact", spec_dir=tmp_path, session=session, reporter=reporter)


@pytest.fixture
def bucket(ctx: ResourceContext, unique_name: str) -> Iterator[str]:
    """A fresh versioned bucket, emptied and deleted afterwards."""
    from modelinfra.providers.aws.s3_bucket import S3BucketHandler

    name = f"mi-obj-{unique_name}"
    client = ctx.session.client("s3")
    client.create_bucket(Bucket=name)
    client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    yield name
    S3BucketHandler().delete(ctx, name, {"force_destroy": True})


def write(ctx: ResourceContext, name: str, data: bytes) -> str:
    (ctx.spec_dir / name).write_bytes(data)
    return name


def spec(**props: object) -> S3ObjectSpec:
    return S3ObjectSpec.model_validate(props)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_object_conformance_update_uploads_new_content(ctx: ResourceContext, bucket: str) -> None:
    v1 = write(ctx, "v1.bin", b"weights v1")
    v2 = write(ctx, "v2.bin", b"weights v2")
    final = check_lifecycle(
        HANDLER, ctx,
        spec(bucket=bucket, key="models/m.bin", source=v1, metadata={"team": "ml"}),
        spec(bucket=bucket, key="models/m.bin", source=v2, metadata={"team": "ml"}),
    )
    assert final["sha256"] == sha(b"weights v2")
    assert final["url"] == f"s3://{bucket}/models/m.bin"
    assert final["https_url"].endswith(f"/{bucket}/models/m.bin")
    assert final["metadata"] == {"team": "ml"}  # modelinfra-sha256 is not shown as user metadata


def test_sha256_is_stored_in_metadata_and_content_type_guessed(ctx: ResourceContext, bucket: str) -> None:
    source = write(ctx, "config.json", b'{"layers": 12}')
    attrs = HANDLER.create(ctx, spec(bucket=bucket, key="config.json", source=source))
    head = ctx.session.client("s3").head_object(Bucket=bucket, Key="config.json")
    assert head["Metadata"]["modelinfra-sha256"] == sha(b'{"layers": 12}') == attrs["sha256"]
    assert head["ContentType"] == "application/json" == attrs["content_type"]
    assert attrs["version_id"] and attrs["etag"] and attrs["size"] == 14


def test_large_file_goes_up_multipart_with_progress_to_the_total(
    ctx: ResourceContext, bucket: str, reporter: RecordingReporter
) -> None:
    data = os.urandom(20 * 1024 * 1024 + 123)
    source = write(ctx, "model.safetensors", data)
    attrs = HANDLER.create(ctx, spec(bucket=bucket, key="big/model.safetensors", source=source))
    assert attrs["sha256"] == sha(data)
    assert attrs["size"] == len(data)
    assert attrs["etag"].endswith("-3")  # 3 parts of 8 MiB: a multipart ETag, not an MD5
    assert len(reporter.transfers) > 3
    assert {t[0] for t in reporter.transfers} == {"artifact"}
    assert all(t[2] == len(data) for t in reporter.transfers)
    assert max(t[1] for t in reporter.transfers) == len(data)
    body = ctx.session.client("s3").get_object(Bucket=bucket, Key="big/model.safetensors")["Body"].read()
    assert sha(body) == sha(data)


def test_out_of_band_overwrite_shows_as_a_difference(ctx: ResourceContext, bucket: str) -> None:
    source = write(ctx, "m.bin", b"ours")
    want = spec(bucket=bucket, key="m.bin", source=source)
    HANDLER.create(ctx, want)
    client = ctx.session.client("s3")

    client.put_object(Bucket=bucket, Key="m.bin", Body=b"theirs", ContentType="application/octet-stream")  # no sha
    changes = diff_attributes(HANDLER.desired(ctx, want), HANDLER.read(ctx, f"{bucket}/m.bin"))
    assert [(c.path, c.before, c.after) for c in changes] == [("sha256", None, sha(b"ours"))]

    client.put_object(Bucket=bucket, Key="m.bin", Body=b"forged", ContentType="application/octet-stream", Metadata={"modelinfra-sha256": "0" * 64})
    observed = HANDLER.read(ctx, f"{bucket}/m.bin")
    assert [c.path for c in diff_attributes(HANDLER.desired(ctx, want), observed)] == ["sha256"]

    HANDLER.update(ctx, want, observed, diff_attributes(HANDLER.desired(ctx, want), observed))
    assert client.get_object(Bucket=bucket, Key="m.bin")["Body"].read() == b"ours"
    assert not diff_attributes(HANDLER.desired(ctx, want), HANDLER.read(ctx, f"{bucket}/m.bin"))


def test_changed_local_file_is_an_update(ctx: ResourceContext, bucket: str) -> None:
    source = write(ctx, "m.bin", b"one")
    HANDLER.create(ctx, spec(bucket=bucket, key="m.bin", source=source))
    write(ctx, "m.bin", b"two, longer")
    observed = HANDLER.read(ctx, f"{bucket}/m.bin")
    changes = diff_attributes(HANDLER.desired(ctx, spec(bucket=bucket, key="m.bin", source=source)), observed,
                              force_new=HANDLER.force_new)
    assert [(c.path, c.forces_replacement) for c in changes] == [("sha256", False)]


def test_metadata_change_alone_keeps_the_bytes(ctx: ResourceContext, bucket: str, reporter: RecordingReporter) -> None:
    source = write(ctx, "m.bin", b"stable bytes")
    HANDLER.create(ctx, spec(bucket=bucket, key="m.bin", source=source))
    target = spec(bucket=bucket, key="m.bin", source=source, metadata={"stage": "prod"}, storage_class="STANDARD_IA")
    observed = HANDLER.read(ctx, f"{bucket}/m.bin")
    changes = diff_attributes(HANDLER.desired(ctx, target), observed)
    assert {c.path for c in changes} == {"metadata.stage", "storage_class"}
    after = HANDLER.update(ctx, target, observed, changes)
    assert after["metadata"] == {"stage": "prod"} and after["storage_class"] == "STANDARD_IA"
    assert after["sha256"] == sha(b"stable bytes") and after["version_id"] != observed["version_id"]
    assert not diff_attributes(HANDLER.desired(ctx, target), after)


def key_history(ctx: ResourceContext, bucket: str) -> list[tuple[str, bool]]:
    """(key, is delete marker) of every version and marker in ``bucket``, sorted."""
    pages = ctx.session.client("s3").get_paginator("list_object_versions").paginate(Bucket=bucket)
    return sorted([(v["Key"], False) for p in pages for v in p.get("Versions", [])]
                  + [(m["Key"], True) for p in pages for m in p.get("DeleteMarkers", [])])


def test_delete_removes_every_version_and_marker_of_its_key_only(ctx: ResourceContext, bucket: str) -> None:
    source = write(ctx, "m.bin", b"v1")
    HANDLER.create(ctx, spec(bucket=bucket, key="m.bin", source=source))
    client = ctx.session.client("s3")
    client.delete_object(Bucket=bucket, Key="m.bin")  # a delete marker between two versions
    write(ctx, "m.bin", b"v2")
    HANDLER.create(ctx, spec(bucket=bucket, key="m.bin", source=source))
    client.put_object(Bucket=bucket, Key="m.bin.old", Body=b"someone else's")  # shares the prefix
    assert key_history(ctx, bucket) == [("m.bin", False), ("m.bin", False), ("m.bin", True), ("m.bin.old", False)]
    HANDLER.delete(ctx, f"{bucket}/m.bin", {})
    assert key_history(ctx, bucket) == [("m.bin.old", False)]
    HANDLER.delete(ctx, f"{bucket}/m.bin", {})  # already gone: success
    HANDLER.delete(ctx, "mi-no-such-bucket-xyz/m.bin", {})


def test_delete_with_retain_versions_keeps_the_older_versions(ctx: ResourceContext, bucket: str) -> None:
    from dataclasses import replace

    from modelinfra.providers.aws.s3_object import list_versions

    retaining = replace(ctx, retain_versions=True)
    source = write(ctx, "m.bin", b"v")
    HANDLER.create(retaining, spec(bucket=bucket, key="m.bin", source=source))
    HANDLER.delete(retaining, f"{bucket}/m.bin", {})
    assert HANDLER.read(ctx, f"{bucket}/m.bin") is None  # current version is a delete marker
    assert [v["sha256"] for v in list_versions(ctx, bucket, "m.bin")] == [sha(b"v")]
    assert key_history(ctx, bucket) == [("m.bin", False), ("m.bin", True)]
    HANDLER.delete(retaining, f"{bucket}/m.bin", {})
    HANDLER.delete(retaining, "mi-no-such-bucket-xyz/m.bin", {})


def test_delete_note_says_when_versions_are_retained(ctx: ResourceContext) -> None:
    from dataclasses import replace

    attrs = {"bucket": "b-b", "key": "models/m.bin"}
    assert HANDLER.delete_note(ctx, attrs) is None
    note = HANDLER.delete_note(replace(ctx, retain_versions=True), attrs)
    assert note is not None and "retain_versions" in note and "s3://b-b/models/m.bin" in note


def test_delete_of_an_unversioned_object_removes_it(ctx: ResourceContext, unique_name: str) -> None:
    name = f"mi-plain-{unique_name}"
    client = ctx.session.client("s3")
    client.create_bucket(Bucket=name)
    HANDLER.create(ctx, spec(bucket=name, key="m.bin", source=write(ctx, "m.bin", b"x")))
    HANDLER.delete(ctx, f"{name}/m.bin", {})
    assert key_history(ctx, name) == []
    client.delete_bucket(Bucket=name)


def test_missing_source_file_is_a_terminal_error(ctx: ResourceContext, bucket: str) -> None:
    with pytest.raises(TerminalError, match="source file .*nope.bin does not exist"):
        HANDLER.desired(ctx, spec(bucket=bucket, key="k", source="nope.bin"))


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"key": "k"}, "source is required"),
        ({"key": "k", "restore_at": "2026-01-01T00:00:00Z", "restore_version_id": "v"}, "mutually exclusive"),
        ({"key": "k", "restore_at": "2026-01-01T00:00:00"}, "timezone"),
        ({"key": "k", "source": "f", "metadata": {"modelinfra-sha256": "x"}}, "prefix is reserved"),
        ({"key": "k", "source": "f", "metadata": {"Team": "x"}}, "lowercase"),
        ({"key": "k", "source": "f", "storage_class": "COLD"}, "storage_class"),
        ({"key": "", "source": "f"}, "at least 1 character"),
    ],
)
def test_invalid_object_specs_are_rejected(props: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        spec(bucket="some-bucket", **props)


def test_content_type_default_falls_back_to_octet_stream() -> None:
    assert spec(bucket="b-b", key="k", source="weights.bin").content_type == "application/octet-stream"
    assert spec(bucket="b-b", key="k", source="notes.txt").content_type == "text/plain"
    assert spec(bucket="b-b", key="k", source="x.bin", content_type="text/csv").content_type == "text/csv"


def test_list_versions_ignores_keys_that_merely_share_the_prefix(ctx: ResourceContext, bucket: str) -> None:
    from modelinfra.providers.aws.s3_object import list_versions

    source = write(ctx, "m.bin", b"data")
    HANDLER.create(ctx, spec(bucket=bucket, key="m.bin", source=source))
    HANDLER.create(ctx, spec(bucket=bucket, key="m.bin.old", source=source))
    versions = list_versions(ctx, bucket, "m.bin")
    assert len(versions) == 1 and versions[0]["is_latest"] and versions[0]["sha256"] == sha(b"data")


def test_create_adopts_an_identical_object_without_a_new_version(ctx: ResourceContext, bucket: str) -> None:
    source = write(ctx, "m.bin", b"same")
    first = HANDLER.create(ctx, spec(bucket=bucket, key="m.bin", source=source))
    again = HANDLER.create(ctx, spec(bucket=bucket, key="m.bin", source=source))
    assert again["version_id"] == first["version_id"]
    changed = HANDLER.create(ctx, spec(bucket=bucket, key="m.bin", source=source, metadata={"a": "b"}))
    assert changed["version_id"] != first["version_id"] and changed["metadata"] == {"a": "b"}


def test_create_on_a_free_key_is_one_conditional_put_and_a_taken_key_is_never_blindly_overwritten(
        ctx: ResourceContext, bucket: str) -> None:
    """A free key: one PutObject with If-None-Match (no HEAD first). A key taken by an identical
    object (a create whose answer was lost): refused by S3, read, adopted, no new version. Taken by
    something else: overwritten, as before."""
    from modelinfra.providers.requests_count import requests_sent

    client = ctx.session.client("s3")
    source = write(ctx, "c.bin", b"weights")
    wanted = spec(bucket=bucket, key="c.bin", source=source)
    before = requests_sent()
    created = HANDLER.create(ctx, wanted)
    assert requests_sent() - before == 1
    assert created == HANDLER.read(ctx, f"{bucket}/c.bin")

    before = requests_sent()
    again = HANDLER.create(ctx, wanted)  # 412, then a HEAD: the same object, adopted
    assert requests_sent() - before == 2 and again["version_id"] == created["version_id"]
    assert len(client.list_object_versions(Bucket=bucket, Prefix="c.bin")["Versions"]) == 1

    client.put_object(Bucket=bucket, Key="c.bin", Body=b"someone else's")
    replaced = HANDLER.create(ctx, wanted)
    assert replaced["sha256"] == sha(b"weights") and replaced["version_id"] != created["version_id"]
    assert client.get_object(Bucket=bucket, Key="c.bin")["Body"].read() == b"weights"

    client.delete_object(Bucket=bucket, Key="c.bin")  # a delete marker is no current object: free again
    before = requests_sent()
    HANDLER.create(ctx, wanted)
    assert requests_sent() - before == 1


def test_a_conditional_put_into_a_missing_bucket_is_a_clear_error(ctx: ResourceContext, unique_name: str) -> None:
    source = write(ctx, "c.bin", b"weights")
    with pytest.raises(ProviderError, match="NoSuchBucket|does not exist"):
        HANDLER.create(ctx, spec(bucket=f"mi-absent-{unique_name}", key="c.bin", source=source))


@pytest.mark.parametrize("versioning", [None, "Enabled", "Suspended"])
def test_written_attributes_are_what_a_head_reads_back(ctx: ResourceContext, unique_name: str,
                                                       versioning: str | None) -> None:
    """create and update record the PutObject answer without reading back: exactly the attributes
    a HEAD of the object then reports, in every versioning state of the bucket."""
    from modelinfra.providers.aws.s3_bucket import S3BucketHandler

    name = f"mi-put-{unique_name}"
    client = ctx.session.client("s3")
    client.create_bucket(Bucket=name)
    if versioning:
        client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": versioning})
    try:
        source = write(ctx, "w.bin", b"weights")
        wanted = spec(bucket=name, key="models/w.bin", source=source, metadata={"team": "ml", "tier": "gold"},
                      storage_class="STANDARD_IA")
        created = HANDLER.create(ctx, wanted)
        assert created == HANDLER.read(ctx, f"{name}/models/w.bin")
        assert (created["size"], created["sha256"], created["storage_class"]) == (7, sha(b"weights"), "STANDARD_IA")
        write(ctx, "w.bin", b"weights v2")
        changes = diff_attributes(HANDLER.desired(ctx, wanted), created)
        updated = HANDLER.update(ctx, wanted, created, changes)
        assert updated == HANDLER.read(ctx, f"{name}/models/w.bin") and updated["size"] == 10
    finally:
        S3BucketHandler().delete(ctx, name, {"force_destroy": True})

