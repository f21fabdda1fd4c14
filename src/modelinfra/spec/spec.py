"""The validated spec: what every command works from after ``compile_spec``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelinfra.graph.dag import Graph
from modelinfra.spec.loader import Document
from modelinfra.spec.model import Lifecycle, OutputDecl, StateConfig
from modelinfra.spec.providers import ProvidersConfig


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

    @property
    def cloud(self) -> str:
        return self.type.split(".", 1)[0]


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

    @property
    def path(self) -> Path:
        return self.document.path

    @property
    def directory(self) -> Path:
        return self.document.path.resolve().parent

    def state_path(self) -> Path:
        """The local state file: ``state.path`` (relative to the spec) or ``.modelinfra/<name>.state.json``
        (also for a remote ``state:`` block: where a local state would be)."""
        relative = getattr(self.state, "path", None) or f".modelinfra/{self.name}.state.json"
        return (self.directory / relative).resolve()

    def clouds(self) -> set[str]:
        return {r.cloud for r in self.resources.values()}
