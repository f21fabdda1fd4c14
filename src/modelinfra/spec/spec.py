"""The validated spec: what every command works from after ``compile_spec``."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelinfra.graph.dag import Graph
from modelinfra.spec.loader import Document
from modelinfra.spec.model import Lifecycle, OutputDecl, StateConfig
from modelinfra.spec.providers import ProvidersConfig

PathKey = tuple[str | int, ...]


@dataclass(eq=False)
class Scope:
    """Where names resolve: the root spec or one copy of a module. ``prefix`` ("" or
    ``module.a.``) turns a name into an address; ``inputs`` are the caller's raw expressions for
    the module's variables (evaluated in ``parent``), ``defaults`` the module's own defaults;
    ``outputs`` and ``children`` are what ``${module.X.OUT}`` reaches. ``document``/``where``:
    the file holding this scope's declarations and, for a module, where it is called."""

    prefix: str = ""
    document: Document | None = None
    directory: Path | None = None
    parent: Scope | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    variables: set[str] = field(default_factory=set)
    outputs: dict[str, OutputDecl] = field(default_factory=dict)
    children: dict[str, Scope] = field(default_factory=dict)

    @property
    def is_root(self) -> bool:
        return self.parent is None


ROOT = Scope()


@dataclass
class Resource:
    """One declared resource. ``properties`` are raw (may hold expressions); ``dependencies`` are
    the addresses it references or names in ``depends_on``."""

    address: str
    type: str
    properties: dict[str, Any]
    depends_on: list[str]
    lifecycle: Lifecycle
    dependencies: set[str] = field(default_factory=set)
    line: int = 1
    sensitive_properties: set[str] = field(default_factory=set)
    """Top-level properties whose value comes from a sensitive variable or attribute: redacted in
    plans, state and drift reports."""
    each: tuple[str, Any] | None = None
    """``(each.key, each.value)`` of a ``for_each`` instance; None for a plain resource."""
    scope: Scope = field(default_factory=lambda: ROOT)
    where: PathKey = ()
    """Key path of the declaration in ``scope.document`` (default ``("resources", address)``)."""

    @property
    def cloud(self) -> str:
        return self.type.split(".", 1)[0]

    @property
    def path(self) -> PathKey:
        return self.where or ("resources", self.address)


@dataclass
class DataSource:
    """One ``data:`` block: a read-only lookup, addressed ``data.NAME`` (``module.m.data.NAME``)."""

    address: str
    type: str
    properties: dict[str, Any]
    scope: Scope = field(default_factory=lambda: ROOT)
    where: PathKey = ()
    line: int = 1


@dataclass
class StateBlock:
    """A ``moved`` (``source`` -> ``target``), ``removed`` (``source``) or ``import`` (``target``
    <- cloud id ``source``) block, with where it is written."""

    kind: str
    source: str
    target: str | None
    where: PathKey
    document: Document | None = None  # the module.yaml holding it; None: the spec itself


@dataclass
class Spec:
    document: Document
    name: str
    variables: dict[str, Any]
    providers: ProvidersConfig
    state: StateConfig
    resources: dict[str, Resource]
    outputs: dict[str, OutputDecl]
    graph: Graph
    environ: dict[str, str]
    digest: str
    sensitive_variables: set[str] = field(default_factory=set)
    data: dict[str, DataSource] = field(default_factory=dict)
    moved: list[StateBlock] = field(default_factory=list)
    removed: list[StateBlock] = field(default_factory=list)
    imports: list[StateBlock] = field(default_factory=list)
    root: Scope = field(default_factory=lambda: ROOT)

    def document_of(self, scope: Scope) -> Document:
        return scope.document or self.document

    def directory_of(self, scope: Scope) -> Path:
        return scope.directory or self.directory

    @property
    def path(self) -> Path:
        return self.document.path

    @functools.cached_property
    def directory(self) -> Path:
        """The spec file's directory, resolved once (every evaluation of a resource asks for it)."""
        return self.document.path.resolve().parent

    def state_path(self) -> Path:
        """The local state file: ``state.path`` (relative to the spec) or ``.modelinfra/<name>.state.json``
        (also for a remote ``state:`` block: where a local state would be)."""
        relative = getattr(self.state, "path", None) or f".modelinfra/{self.name}.state.json"
        return (self.directory / relative).resolve()

    def clouds(self) -> set[str]:
        return {r.cloud for r in self.resources.values()} | {d.type.split(".", 1)[0] for d in self.data.values()}
