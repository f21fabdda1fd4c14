"""The shape of a spec document (DESIGN.md §1), before expressions are evaluated.

Resource ``properties`` and ``providers`` stay raw here: they may hold ``${...}`` expressions and
are validated against their typed models (handler ``spec_model``, ``ProvidersConfig``) only after
evaluation (see ``compile``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, StringConstraints, Tag

from modelinfra.spec.fields import SpecModel

Address = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$", max_length=128)]
StackName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,63}$")]


class VariableDecl(SpecModel):
    default: Any = None
    """Value used when neither ``--var``, ``--var-file`` nor ``MODELINFRA_VAR_<name>`` sets it; none:
    required."""
    description: str | None = None
    """What the variable is for (shown in errors about it)."""
    sensitive: bool = False
    """Mask the value in plan output (shown as ``(sensitive)``)."""


class Lifecycle(SpecModel):
    prevent_destroy: bool = False
    """Plan fails rather than delete or replace the resource."""
    ignore_changes: list[str] = Field(default_factory=list)
    """Property paths excluded from diffs (``tags``, ``tags.team``...)."""
    create_before_destroy: bool = False
    """Replacement creates the new resource first (it needs a different cloud id)."""
    hard_delete: bool = False
    """Delete for real where the default is to archive (Azure ML model versions)."""
    retain_versions: bool = False
    """Deleting a versioned artifact (``aws.s3_object``, ``azure.blob``) keeps its noncurrent
    versions, so restores stay possible; by default every version the key holds is deleted."""


class ResourceDecl(SpecModel):
    type: str
    """Resource type, ``<cloud>.<kind>`` (``aws.s3_bucket``, ``azure.storage_account`` ...)."""
    for_each: list[Any] | dict[str, Any] | str | None = None
    """One instance per list item or map key (``${var.models}``, ``${files("models/*.onnx")}``):
    addresses ``NAME["KEY"]``, ``${each.key}`` / ``${each.value}`` in the properties. Must be known
    offline (variables, literals, ``files()``). Items of a list must be distinct strings."""
    properties: dict[str, Any] = Field(default_factory=dict)
    """The type's properties (see the reference per type); values may be ``${...}`` expressions."""
    depends_on: list[Address] = Field(default_factory=list)
    """Addresses this resource must follow besides those its references imply."""
    lifecycle: Lifecycle = Field(default_factory=Lifecycle)
    """Replacement, deletion and diff rules for this resource."""


class DataDecl(SpecModel):
    """A read-only lookup of an existing resource, referenced as ``${data.NAME.ATTRIBUTE}``: read at
    plan time, never created, changed, deleted, tagged or counted as drift."""

    type: str
    """Resource type to look up (one whose handler supports lookups, e.g. ``aws.s3_bucket``)."""
    properties: dict[str, Any] = Field(default_factory=dict)
    """The type's lookup keys (e.g. ``name``; ``resource_group`` and ``name`` on Azure)."""


class ModuleDecl(SpecModel):
    """A local module: ``source`` is a directory (relative to this file) holding ``module.yaml``
    (``variables``, ``resources``, ``data``, ``outputs``, ``modules``). Its resources are addressed
    ``module.NAME.RESOURCE``; its outputs, ``${module.NAME.OUTPUT}``, are the only way out."""

    source: Annotated[str, StringConstraints(min_length=1)]
    """Directory of the module (holding ``module.yaml``), relative to this file."""
    inputs: dict[str, Any] = Field(default_factory=dict)
    """Values of the module's variables (expressions in this file's scope)."""


InstanceAddress = Annotated[str, StringConstraints(min_length=1, max_length=512)]


class MovedBlock(SpecModel):
    """Rename in state: the resource at ``from`` is now ``to`` (no destroy, no create)."""

    from_: InstanceAddress = Field(alias="from")
    """The address the resource had (e.g. ``old_index`` or ``model["ranker"]``)."""
    to: InstanceAddress
    """The address it has now, declared in the spec."""


class RemovedBlock(SpecModel):
    """Forget ``from`` (no longer in the spec) from state; the cloud resource is left alone."""

    from_: InstanceAddress = Field(alias="from")
    """The address to forget; it must not be declared in the spec any more."""


class ImportBlock(SpecModel):
    """Adopt the existing cloud resource ``id`` as ``to`` at the next apply (shown in the plan)."""

    to: InstanceAddress
    """The address (declared in the spec) the resource is adopted as."""
    id: Annotated[str, StringConstraints(min_length=1)]
    """The cloud id, in the form ``modelinfra import --help`` lists for the type."""


class OutputDecl(SpecModel):
    value: Any
    """The value: usually an expression such as ``${snapshot.url}``."""
    description: str | None = None
    """What the output is."""
    sensitive: bool = False
    """Shown as ``(sensitive)`` unless ``modelinfra output --show-sensitive``."""


class LocalStateConfig(SpecModel):
    """State in a JSON file beside the spec (the default)."""

    backend: Literal["local"] = "local"
    """``local``: a JSON file next to the spec (the default)."""
    path: str | None = None
    """Relative to the spec; default ``.modelinfra/<name>.state.json``."""


class S3StateConfig(SpecModel):
    """State in one S3 object, written compare-and-swap, locked by ``<key>.lock``."""

    backend: Literal["s3"]
    """``s3``: one object in an S3 bucket."""
    bucket: str = Field(min_length=3, max_length=63)
    """Bucket that holds the state (not managed by this stack)."""
    key: str = Field(min_length=1, max_length=1024)
    """Object key of the state, e.g. ``stacks/models.state.json``; the lock is ``<key>.lock``."""
    region: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")
    """Default ``providers.aws.region``."""
    profile: str | None = None
    """Default ``providers.aws.profile``."""
    endpoint_url: str | None = None
    """Default ``providers.aws.endpoint_url`` (or ``AWS_ENDPOINT_URL``)."""
    kms_key_id: str | None = None
    """Encrypt with SSE-KMS under this key; otherwise the bucket's default encryption (SSE-S3)."""


class AzureBlobStateConfig(SpecModel):
    """State in one block blob, written with the lease and ``If-Match``, locked by a blob lease."""

    backend: Literal["azure_blob"]
    """``azure_blob``: one block blob in an Azure storage container."""
    account: str = Field(pattern=r"^[a-z0-9]{3,24}$")
    """Storage account name (3 to 24 lowercase letters and digits)."""
    container: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
    """Container that holds the state blob."""
    blob: str = Field(min_length=1, max_length=1024)
    """Blob name of the state, e.g. ``models.state.json``."""
    resource_group: str | None = None
    """Fetch an account key (ARM listKeys) from this group where Azure AD data access is not granted."""
    endpoint: str | None = None
    """Blob endpoint override; default ``https://<account>.blob.<cloud suffix>``."""


STATE_BACKENDS = ("local", "s3", "azure_blob")


def _state_backend(value: Any) -> str | None:
    """The union tag of a ``state:`` block; ``backend`` defaults to local. Tags are written
    ``backend(x)`` so error locations drop them (``clean_loc``)."""
    backend = value.get("backend", "local") if isinstance(value, dict) else getattr(value, "backend", "local")
    return f"backend({backend})" if backend in STATE_BACKENDS else None


StateConfig = Annotated[
    Annotated[LocalStateConfig, Tag("backend(local)")] | Annotated[S3StateConfig, Tag("backend(s3)")]
    | Annotated[AzureBlobStateConfig, Tag("backend(azure_blob)")],
    Discriminator(_state_backend, custom_error_type="state_backend",
                  custom_error_message="state.backend must be one of local, s3, azure_blob"),
]
"""The spec's ``state:`` block: one of the backends, chosen by ``backend``."""


Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


RuleAddress = Annotated[str, StringConstraints(min_length=1, max_length=512)]


class DriftIgnore(SpecModel):
    address: RuleAddress
    """The resource whose drift is ignored."""
    path: Annotated[str, StringConstraints(min_length=1)]
    """Attribute path (``tags.owner``); drift at it or beneath it is reported as ignored."""
    reason: Reason
    """Why (required): shown next to every ignored change."""
    until: dt.date | None = None
    """ISO date; after it the rule ignores nothing and the drift counts again, with a note."""


class DriftConfig(SpecModel):
    ignore: list[DriftIgnore] = Field(default_factory=list)
    """Changes outside modelinfra that ``modelinfra drift`` reports as ignored (no exit 2).
    Plan and apply are unaffected."""


class PolicySkip(SpecModel):
    rule: Annotated[str, StringConstraints(pattern=r"^MI-[A-Z0-9-]+$")]
    """The ``modelinfra check`` rule id (``MI-AZ-STORAGE-TLS``)."""
    address: RuleAddress
    """The resource the rule is skipped for."""
    reason: Reason
    """Why (required): shown in the check output."""
    until: dt.date | None = None
    """ISO date; after it the finding is reported again, saying the suppression expired."""


class PolicyConfig(SpecModel):
    skip: list[PolicySkip] = Field(default_factory=list)
    """Suppressed ``modelinfra check`` findings."""


class SpecDocument(SpecModel):
    version: Literal[1]
    """Spec format version; always 1."""
    name: StackName
    """Stack name, 1 to 63 of a-z, 0-9 and '-'; used in tags and the default state path."""
    variables: dict[Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], VariableDecl] = Field(
        default_factory=dict
    )
    """Input variables, read as ``${var.<name>}``."""
    providers: dict[Literal["aws", "azure"], dict[str, Any]] = Field(default_factory=dict)
    """Per cloud (``aws``, ``azure``) its settings: region, subscription, endpoint ...; only the clouds
    used."""
    state: StateConfig = Field(default_factory=LocalStateConfig)
    """Where the state is kept: ``local`` (default), ``s3`` or ``azure_blob``."""
    resources: dict[Address, ResourceDecl] = Field(default_factory=dict)
    """The managed resources by address (``[a-z][a-z0-9_-]*``)."""
    outputs: dict[Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], OutputDecl] = Field(
        default_factory=dict
    )
    """Values printed after apply and by ``modelinfra output``."""
    data: dict[Address, DataDecl] = Field(default_factory=dict)
    """Read-only lookups of existing resources, referenced as ``${data.NAME.ATTRIBUTE}``."""
    modules: dict[Address, ModuleDecl] = Field(default_factory=dict)
    """Local modules by name: their resources are addressed ``module.NAME.RESOURCE``."""
    moved: list[MovedBlock] = Field(default_factory=list)
    """Renames in state (``from`` -> ``to``): the cloud resource is kept, nothing is destroyed."""
    removed: list[RemovedBlock] = Field(default_factory=list)
    """Addresses to forget from state; their cloud resources are left alone."""
    import_: list[ImportBlock] = Field(default_factory=list, alias="import")
    """Existing cloud resources to adopt (``to`` address, cloud ``id``) at the next apply."""
    policy: PolicyConfig = Field(default_factory=PolicyConfig)
    """Suppressions of ``modelinfra check`` findings, each with a reason."""
    drift: DriftConfig = Field(default_factory=DriftConfig)
    """Drift that ``modelinfra drift`` reports as ignored, each with a reason."""


VariableName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class ModuleDocument(SpecModel):
    """``module.yaml`` of a local module: a spec without stack-wide settings."""

    variables: dict[VariableName, VariableDecl] = Field(default_factory=dict)
    """A variable without ``default`` must be given in the caller's ``inputs``."""
    data: dict[Address, DataDecl] = Field(default_factory=dict)
    """Read-only lookups, as in a spec."""
    resources: dict[Address, ResourceDecl] = Field(default_factory=dict)
    """The module's resources, addressed ``module.NAME.RESOURCE`` from outside."""
    modules: dict[Address, ModuleDecl] = Field(default_factory=dict)
    """Nested local modules."""
    outputs: dict[VariableName, OutputDecl] = Field(default_factory=dict)
    """Values the caller reads as ``${module.NAME.OUTPUT}``: the only way out of a module."""
    moved: list[MovedBlock] = Field(default_factory=list)
    """Renames inside the module, in its own addresses (``from: old``, ``to: bucket``): every copy of
    the module moves its own resources."""
