"""Run a committed example spec end to end: copy it into a temporary directory, generate the model
file it uploads, and drive the installed CLI with the test's unique names (``--var``).

Builds on :func:`tests.e2e.cli.run_cli`; every CLI call is recorded on the :class:`ExampleRun`, so a
test can assert about everything the tool printed (e.g. that no secret leaked).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import SUBSCRIPTION_ID
from tests.e2e.cli import Result, run_cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# commands that take --var (show and state do not)
_TAKES_VARS = {"validate", "plan", "apply", "destroy", "drift", "output", "import"}


def model_bytes(size: int, seed: str = "v1") -> bytes:
    """``size`` deterministic bytes (a 64 KiB pattern derived from ``seed``, repeated): the same
    ``seed`` always gives the same content, a different one different content."""
    block = hashlib.sha256(seed.encode()).digest() * 2048  # 64 KiB
    repeats, rest = divmod(size, len(block))
    return block * repeats + block[:rest]


def write_model(path: Path, size: int, seed: str = "v1") -> str:
    """Write a generated model file; returns its SHA-256 (hex), what modelinfra stores as metadata."""
    data = model_bytes(size, seed)
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


@dataclass
class Drift:
    """A parsed drift report and the command's exit code (0 in sync, 2 drift)."""

    code: int
    report: dict[str, Any]

    @property
    def changed(self) -> dict[str, list[str]]:
        """``{address: [changed attribute paths]}`` of every resource not in sync."""
        return {r["address"]: [c["path"] for c in r["changes"]]
                for r in self.report["resources"] if r["status"] != "in_sync"}

    def change(self, address: str, path: str) -> tuple[Any, Any]:
        """``(before, after)`` of one drifted attribute."""
        resource = next(r for r in self.report["resources"] if r["address"] == address)
        found = next(c for c in resource["changes"] if c["path"] == path)
        return found["before"], found["after"]


@dataclass
class ExampleRun:
    """One example copied into ``directory`` and run with ``variables`` against ``env``."""

    spec: Path
    env: dict[str, str]
    variables: dict[str, str]
    results: list[Result] = field(default_factory=list)

    @property
    def directory(self) -> Path:
        return self.spec.parent

    def cli(self, command: str, *args: Any, variables: Mapping[str, str] | None = None) -> Result:
        """``modelinfra COMMAND ARGS... --var k=v...`` (the run's variables, then ``variables``;
        only for commands that take ``--var``). Pass the spec or a plan file in ``args``."""
        merged = {**self.variables, **(variables or {})}
        var_args = [f"--var={k}={v}" for k, v in merged.items()] if command in _TAKES_VARS else []
        result = run_cli(command, *args, *var_args, env=self.env)
        self.results.append(result)
        return result

    def edit(self, old: str, new: str) -> None:
        """Replace exactly one occurrence of ``old`` in the copied spec (fails loudly otherwise)."""
        text = self.spec.read_text()
        assert text.count(old) == 1, f"expected exactly one {old!r} in {self.spec.name}"
        self.spec.write_text(text.replace(old, new))

    def state(self) -> dict[str, Any]:
        name = _stack_name(self.spec)
        return json.loads((self.directory / ".modelinfra" / f"{name}.state.json").read_text())

    def drift(self) -> Drift:
        """``modelinfra drift SPEC --format json`` (which must exit 0 or 2), parsed."""
        result = self.cli("drift", self.spec, "--format", "json")
        assert result.code in (0, 2), result.output
        return Drift(result.code, json.loads(result.stdout))

    def outputs(self) -> dict[str, Any]:
        shown = self.cli("output", self.spec, "--json")
        assert shown.code == 0, shown.output
        return {name: entry["value"] for name, entry in json.loads(shown.stdout)["outputs"].items()}


def copy_example(name: str, directory: Path, env: Mapping[str, str], **variables: str) -> ExampleRun:
    """Copy ``examples/NAME`` into ``directory`` (so its state and model file stay there)."""
    spec = directory / name
    shutil.copy(EXAMPLES / name, spec)
    return ExampleRun(spec, dict(env), dict(variables))


def _stack_name(spec: Path) -> str:
    for line in spec.read_text().splitlines():
        if line.startswith("name:"):
            return line.split(":", 1)[1].split("#")[0].strip()
    raise AssertionError(f"{spec} has no top-level name")


def azure_mgmt(service: str) -> Any:
    """A real azure-mgmt client (``storage``, ``compute``...) for the emulator in the environment,
    built the way the provider builds it, for out-of-band changes and assertions."""
    from modelinfra.providers.azure.session import AzureSession
    from modelinfra.settings import Settings
    from modelinfra.spec.providers import AzureProviderConfig

    return AzureSession(AzureProviderConfig(subscription_id=SUBSCRIPTION_ID), Settings()).mgmt(service)


def create_storage_account(group: str, account: str, container: str) -> None:
    """A resource group, a storage account and a container through the ARM emulator in the
    environment (the container lands in Azurite), as a team's state account is set up."""
    azure_mgmt("resource").resource_groups.create_or_update(group, {"location": "westeurope"})
    storage = azure_mgmt("storage")
    storage.storage_accounts.begin_create(group, account, {"location": "westeurope", "kind": "StorageV2",
                                                           "sku": {"name": "Standard_LRS"}}).result()
    storage.blob_containers.create(group, account, container, {})


def azurite_blob(azurite_extra: Mapping[str, Any], container: str, name: str) -> Any:
    """An azure-storage-blob ``BlobClient`` straight at Azurite (where the emulated accounts keep
    their blobs), for out-of-band writes and content checks."""
    return azurite_container(azurite_extra, container).get_blob_client(name)


def azurite_container(azurite_extra: Mapping[str, Any], container: str) -> Any:
    """An azure-storage-blob ``ContainerClient`` straight at Azurite (see ``azurite_blob``)."""
    from azure.storage.blob import BlobServiceClient

    from modelinfra.providers.azure.blob_data import AZURITE_API_VERSION, shared_key_account

    endpoint = azurite_extra["blob_endpoint"]
    credential = {"account_name": shared_key_account(endpoint, "devstoreaccount1"),
                  "account_key": azurite_extra["account_key"]}
    service = BlobServiceClient(endpoint, credential=credential, api_version=AZURITE_API_VERSION)
    return service.get_container_client(container)
