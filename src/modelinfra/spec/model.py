"""The shape of a spec document (DESIGN.md §1), before expressions are evaluated.

Resource ``properties`` and ``providers`` stay raw here: they may hold ``${...}`` expressions and
are validated against their typed models (handler ``spec_model``, ``ProvidersConfig``) only after
evaluation (see ``compile``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from modelinfra.spec.fields import SpecModel

Address = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$", max_length=128)]
StackName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,63}$")]


class VariableDecl(SpecModel):
    default: Any = None
    description: str | None = None
    sensitive: bool = False


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
    properties: dict[str, Any] = Field(default_factory=dict)
    depends_on: list[Address] = Field(default_factory=list)
    lifecycle: Lifecycle = Field(default_factory=Lifecycle)


class OutputDecl(SpecModel):
    value: Any
    description: str | None = None
    sensitive: bool = False


class StateConfig(SpecModel):
    backend: Literal["local"] = "local"
    path: str | None = None


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
    name: StackName
    variables: dict[Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], VariableDecl] = Field(
        default_factory=dict
    )
    providers: dict[Literal["aws", "azure"], dict[str, Any]] = Field(default_factory=dict)
    state: StateConfig = Field(default_factory=StateConfig)
    resources: dict[Address, ResourceDecl] = Field(default_factory=dict)
    outputs: dict[Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], OutputDecl] = Field(
        default_factory=dict
    )
    policy: PolicyConfig = Field(default_factory=PolicyConfig)
    drift: DriftConfig = Field(default_factory=DriftConfig)
