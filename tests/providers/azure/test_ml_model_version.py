"""``azure.ml_model_version``: immutable versions, archive-on-delete, hard delete, against the emulator."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from pydantic import ValidationError

from modelinfra.errors import TerminalError
from modelinfra.plans.diff import diff_attributes
from modelinfra.providers.azure.ml_client import MlClient
from modelinfra.providers.base import ResourceContext
from modelinfra.providers.registry import handler_for
from modelinfra.sandbox.base import RunningService
from tests.conftest import SUBSCRIPTION_ID
from tests.providers.conformance import check_lifecycle

HANDLER = handler_for("azure.ml_model_version")
Spec = HANDLER.spec_model
URI = "https://devstoreaccount1.blob.core.windows.net/models/churn/model.bin"


@pytest.fixture
def workspace(azure_ctx: ResourceContext, storage_account: dict[str, Any], unique_name: str) -> dict[str, Any]:
    handler = handler_for("azure.ml_workspace")
    group = storage_account["resource_group"]
    vault = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{group}/providers/Microsoft.KeyVault/vaults/kv1"
    return handler.create(azure_ctx, handler.spec_model(
        name=f"ws-{unique_name}", resource_group=group, location="westus", storage_account=storage_account["id"],
        key_vault=vault))


def version_spec(workspace: dict[str, Any], version: int = 1, **props: Any) -> Any:
    return Spec(workspace=workspace["name"], resource_group=workspace["resource_group"], model_name="churn",
                version=version, path=props.pop("path", URI), **props)


def test_lifecycle_archives_on_delete(azure_ctx: ResourceContext, workspace: dict[str, Any]) -> None:
    spec = version_spec(workspace, description="first cut", tags={"stage": "dev"})
    check_lifecycle(HANDLER, azure_ctx, spec)
    body = MlClient(azure_ctx.session).get(HANDLER.identify(azure_ctx, spec))
    assert body is not None and body["properties"]["isArchived"] is True  # archived, not deleted
    assert body["properties"]["modelUri"] == URI and body["properties"]["description"] == "first cut"


def test_hard_delete_removes_the_version(azure_ctx: ResourceContext, workspace: dict[str, Any]) -> None:
    hard = dataclasses.replace(azure_ctx, hard_delete=True)
    spec = version_spec(workspace)
    check_lifecycle(HANDLER, hard, spec)
    assert MlClient(azure_ctx.session).get(HANDLER.identify(azure_ctx, spec)) is None


def test_create_makes_the_container_and_adopting_unarchives(azure_ctx: ResourceContext,
                                                            workspace: dict[str, Any]) -> None:
    spec = version_spec(workspace, version=4)
    cloud_id = HANDLER.identify(azure_ctx, spec)
    assert cloud_id.endswith(f"/workspaces/{workspace['name']}/models/churn/versions/4")
    created = HANDLER.create(azure_ctx, spec)
    assert MlClient(azure_ctx.session).get(cloud_id.rsplit("/versions/", 1)[0]) is not None
    HANDLER.delete(azure_ctx, cloud_id, created)
    assert HANDLER.read(azure_ctx, cloud_id) is None  # archived reads as gone, so a plan re-creates it
    again = HANDLER.create(azure_ctx, spec)
    assert again == created and HANDLER.read(azure_ctx, cloud_id) == created


def test_every_property_forces_replacement(azure_ctx: ResourceContext, workspace: dict[str, Any]) -> None:
    created = HANDLER.create(azure_ctx, version_spec(workspace))
    for change in ({"path": URI + ".v2"}, {"description": "new words"}, {"tags": {"k": "v"}}):
        changes = diff_attributes(HANDLER.desired(azure_ctx, version_spec(workspace, **change)), created,
                                  force_new=HANDLER.force_new)
        assert changes and all(c.forces_replacement for c in changes), change


def test_reusing_a_version_number_for_another_artifact_is_refused(azure_ctx: ResourceContext,
                                                                  workspace: dict[str, Any]) -> None:
    HANDLER.create(azure_ctx, version_spec(workspace))
    with pytest.raises(TerminalError, match="immutable"):
        HANDLER.create(azure_ctx, version_spec(workspace, path=URI + ".other"))


def test_a_new_path_under_the_same_version_is_refused_at_plan_time_unless_hard_delete(
        azure_ctx: ResourceContext, workspace: dict[str, Any]) -> None:
    recorded = HANDLER.create(azure_ctx, version_spec(workspace))
    moved = version_spec(workspace, path=URI + ".v2")
    problem = HANDLER.replacement_problem(azure_ctx, recorded, moved)
    assert problem is not None and "churn:1" in problem
    assert "bump version" in problem and "version: 2" in problem and "lifecycle.hard_delete: true" in problem
    assert HANDLER.replacement_problem(azure_ctx, recorded, version_spec(workspace, version=2, path=URI + ".v2")) is None
    assert HANDLER.replacement_problem(azure_ctx, recorded, version_spec(workspace, description="d")) is None

    # the refused replacement really cannot work: archive, then the same number with a new path is a 409
    HANDLER.delete(azure_ctx, recorded["id"], recorded)
    with pytest.raises(TerminalError, match="immutable"):
        HANDLER.create(azure_ctx, moved)

    # with hard_delete it can: delete for real, then register the same number again
    hard = dataclasses.replace(azure_ctx, hard_delete=True)
    assert HANDLER.replacement_problem(hard, recorded, moved) is None
    HANDLER.delete(hard, recorded["id"], recorded)
    replaced = HANDLER.create(hard, moved)
    assert replaced["path"] == URI + ".v2" and replaced["id"] == recorded["id"]
    assert HANDLER.read(hard, recorded["id"]) == replaced


def test_missing_workspace_reads_as_none_and_delete_succeeds(azure_ctx: ResourceContext, resource_group: str) -> None:
    spec = Spec(workspace="nows", resource_group=resource_group, model_name="m", version=1, path=URI)
    cloud_id = HANDLER.identify(azure_ctx, spec)
    assert HANDLER.read(azure_ctx, cloud_id) is None
    HANDLER.delete(azure_ctx, cloud_id, {})
    HANDLER.delete(dataclasses.replace(azure_ctx, hard_delete=True), cloud_id, {})


@pytest.mark.parametrize("props", [{"version": 0}, {"version": -3}, {"path": "model.bin"},
                                   {"model_name": "-churn"}])
def test_spec_rejects_bad_versions_paths_and_names(props: dict[str, Any]) -> None:
    base = {"workspace": "ws1", "resource_group": "rg", "model_name": "churn", "version": 1, "path": URI}
    with pytest.raises(ValidationError):
        Spec(**{**base, **props})


def test_register_and_archive_ride_out_a_429_storm(azure_ctx: ResourceContext, workspace: dict[str, Any],
                                                   arm_emulator: RunningService) -> None:
    spec = version_spec(workspace, version=7)
    throttled = arm_emulator.handle.faults.injected["throttle"]
    arm_emulator.handle.faults.configure(throttle_ratio=1 / 3, retry_after=0)
    try:
        created = HANDLER.create(azure_ctx, spec)
        HANDLER.delete(azure_ctx, created["id"], created)
        assert HANDLER.read(azure_ctx, created["id"]) is None
    finally:
        arm_emulator.handle.faults.reset()
    assert arm_emulator.handle.faults.injected["throttle"] > throttled  # the storm really happened


def test_model_type_and_properties_are_written_and_read_back(azure_ctx: ResourceContext,
                                                             workspace: dict[str, Any]) -> None:
    spec = version_spec(workspace, version=5, model_type="mlflow_model", properties={"run": "r1", "auc": "0.91"})
    observed = check_lifecycle(HANDLER, azure_ctx, spec)
    assert observed["model_type"] == "mlflow_model" and observed["properties"] == {"run": "r1", "auc": "0.91"}
    props = MlClient(azure_ctx.session).get(HANDLER.identify(azure_ctx, spec))["properties"]
    assert props["modelType"] == "mlflow_model" and props["properties"] == {"run": "r1", "auc": "0.91"}


def test_model_type_and_properties_force_replacement(azure_ctx: ResourceContext, workspace: dict[str, Any]) -> None:
    created = HANDLER.create(azure_ctx, version_spec(workspace, properties={"run": "r1"}))
    assert created["model_type"] == "custom_model"
    for change in ({"model_type": "triton_model"}, {"properties": {"run": "r2"}}):
        changes = diff_attributes(HANDLER.desired(azure_ctx, version_spec(workspace, **change)), created,
                                  force_new=HANDLER.force_new)
        assert changes and all(c.forces_replacement for c in changes), change


def test_a_version_registered_in_the_rest_spelling_reads_the_same_and_is_adopted(
        azure_ctx: ResourceContext, workspace: dict[str, Any]) -> None:
    """Versions this handler made before ``model_type`` existed (or the REST examples') say
    ``CustomModel``: no diff, and re-registering keeps that spelling (the service refuses a change)."""
    spec = version_spec(workspace, version=6)
    cloud_id = HANDLER.identify(azure_ctx, spec)
    client = MlClient(azure_ctx.session)
    client.put(cloud_id.rsplit("/versions/", 1)[0], {"properties": {}})
    client.put(cloud_id, {"properties": {"modelUri": URI, "modelType": "CustomModel", "isArchived": True}})
    HANDLER.create(azure_ctx, spec)  # un-archives
    observed = HANDLER.read(azure_ctx, cloud_id)
    assert observed is not None and diff_attributes(HANDLER.desired(azure_ctx, spec), observed) == []
    assert client.get(cloud_id)["properties"]["modelType"] == "CustomModel"


def test_a_new_model_type_or_changed_property_under_the_same_version_is_refused_at_plan_time(
        azure_ctx: ResourceContext, workspace: dict[str, Any]) -> None:
    recorded = HANDLER.create(azure_ctx, version_spec(workspace, properties={"run": "r1"}))
    retyped = version_spec(workspace, model_type="mlflow_model", properties={"run": "r1"})
    problem = HANDLER.replacement_problem(azure_ctx, recorded, retyped)
    assert problem is not None and "new model_type" in problem and "bump version" in problem
    problem = HANDLER.replacement_problem(azure_ctx, recorded, version_spec(workspace, properties={"run": "r2"}))
    assert problem is not None and "new properties" in problem
    assert "properties" in (HANDLER.replacement_problem(azure_ctx, recorded, version_spec(workspace)) or "")
    grown = version_spec(workspace, properties={"run": "r1", "auc": "0.9"})
    assert HANDLER.replacement_problem(azure_ctx, recorded, grown) is None  # adding one converges
    assert HANDLER.replacement_problem(dataclasses.replace(azure_ctx, hard_delete=True), recorded, retyped) is None

    # the refused ones really cannot work; the allowed one does
    HANDLER.delete(azure_ctx, recorded["id"], recorded)
    with pytest.raises(TerminalError, match="immutable"):
        HANDLER.create(azure_ctx, retyped)
    assert HANDLER.create(azure_ctx, grown)["properties"] == {"run": "r1", "auc": "0.9"}


def test_spec_rejects_unknown_model_types() -> None:
    with pytest.raises(ValidationError):
        Spec(workspace="ws1", resource_group="rg", model_name="churn", version=1, path=URI, model_type="onnx")
