"""``azure.ml_model_version``: one version of a registered model in an Azure ML workspace.
Cloud id: the version's ARM id (``.../workspaces/{ws}/models/{model}/versions/{version}``).

Invariants
- a model version is immutable: every property forces replacement, so a changed ``path`` (new
  artifact content), ``model_type``, ``properties`` or ``description`` is a new resource, never an
  in-place edit. Reusing a version number for another artifact is refused by the service (409);
  bump ``version``.
- ``model_type`` is written as the Azure ML SDK v2 and CLI write it (``custom_model``,
  ``mlflow_model``, ``triton_model``); the REST examples' spelling (``CustomModel``, ``MLFlowModel``,
  ``TritonModel``, what this handler wrote before) reads back as the same value, and re-registering an
  existing version keeps the spelling it was stored with (the service refuses a changed modelType).
- create makes the model container when it is missing, then PUTs the version with
  ``isArchived: false``: adopting an existing version (or un-archiving an archived one) is the
  same call.
- delete archives the version (PUT ``isArchived: true``) unless ``lifecycle.hard_delete: true``
  (``ctx.hard_delete``), which DELETEs it. Either way a missing version is success.
- a replacement that keeps the version number but changes ``path`` or ``model_type``, or removes or
  changes one of its ``properties``, cannot work with the archiving delete (the archived version
  still holds the old ``modelUri``/``modelType``/properties, which the service will not change: 409),
  so ``replacement_problem`` refuses it at plan time naming the remedies; with ``hard_delete`` the
  version is deleted and registered again under the same number. Other force-new changes under
  the same number (description, tags, added properties) converge: archiving then re-registering un-archives it.
- ``read`` of an archived version is ``None``: to modelinfra an archived version is gone, so a plan
  re-creates (un-archives) it instead of treating it as present.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field

from modelinfra.providers.azure import arm_ids
from modelinfra.providers.azure.errors import (
    azure_errors,
    ignore_not_found,
    read_or_none,
    visible_after_write,
)
from modelinfra.providers.azure.ml_client import NAMESPACE, MlClient
from modelinfra.providers.azure.ml_workspace import WorkspaceName
from modelinfra.providers.azure.names import AzureTags, ResourceGroupName
from modelinfra.providers.base import ResourceContext, ResourceHandler, strip_managed_tags
from modelinfra.spec.fields import SpecModel

_MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$")
_URI = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://\S+|azureml:\S+)$")


def check_model_name(name: str) -> str:
    if not _MODEL_NAME.match(name):
        raise ValueError(f"model name {name!r} must be 1 to 255 letters, digits, periods, hyphens or underscores, "
                         "starting with a letter or digit")
    return name


def check_artifact_uri(uri: str) -> str:
    if not _URI.match(uri):
        raise ValueError(f"path {uri!r} must be an artifact URI (https://..., azureml://..., runs:/...)")
    return uri


ModelName = Annotated[str, AfterValidator(check_model_name)]
ArtifactUri = Annotated[str, AfterValidator(check_artifact_uri)]
ModelType = Literal["custom_model", "mlflow_model", "triton_model"]
MODEL_TYPES: tuple[str, ...] = ("custom_model", "mlflow_model", "triton_model")


def model_type_of(wire: Any) -> str | None:
    """The spec's spelling of a ``modelType`` the service answers, either spelling (``CustomModel``,
    ``custom_model``; any casing); an unknown one as is."""
    if wire is None:
        return None
    key = str(wire).replace("_", "").lower()
    return next((t for t in MODEL_TYPES if t.replace("_", "") == key), str(wire))


class MlModelVersionSpec(SpecModel):
    workspace: WorkspaceName
    """Name of the Azure ML workspace (e.g. ``${ws.name}``)."""
    resource_group: ResourceGroupName
    """Resource group of the workspace."""
    model_name: ModelName
    """Registered model name (the model container; made when missing)."""
    version: int = Field(ge=1, description="A positive integer; a new artifact is a new version.")
    path: ArtifactUri
    """Artifact URI of the model files (``https://...``, ``azureml://...``, ``runs:/...``)."""
    description: str | None = None
    """Free-text description of this version."""
    model_type: ModelType = Field(
        default="custom_model", description="How the artifact is packaged: custom_model (any files), mlflow_model "
                                            "(an MLflow model directory), triton_model (a Triton model repository).")
    properties: dict[str, str] = Field(
        default_factory=dict, description="Immutable key/value facts about the version (e.g. the training run, "
                                          "metrics); unlike tags they cannot change once registered.")
    tags: AzureTags


class MlModelVersionHandler(ResourceHandler[MlModelVersionSpec]):
    type_name: ClassVar[str] = "azure.ml_model_version"
    cloud_id_form: ClassVar[str] = "/subscriptions/SUB/resourceGroups/RG/providers/Microsoft.MachineLearningServices/workspaces/WORKSPACE/models/MODEL/versions/VERSION"
    cloud: ClassVar[str] = "azure"
    spec_model = MlModelVersionSpec
    computed: ClassVar[tuple[str, ...]] = ("id",)
    force_new: ClassVar[tuple[str, ...]] = ("workspace", "resource_group", "model_name", "version", "path",
                                            "description", "model_type", "properties", "tags")
    taggable: ClassVar[bool] = True

    def identify(self, ctx: ResourceContext, spec: MlModelVersionSpec) -> str:
        return arm_ids.resource_id(ctx.session.subscription_id, spec.resource_group, NAMESPACE, "workspaces",
                                   spec.workspace, "models", spec.model_name, "versions", str(spec.version))

    def read(self, ctx: ResourceContext, cloud_id: str) -> dict[str, Any] | None:
        parsed = arm_ids.parse(cloud_id)
        client = MlClient(ctx.session)
        body = read_or_none(f"reading model version {_label(cloud_id)}", lambda: client.get(cloud_id))
        props = (body or {}).get("properties") or {}
        if body is None or props.get("isArchived"):
            return None
        version = parsed.name
        return {
            "workspace": parsed.name_of("workspaces"),
            "resource_group": parsed.resource_group,
            "model_name": parsed.name_of("models"),
            "version": int(version) if version.isdigit() else version,
            "path": props.get("modelUri"),
            "description": props.get("description"),
            "model_type": model_type_of(props.get("modelType")) or "custom_model",
            "properties": dict(props.get("properties") or {}),
            "tags": strip_managed_tags(props.get("tags")),
            "id": cloud_id,
        }

    def create(self, ctx: ResourceContext, spec: MlModelVersionSpec) -> dict[str, Any]:
        cloud_id = self.identify(ctx, spec)
        client = MlClient(ctx.session)
        container_id = cloud_id.rsplit("/versions/", 1)[0]
        with azure_errors(f"registering model version {_label(cloud_id)}"):
            if client.get(container_id) is None:
                client.put(container_id, {"properties": {}})
            properties = self._properties(ctx, spec, archived=False)
            stored = ((client.get(cloud_id) or {}).get("properties") or {}).get("modelType")
            if stored is not None and model_type_of(stored) == spec.model_type:
                properties["modelType"] = stored  # the spelling it was registered with
            client.put(cloud_id, {"properties": properties})
        return visible_after_write(self.read(ctx, cloud_id), f"model version {_label(cloud_id)}")

    def replacement_problem(self, ctx: ResourceContext, recorded: dict[str, Any],
                            spec: MlModelVersionSpec) -> str | None:
        same_version = all(recorded.get(k) == getattr(spec, k)
                           for k in ("workspace", "resource_group", "model_name", "version"))
        if ctx.hard_delete or not same_version:
            return None
        changed = _immutable_changes(recorded, spec)
        if not changed:
            return None
        return (f"model version {spec.model_name}:{spec.version} is immutable and its delete only archives it, so "
                f"version {spec.version} cannot be registered again with a new {' and '.join(changed)}; bump version "
                f"(e.g. version: {spec.version + 1}) or set lifecycle.hard_delete: true to delete version "
                f"{spec.version} for real before re-creating it")

    def update(
        self, ctx: ResourceContext, spec: MlModelVersionSpec, observed: dict[str, Any], changes: list[Any]
    ) -> dict[str, Any]:
        """Never reached for a real change (every property forces replacement); converges by re-PUT."""
        return self.create(ctx, spec)

    def delete(self, ctx: ResourceContext, cloud_id: str, attributes: dict[str, Any]) -> None:
        client = MlClient(ctx.session)
        label = _label(cloud_id)
        if ctx.hard_delete:
            ignore_not_found(f"deleting model version {label}", lambda: client.delete(cloud_id))
            return
        body = read_or_none(f"reading model version {label}", lambda: client.get(cloud_id))
        if body is None or (body.get("properties") or {}).get("isArchived"):
            return
        properties = {**(body.get("properties") or {}), "isArchived": True}
        with azure_errors(f"archiving model version {label}"):
            client.put(cloud_id, {"properties": _writable(properties)})

    @staticmethod
    def _properties(ctx: ResourceContext, spec: MlModelVersionSpec, archived: bool) -> dict[str, Any]:
        properties: dict[str, Any] = {"modelUri": spec.path, "modelType": spec.model_type, "isArchived": archived,
                                      "properties": dict(spec.properties), "tags": {**spec.tags, **ctx.managed_tags}}
        if spec.description is not None:
            properties["description"] = spec.description
        return properties


def _immutable_changes(recorded: dict[str, Any], spec: MlModelVersionSpec) -> list[str]:
    """What the archived version would keep that ``spec`` changes (what the service refuses to
    re-register under the same number): a new path or model type, a property removed or changed
    (adding properties is allowed). Attributes recorded before a property existed do not count."""
    changed = []
    if recorded.get("path") not in (None, spec.path):
        changed.append("path")
    if recorded.get("model_type") not in (None, spec.model_type):
        changed.append("model_type")
    had = recorded.get("properties") or {}
    if any(spec.properties.get(key) != value for key, value in had.items()):
        changed.append("properties")
    return changed


def _writable(properties: dict[str, Any]) -> dict[str, Any]:
    """A version's properties minus the read-only ones the service computes."""
    return {k: v for k, v in properties.items() if k not in ("provisioningState", "stage")}


def _label(cloud_id: str) -> str:
    parsed = arm_ids.parse(cloud_id)
    return f"{parsed.name_of('models')}:{parsed.name} in workspace {parsed.name_of('workspaces')}"
