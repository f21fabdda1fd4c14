"""Checks of ``compile`` that span the graph or the file system: cycles, ``source`` files, and the
attribution of property problems to the variable that fed them.

Each returns problems rather than raising, so ``compile_spec`` reports them with every other one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from modelinfra.errors import Problem
from modelinfra.graph.dag import Graph
from modelinfra.providers.base import ResourceHandler
from modelinfra.providers.registry import handler_for
from modelinfra.spec.evaluator import Evaluator, resolve_address
from modelinfra.spec.expressions import Reference, iter_strings, whole_reference
from modelinfra.spec.loader import Document, dotted
from modelinfra.spec.spec import Scope, Spec
from modelinfra.values import UNKNOWN


def cycles(graph: Graph, problems: list[Problem], locate: Callable[[str, str], Problem]) -> set[str]:
    """Report every dependency cycle (one problem each, ``locate(address, message)`` placing it at
    its first resource) and return the addresses on them."""
    on_cycle: set[str] = set()
    deps = {n: set(d) for n, d in graph.deps.items()}
    while True:
        cycle = Graph(deps).find_cycle()
        if not cycle:
            return on_cycle
        problems.append(locate(cycle[0], "dependency cycle: " + " -> ".join(cycle)))
        on_cycle |= set(cycle)
        deps[cycle[-2]].discard(cycle[-1])  # break this cycle to look for the next one


class CycleSafeEvaluator(Evaluator):
    """An evaluator for validation: a reference to a resource on a dependency cycle is UNKNOWN,
    so evaluating the properties terminates and the rest of them can still be judged."""

    def __init__(self, spec: Spec, cyclic: Iterable[str], lenient: bool,
                 handlers: Callable[[str], ResourceHandler] = handler_for):
        super().__init__(spec, lenient=lenient, handlers=handlers)
        self.cyclic = frozenset(cyclic)

    def lookup(self, ref: Reference, scope: Scope | None = None, each: tuple[str, Any] | None = None) -> Any:
        if ref.kind == "resource" and resolve_address(ref, scope or self.spec.root) in self.cyclic:
            return UNKNOWN
        return super().lookup(ref, scope, each)


def source_problems(doc: Document, spec: Spec, address: str, evaluator: Evaluator,
                    get: Callable[[str], ResourceHandler] = handler_for) -> list[Problem]:
    """A ``source`` file (``aws.s3_object``, ``azure.blob``) that does not exist, at its line.
    Paths are relative to the file declaring the resource (a module's own directory)."""
    resource = spec.resources[address]
    if "source" not in get(resource.type).spec_model.model_fields:
        return []
    source = evaluator.properties(address).get("source")
    if not isinstance(source, str) or not source:
        return []
    directory = spec.directory_of(resource.scope)
    path = directory / source
    if path.is_file():
        return []
    what = "is a directory, not a file" if path.is_dir() else "does not exist"
    prefix = f"{address}: " if resource.each is not None else ""
    return [(resource.scope.document or doc).problem(
        (*resource.path, "properties", "source"),
        f"{prefix}source file {source} {what} (paths are relative to the spec's directory, {directory})")]


def blame_variables(doc: Document, spec: Spec, found: list[Problem], origins: Mapping[str, str]) -> list[Problem]:
    """``found`` with each problem of a property set wholly by ``${var.NAME}`` reworded to name the
    variable and where its value came from; a variable with several such uses is reported once."""
    raw_at = {}
    for resource in spec.resources.values():
        if resource.scope.is_root:
            for key, value in _strings(resource.properties, (*resource.path, "properties")):
                raw_at[key] = value
    out: list[Problem] = []
    blamed: set[str] = set()
    for problem in found:
        ref = whole_reference(raw_at.get(problem.path)) if problem.file == doc.display_name else None
        if ref is None or ref.kind != "var" or ref.name not in spec.variables:
            out.append(problem)
            continue
        if ref.name in blamed:
            continue
        blamed.add(ref.name)
        origin = origins.get(ref.name, "default")
        value = spec.variables[ref.name]
        shown = "(sensitive)" if ref.name in spec.sensitive_variables else repr(value)
        message = problem.message.split(" (got ", 1)[0]
        out.append(Problem(problem.file, problem.line, problem.col, problem.path,
                           f"variable {ref.name} = {shown} (from {origin}): {message}"))
    return out


def _strings(value: Any, prefix: tuple[Any, ...]) -> Iterable[tuple[str, str]]:
    for sub, text in iter_strings(value):
        yield dotted((*prefix, *sub)), text
