from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

from modelinfra.errors import TerminalError
from modelinfra.plans.diff import diff_attributes
from modelinfra.providers.azure.blob import parse_blob_id
from modelinfra.providers.base import ResourceContext
from modelinfra.providers.registry import handler_for
from modelinfra.reporting import Reporter
from tests.providers.conformance import check_lifecycle

HANDLER = handler_for("azure.blob")
CONTAINERS = handler_for("azure.blob_container")
Spec = HANDLER.spec_model


class RecordingReporter(Reporter):
    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int]] = []
        self._lock = threading.Lock()

    def transfer(self, address: str, done_bytes: int, total_bytes: int) -> None:
        with self._lock:
            self.calls.append((address, done_bytes, total_bytes))


@pytest.fixture
def container(azure_ctx: ResourceContext, storage_account: dict, unique_name: str) -> dict:
    spec = CONTAINERS.spec_model(name=f"b-{unique_name}", account=storage_account["name"],
                                 resource_group=storage_account["resource_group"])
    return CONTAINERS.create(azure_ctx, spec)


def write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def test_lifecycle_with_metadata_update(azure_ctx: ResourceContext, container: dict) -> None:
    digest = write(azure_ctx.spec_dir / "model.bin", b"weights v1")
    base = {"name": "models/model.bin", "account": container["account"], "container": container["name"],
            "source": "model.bin", "resource_group": container["resource_group"]}
    observed = check_lifecycle(HANDLER, azure_ctx, Spec(**base, metadata={"stage": "dev"}),
                               Spec(**base, metadata={"stage": "prod"}, content_type="application/x-model",
                                    access_tier="Cool"))
    assert (observed["sha256"], observed["size"], observed["metadata"]) == (digest, 10, {"stage": "prod"})
    assert (observed["content_type"], observed["access_tier"]) == ("application/x-model", "Cool")
    assert observed["url"] == container["url"] + "/models/model.bin"


def test_large_file_goes_up_in_parallel_blocks_with_progress(azure_ctx: ResourceContext, container: dict) -> None:
    data = os.urandom(20 * 1024 * 1024 + 123)
    digest = write(azure_ctx.spec_dir / "big.bin", data)
    reporter = RecordingReporter()
    ctx = ResourceContext(stack=azure_ctx.stack, address="big", spec_dir=azure_ctx.spec_dir,
                          session=azure_ctx.session, reporter=reporter)
    spec = Spec(name="big.bin", account=container["account"], container=container["name"], source="big.bin")
    created = HANDLER.create(ctx, spec)  # no resource_group: found through the subscription's accounts
    assert (created["sha256"], created["size"]) == (digest, len(data))
    assert created["resource_group"] is None and parse_blob_id(HANDLER.identify(ctx, spec))[0] is None

    blob = _blob_client(ctx, spec)
    committed, _ = blob.get_block_list("committed")
    assert len(committed) >= 5 and max(b.size for b in committed) <= 4 * 1024 * 1024
    assert hashlib.sha256(blob.download_blob().readall()).hexdigest() == digest
    assert reporter.calls and reporter.calls[-1] == ("big", len(data), len(data))
    assert len(reporter.calls) >= 5

    assert diff_attributes(HANDLER.desired(ctx, spec), HANDLER.read(ctx, HANDLER.identify(ctx, spec))) == []


def test_changed_file_is_an_in_place_sha256_update(azure_ctx: ResourceContext, container: dict) -> None:
    write(azure_ctx.spec_dir / "m.bin", b"v1")
    spec = Spec(name="m.bin", account=container["account"], container=container["name"], source="m.bin",
                resource_group=container["resource_group"])
    created = HANDLER.create(azure_ctx, spec)
    new_digest = write(azure_ctx.spec_dir / "m.bin", b"version two")
    changes = diff_attributes(HANDLER.desired(azure_ctx, spec), created, force_new=HANDLER.force_new)
    assert [(c.path, c.before, c.after, c.forces_replacement) for c in changes] == [
        ("sha256", created["sha256"], new_digest, False)]
    updated = HANDLER.update(azure_ctx, spec, created, changes)
    assert (updated["sha256"], updated["size"]) == (new_digest, 11)
    assert _blob_client(azure_ctx, spec).download_blob().readall() == b"version two"


def test_out_of_band_overwrite_shows_as_a_diff(azure_ctx: ResourceContext, container: dict) -> None:
    write(azure_ctx.spec_dir / "m.bin", b"ours")
    spec = Spec(name="m.bin", account=container["account"], container=container["name"], source="m.bin",
                resource_group=container["resource_group"])
    HANDLER.create(azure_ctx, spec)
    _blob_client(azure_ctx, spec).upload_blob(b"theirs", overwrite=True)
    observed = HANDLER.read(azure_ctx, HANDLER.identify(azure_ctx, spec))
    changes = diff_attributes(HANDLER.desired(azure_ctx, spec), observed)
    assert [c.path for c in changes] == ["sha256"] and changes[0].before is None


def test_missing_source_file_is_a_clear_error(azure_ctx: ResourceContext, container: dict) -> None:
    spec = Spec(name="m.bin", account=container["account"], container=container["name"], source="absent.bin")
    with pytest.raises(TerminalError, match="absent.bin"):
        HANDLER.desired(azure_ctx, spec)


def test_missing_container_reads_as_none_and_deletes_as_success(azure_ctx: ResourceContext,
                                                                storage_account: dict) -> None:
    spec = Spec(name="m.bin", account=storage_account["name"], container="nosuchcontainer", source="m.bin")
    cloud_id = HANDLER.identify(azure_ctx, spec)
    assert HANDLER.read(azure_ctx, cloud_id) is None
    HANDLER.delete(azure_ctx, cloud_id, {})


@pytest.mark.parametrize("retain", [False, True])
def test_delete_removes_the_blob_and_only_that_blob(azure_ctx: ResourceContext, container: dict,
                                                     retain: bool) -> None:
    """Azurite 3.35 keeps no blob versions (see the handler's docstring), so this checks the base
    blob goes, a blob sharing the name's prefix stays, and the versions listing copes."""
    from dataclasses import replace

    write(azure_ctx.spec_dir / "m.bin", b"v1")
    ctx = replace(azure_ctx, retain_versions=retain)
    base = {"account": container["account"], "container": container["name"], "source": "m.bin"}
    mine, neighbour = Spec(name="m.bin", **base), Spec(name="m.bin.old", **base)
    HANDLER.create(ctx, mine)
    HANDLER.create(ctx, neighbour)
    HANDLER.delete(ctx, HANDLER.identify(ctx, mine), {})
    assert HANDLER.read(ctx, HANDLER.identify(ctx, mine)) is None
    assert HANDLER.read(ctx, HANDLER.identify(ctx, neighbour)) is not None
    HANDLER.delete(ctx, HANDLER.identify(ctx, mine), {})  # already gone: success


def test_delete_note_says_when_versions_are_retained(azure_ctx: ResourceContext) -> None:
    from dataclasses import replace

    attrs = {"container": "models", "name": "m.bin"}
    assert HANDLER.delete_note(azure_ctx, attrs) is None
    note = HANDLER.delete_note(replace(azure_ctx, retain_versions=True), attrs)
    assert note is not None and "retain_versions" in note and "models/m.bin" in note


def _blob_client(ctx: ResourceContext, spec: object):  # noqa: ANN202 - azure-storage-blob BlobClient
    from modelinfra.providers.azure.blob_data import account_endpoint, container_client

    where = account_endpoint(ctx, spec.account, spec.resource_group)  # type: ignore[attr-defined]
    return container_client(ctx, where, spec.container).get_blob_client(spec.name)  # type: ignore[attr-defined]
