"""``read_many`` (index, then read) against the emulators over HTTP: the batch answers exactly
what one ``read`` per resource answers, with fewer requests, and whatever a listing cannot prove
unchanged is read again (a follow-up), so out-of-band changes still show."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from modelinfra.providers.aws.s3_index import list_latest
from modelinfra.providers.aws.s3_object import S3ObjectHandler
from modelinfra.providers.aws.session import AwsSession
from modelinfra.providers.base import ResourceContext
from modelinfra.settings import Settings
from modelinfra.spec.providers import AwsProviderConfig
from modelinfra.values import redact
from tests.providers.batching import one_by_one, settle

S3 = S3ObjectHandler()


# -- aws.s3_object ---------------------------------------------------------------------------------
@pytest.fixture
def s3_ctx(aws_env: dict[str, str], tmp_path: Path) -> ResourceContext:
    session = AwsSession(AwsProviderConfig(region="us-east-1"), Settings(max_attempts=3))
    return ResourceContext(stack="batch", address="", spec_dir=tmp_path, session=session)


def _bucket(ctx: ResourceContext, name: str, versioned: bool) -> Iterator[str]:
    from modelinfra.providers.aws.s3_bucket import S3BucketHandler

    client = ctx.session.client("s3")
    client.create_bucket(Bucket=name)
    if versioned:
        client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    yield name
    S3BucketHandler().delete(ctx, name, {"force_destroy": True})


@pytest.fixture
def versioned(s3_ctx: ResourceContext, unique_name: str) -> Iterator[str]:
    yield from _bucket(s3_ctx, f"mi-rm-{unique_name}", True)


@pytest.fixture
def unversioned(s3_ctx: ResourceContext, unique_name: str) -> Iterator[str]:
    yield from _bucket(s3_ctx, f"mi-ru-{unique_name}", False)


def _objects(ctx: ResourceContext, bucket: str, count: int) -> dict[str, tuple[str, dict[str, Any]]]:
    """``count`` objects created through the handler (metadata, a content type, sha256), with a
    neighbour the stack does not manage; recorded as state would (the create's answer)."""
    (ctx.spec_dir / "model.bin").write_bytes(b"weights")
    ctx.session.client("s3").put_object(Bucket=bucket, Key="m/unmanaged.txt", Body=b"other")
    recorded = {}
    for i in range(count):
        spec = S3.spec_model(bucket=bucket, key=f"m/{i}.bin", source="model.bin", metadata={"stage": f"s{i}"})
        recorded[f"o{i}"] = (S3.identify(ctx, spec), S3.create(ctx, spec))
    return recorded


def test_s3_unchanged_objects_are_read_with_one_listing(s3_ctx: ResourceContext, versioned: str) -> None:
    recorded = _objects(s3_ctx, versioned, 6)
    batch, separate, requests = settle(S3, s3_ctx, recorded)
    assert batch == one_by_one(S3, s3_ctx, recorded)
    assert batch["o3"]["metadata"] == {"stage": "s3"} and batch["o3"]["sha256"]
    assert separate == set()
    assert requests == 1


def test_s3_moved_versions_and_deletions_still_show(s3_ctx: ResourceContext, versioned: str) -> None:
    recorded = _objects(s3_ctx, versioned, 5)
    client = s3_ctx.session.client("s3")
    client.copy_object(Bucket=versioned, Key="m/1.bin", CopySource={"Bucket": versioned, "Key": "m/1.bin"},
                       Metadata={"stage": "edited"}, MetadataDirective="REPLACE")  # a new version, same bytes
    client.delete_object(Bucket=versioned, Key="m/2.bin")  # a delete marker on top
    client.delete_objects(Bucket=versioned, Delete={"Objects": [
        {"Key": "m/3.bin", "VersionId": recorded["o3"][1]["version_id"]}]})  # the only version gone
    batch, separate, requests = settle(S3, s3_ctx, recorded)
    assert batch == one_by_one(S3, s3_ctx, recorded)
    assert batch["o1"]["metadata"] == {"stage": "edited"}
    assert batch["o2"] is None and batch["o3"] is None
    assert separate == {"o1"}
    assert requests == 2


def test_s3_redacted_or_unversioned_records_are_headed(s3_ctx: ResourceContext, unversioned: str,
                                                       versioned: str) -> None:
    plain = _objects(s3_ctx, unversioned, 3)  # no version id: an overwrite in place would not show
    batch, separate, requests = settle(S3, s3_ctx, plain)
    assert batch == one_by_one(S3, s3_ctx, plain)
    assert separate == set(plain) and requests == 3  # no listing wasted: a HEAD each

    recorded = _objects(s3_ctx, versioned, 2)
    recorded["o0"] = (recorded["o0"][0], {**recorded["o0"][1], "metadata": redact({"stage": "s0"})})
    batch, separate, _ = settle(S3, s3_ctx, recorded)
    assert batch == one_by_one(S3, s3_ctx, recorded)
    assert separate == {"o0"}


def test_s3_missing_bucket_means_every_object_is_gone(s3_ctx: ResourceContext, unique_name: str) -> None:
    recorded = {f"o{i}": (f"mi-gone-{unique_name}/k{i}", {"version_id": "v"}) for i in range(3)}
    batch, separate, requests = settle(S3, s3_ctx, recorded)
    assert batch == one_by_one(S3, s3_ctx, recorded) == dict.fromkeys(recorded)
    assert separate == set() and requests == 1


def test_s3_listing_pages_cover_only_the_keys_they_passed(s3_ctx: ResourceContext, versioned: str) -> None:
    client = s3_ctx.session.client("s3")
    for i in range(6):
        client.put_object(Bucket=versioned, Key=f"p/{i}", Body=b"x")
    client.delete_object(Bucket=versioned, Key="p/4")
    listing = list_latest(client, versioned, ["p/0", "p/2", "p/4", "p/5", "p/9"], page_size=2)
    assert listing.latest["p/0"]["Key"] == "p/0" and listing.latest["p/4"] is None
    assert listing.covers("p/9") and listing.latest.get("p/9") is None  # walked to the end: absent
    stopped = list_latest(client, versioned, ["p/0", "p/1"], page_size=1)  # two pages at most
    assert set(stopped.latest) == {"p/0", "p/1"} or not stopped.covers("p/1")
    assert not stopped.covers("p/5")
