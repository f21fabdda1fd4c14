"""Specs and stacks over the fake provider, built in memory (``compile_spec`` knows only the
registry's types, so the fake types never reach it).

``fake_stack(tmp_path, resources)`` returns a ``workflow.Stack`` whose run context has the fake
handlers and the fake cloud's session, and whose state lives in a real ``LocalBackend`` under
``tmp_path``. ``resources`` is the spec's ``resources:`` mapping (``{"type": "fake.node",
"properties": {...}, "lifecycle": {...}, "depends_on": [...]}``; ``type`` defaults to fake.node;
an extra ``"sensitive": [property...]`` marks properties as fed by a secret).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from modelinfra.engine.context import RunContext
from modelinfra.engine.workflow import Stack
from modelinfra.graph.dag import Graph
from modelinfra.settings import Settings
from modelinfra.spec.compile import compile_spec
from modelinfra.spec.expressions import Reference, find_references
from modelinfra.spec.loader import Document
from modelinfra.spec.model import OutputDecl, SpecDocument
from modelinfra.spec.providers import ProvidersConfig
from modelinfra.spec.spec import Resource, Spec, StateBlock
from modelinfra.state import LocalBackend, StateManager
from tests.fakes.provider import FakeCloud, fake_handlers

SETTINGS = Settings(parallelism=4, engine_retries=5, engine_retry_base=0.0)


def fake_spec(directory: Path, resources: dict[str, dict[str, Any]], outputs: dict[str, Any] | None = None,
              name: str = "fake") -> Spec:
    sensitive = {a: set(r.get("sensitive", ())) for a, r in resources.items()}
    data = {"version": 1, "name": name,
            "resources": {a: {"type": "fake.node", **{k: v for k, v in r.items() if k != "sensitive"}}
                          for a, r in resources.items()},
            "outputs": outputs or {}}
    model = SpecDocument.model_validate(data)
    text = json.dumps(data, sort_keys=True)
    built: dict[str, Resource] = {}
    for address, decl in model.resources.items():
        refs = {ref.name for _, ref in find_references(decl.properties)
                if isinstance(ref, Reference) and ref.kind == "resource"}
        built[address] = Resource(address, decl.type, decl.properties, list(decl.depends_on), decl.lifecycle,
                                  refs | set(decl.depends_on), sensitive_properties=sensitive[address])
    return Spec(
        document=Document(directory / "spec.yaml", text, data),
        name=name,
        variables={},
        providers=ProvidersConfig(),
        state=model.state,
        resources=built,
        outputs={k: OutputDecl.model_validate(v) for k, v in (outputs or {}).items()},
        graph=Graph({a: r.dependencies for a, r in built.items()}),
        environ={},
        digest=hashlib.sha256(text.encode()).hexdigest(),
    )


def fake_stack(directory: Path, cloud: FakeCloud, resources: dict[str, dict[str, Any]],
               outputs: dict[str, Any] | None = None, settings: Settings = SETTINGS, reporter: Any = None,
               removed: tuple[str, ...] = (), moved: tuple[tuple[str, str], ...] = ()) -> Stack:
    """``removed``: addresses of ``removed`` blocks; ``moved``: (from, to) of ``moved`` blocks."""
    spec = fake_spec(directory, resources, outputs)
    spec.removed = [StateBlock("removed", a, None, ("removed", i)) for i, a in enumerate(removed)]
    spec.moved = [StateBlock("moved", a, b, ("moved", i)) for i, (a, b) in enumerate(moved)]
    return _stack(directory, cloud, spec, settings, reporter)


def compiled_stack(directory: Path, cloud: FakeCloud, text: str, *, variables: dict[str, str] | None = None,
                   settings: Settings = SETTINGS, reporter: Any = None, files: dict[str, str] | None = None) -> Stack:
    """A stack over the fake provider from spec text, through ``compile_spec`` (for_each, modules,
    data and state blocks included): ``text`` goes to ``directory/spec.yaml``, each of ``files``
    (relative path -> content, e.g. a module's ``modules/m/module.yaml``) beside it."""
    for relative, content in (files or {}).items():
        (directory / relative).parent.mkdir(parents=True, exist_ok=True)
        (directory / relative).write_text(content)
    (directory / "spec.yaml").write_text(text)
    spec = compile_spec(directory / "spec.yaml", variables or {}, environ={}, handlers=fake_handlers())
    return _stack(directory, cloud, spec, settings, reporter)


def _stack(directory: Path, cloud: FakeCloud, spec: Spec, settings: Settings, reporter: Any) -> Stack:
    manager = StateManager(LocalBackend(directory / "fake.state.json"))
    kwargs = {"reporter": reporter} if reporter is not None else {}
    run = RunContext(spec, settings, handlers=fake_handlers(), sessions={"fake": cloud}, sleep=lambda s: None,
                     **kwargs)
    return Stack(spec, manager, run)
