"""Azurite launcher: a real Azurite from node_modules, driven by the real azure-storage-blob client."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from modelinfra.errors import ModelinfraError
from modelinfra.sandbox.azurite import (
    ACCOUNT_NAME,
    AZURITE_API_VERSION,
    AzuriteError,
    AzuriteNotInstalledError,
    find_azurite,
    start_azurite,
)
from modelinfra.sandbox.base import RunningService


def _blob_service(service: RunningService):
    from azure.storage.blob import BlobServiceClient

    credential = {"account_name": service.extra["account_name"], "account_key": service.extra["account_key"]}
    return BlobServiceClient(service.extra["blob_endpoint"], credential=credential,
                             api_version=AZURITE_API_VERSION)


def _port_open(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((parts.hostname, parts.port)) == 0


def test_blob_uploaded_to_azurite_downloads_identically(azurite: RunningService) -> None:
    container = _blob_service(azurite).get_container_client(f"c{uuid.uuid4().hex[:12]}")
    container.create_container()
    payload = bytes(range(256)) * 1024

    container.upload_blob("model.bin", payload, metadata={"modelinfra_sha256": "abc"})

    blob = container.get_blob_client("model.bin")
    assert blob.download_blob().readall() == payload
    assert blob.get_blob_properties().metadata == {"modelinfra_sha256": "abc"}


def test_service_describes_the_well_known_account_on_a_loopback_port(azurite: RunningService) -> None:
    parts = urlsplit(azurite.url)
    assert (azurite.name, parts.scheme, parts.hostname) == ("azurite", "http", "127.0.0.1")
    assert parts.port and parts.port > 0
    assert azurite.extra["account_name"] == ACCOUNT_NAME == "devstoreaccount1"
    assert azurite.extra["blob_endpoint"] == f"{azurite.url}/devstoreaccount1"
    assert azurite.extra["account_key"].startswith("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq")


def test_stop_terminates_azurite_and_frees_its_port() -> None:
    service = start_azurite()
    process = service.handle
    assert _port_open(service.url)

    service.stop()
    service.stop()  # idempotent

    assert process.poll() is not None
    assert not _port_open(service.url)


def test_two_instances_get_distinct_ports_and_separate_data(azurite: RunningService) -> None:
    with start_azurite() as other:
        assert other.url != azurite.url
        name = f"c{uuid.uuid4().hex[:12]}"
        _blob_service(other).create_container(name)
        assert name in {c.name for c in _blob_service(other).list_containers()}
        assert name not in {c.name for c in _blob_service(azurite).list_containers()}


def test_port_in_use_fails_with_azurite_output(azurite: RunningService) -> None:
    taken = urlsplit(azurite.url).port
    assert taken is not None

    with pytest.raises(AzuriteError, match="EADDRINUSE"):
        start_azurite(port=taken)


def test_missing_executable_names_npm_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELINFRA_AZURITE_BIN", str(tmp_path / "no-such-azurite"))

    with pytest.raises(AzuriteNotInstalledError, match="npm ci") as info:
        start_azurite()
    assert isinstance(info.value, ModelinfraError)


def test_env_override_is_run_and_its_early_exit_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "azurite-blob"
    fake.write_text("#!/bin/sh\necho \"fake azurite got: $*\"\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv("MODELINFRA_AZURITE_BIN", str(fake))

    assert find_azurite() == fake
    with pytest.raises(AzuriteError, match="code 3") as info:
        start_azurite()
    assert "fake azurite got: --inMemoryPersistence --blobHost 127.0.0.1 --blobPort 0" in str(info.value)
