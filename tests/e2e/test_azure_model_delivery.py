"""``examples/azure-model-delivery.yaml`` end to end through the installed CLI, against the ARM emulator
and Azurite: validate, plan, apply (the stack makes the workspace's Key Vault, Application Insights on
Log Analytics, and Container Registry itself), no-op plan, edit (origin_path), update, repeated clean
drifts, drift made with the SDK (Front Door route, ML workspace), destroy."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SUBSCRIPTION_ID
from tests.e2e.cli import run_cli

pytestmark = pytest.mark.e2e

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "azure-model-delivery.yaml"
ORIGIN_LINE = "      origin_path: /${container.name}\n"
RESOURCES = 12
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def _cdn_client() -> Any:
    from modelinfra.providers.azure.session import AzureSession
    from modelinfra.settings import Settings
    from modelinfra.spec.providers import AzureProviderConfig

    return AzureSession(AzureProviderConfig(subscription_id=SUBSCRIPTION_ID), Settings()).mgmt("cdn")


def _ml_client() -> Any:
    from modelinfra.providers.azure.ml_client import MlClient
    from modelinfra.providers.azure.session import AzureSession
    from modelinfra.settings import Settings
    from modelinfra.spec.providers import AzureProviderConfig

    return MlClient(AzureSession(AzureProviderConfig(subscription_id=SUBSCRIPTION_ID), Settings()))


def test_model_delivery_lifecycle(tmp_path: Path, azure_env: dict[str, str], unique_name: str) -> None:
    spec = tmp_path / "azure-model-delivery.yaml"
    shutil.copy(EXAMPLE, spec)
    (tmp_path / "model.bin").write_bytes(b"classifier-weights" * 4096)
    # parallelism 1: concurrent first imports of azure-core in refresh threads deadlock (importlib
    # _DeadlockError) until AzureSession imports azure.core up front; see the CDN report.
    env = {**azure_env, "MODELINFRA_VAR_suffix": unique_name}
    rg, profile, endpoint = f"model-delivery-{unique_name}", f"model-delivery-{unique_name}", f"models-{unique_name}"

    assert run_cli("validate", spec, env=env).code == 0

    plan = run_cli("plan", spec, "--detailed-exitcode", env=env)
    assert plan.code == 2, plan.output
    assert '+ resource "azure.cdn_endpoint" "delivery"' in plan.stdout
    assert f"Plan: {RESOURCES} to add, 0 to change, 0 to destroy." in plan.stdout

    applied = run_cli("apply", spec, "--auto-approve", env=env)
    assert applied.code == 0, applied.output
    assert f"Apply complete! Resources: {RESOURCES} added, 0 changed, 0 destroyed." in applied.stdout

    shown = json.loads(run_cli("output", spec, "--json", env=env).stdout)
    outputs = {name: entry["value"] for name, entry in shown["outputs"].items()}
    host = outputs["cdn_host_name"]
    assert host.startswith(f"{endpoint}-") and host.endswith(".z01.azurefd.net")
    assert outputs["model_cdn_url"] == f"https://{host}/classifier/model.bin"
    assert outputs["model_blob_url"].endswith("/models/classifier/model.bin")

    cdn = _cdn_client()
    route = cdn.routes.get(rg, profile, endpoint, f"{endpoint}-route")
    assert route.properties.origin_path.endswith("/models")
    assert route.properties.https_redirect == "Enabled"
    origin = cdn.afd_origins.get(rg, profile, f"{endpoint}-origins", f"{endpoint}-blob")
    assert origin.properties.azure_origin.id.lower().endswith(f"/storageaccounts/modeldelivery{unique_name}")

    ws_id = outputs["workspace_id"]
    ml = _ml_client()
    workspace = ml.get(ws_id)
    props = workspace["properties"]
    group = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{rg}/providers"
    assert props["keyVault"] == f"{group}/Microsoft.KeyVault/vaults/mdkv{unique_name}"
    assert props["applicationInsights"] == f"{group}/Microsoft.Insights/components/model-delivery-{unique_name}"
    assert props["containerRegistry"] == f"{group}/Microsoft.ContainerRegistry/registries/modeldelivery{unique_name}"
    assert props["friendlyName"] == "Model delivery" and workspace["identity"]["type"] == "SystemAssigned"
    assert outputs["registry_login_server"] == f"modeldelivery{unique_name}.azurecr.io"
    from modelinfra.providers.azure.rest_client import ArmRestClient

    vault = ArmRestClient(ml._session, "2023-07-01").get(props["keyVault"])
    assert vault["properties"]["tenantId"] == TENANT  # tenant_id unset: the subscription's tenant
    version = ml.get(outputs["model_version_id"])["properties"]
    assert version["modelType"] == "custom_model" and set(version["properties"]) == {"sha256"}

    again = run_cli("plan", spec, "--detailed-exitcode", env=env)
    assert again.code == 0, again.output
    assert "No changes." in again.stdout
    for _ in range(5):  # ids in ARM's casing, defaults the services fill in: never drift
        clean = run_cli("drift", spec, env=env)
        assert clean.code == 0, clean.output

    # edit origin_path: an in-place update of the endpoint only
    spec.write_text(spec.read_text().replace(ORIGIN_LINE, "      origin_path: /${container.name}/classifier\n"))
    edited = run_cli("plan", spec, "--detailed-exitcode", env=env)
    assert edited.code == 2, edited.output
    assert '~ resource "azure.cdn_endpoint" "delivery"' in edited.stdout
    assert '~ origin_path = "/models" -> "/models/classifier"' in edited.stdout
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in edited.stdout
    updated = run_cli("apply", spec, "--auto-approve", env=env)
    assert updated.code == 0, updated.output
    route = cdn.routes.get(rg, profile, endpoint, f"{endpoint}-route")
    assert route.properties.origin_path.endswith("/models/classifier")
    assert run_cli("drift", spec, env=env).code == 0

    # out-of-band: someone turns off the HTTPS redirect in the portal
    cdn.routes.begin_update(rg, profile, endpoint, f"{endpoint}-route",
                            {"properties": {"httpsRedirect": "Disabled"}}).result()
    drift = run_cli("drift", spec, "--format", "json", env=env)
    assert drift.code == 2, drift.output
    report = json.loads(drift.stdout)
    drifted = {r["address"]: r for r in report["resources"] if r["status"] != "in_sync"}
    assert list(drifted) == ["delivery"], drifted
    assert drifted["delivery"]["status"] == "modified"
    assert [(c["path"], c["before"], c["after"]) for c in drifted["delivery"]["changes"]] == [
        ("https_only", True, False)]
    back = run_cli("plan", spec, "--detailed-exitcode", env=env)
    assert back.code == 2 and "~ https_only = false -> true" in back.stdout, back.output
    assert run_cli("apply", spec, "--auto-approve", env=env).code == 0

    # out-of-band: someone renames the workspace and detaches its registry in the portal
    ml.patch(ws_id, {"properties": {"friendlyName": "Renamed", "containerRegistry": None}})
    drift = run_cli("drift", spec, "--format", "json", env=env)
    assert drift.code == 2, drift.output
    changed = {r["address"]: sorted(c["path"] for c in r["changes"])
               for r in json.loads(drift.stdout)["resources"] if r["status"] != "in_sync"}
    assert changed == {"workspace": ["container_registry", "friendly_name"]}, changed
    assert run_cli("apply", spec, "--auto-approve", env=env).code == 0
    assert ml.get(ws_id)["properties"]["friendlyName"] == "Model delivery"
    assert run_cli("drift", spec, env=env).code == 0

    destroyed = run_cli("destroy", spec, "--auto-approve", env=env)
    assert destroyed.code == 0, destroyed.output
    state = json.loads((tmp_path / ".modelinfra" / "azure-model-delivery.state.json").read_text())
    assert state["resources"] == {}
    assert [p.name for p in cdn.profiles.list()
            if p.name == profile] == []
