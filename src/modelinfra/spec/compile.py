"""From a spec file to a validated ``Spec``: every problem found, positioned, before any cloud call.

``compile_spec(path, cli_vars, environ)`` returns a ``Spec`` only when the whole file is valid;
otherwise it raises ``SpecError`` with every problem it can find in one pass. One problem hides
others only where checking them is impossible: a malformed document structure (beyond ``version``,
``name`` and ``state``) stops everything. A dependency cycle is reported with the rest: references
into the cycle are treated as unknown while the properties are checked. A resource whose reference
is broken is still checked, with that value treated as unknown. Fields whose value is only known
after apply (or unknowable) are never judged. A property fed by a bad variable value is reported
once per variable, naming it and where its value came from.
No cloud SDK is imported; handlers are looked up only for their models.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from modelinfra.errors import Problem, SpecError
from modelinfra.graph.dag import Graph
from modelinfra.providers.base import ResourceHandler
from modelinfra.providers.registry import HANDLERS, handler_for
from modelinfra.spec.blocks import moved_blocks, state_blocks
from modelinfra.spec.checks import CycleSafeEvaluator, blame_variables, cycles, source_problems
from modelinfra.spec.evaluator import Evaluator, resolve_address
from modelinfra.spec.expand import data_problems, expand
from modelinfra.spec.expressions import ExpressionError, Reference, find_references
from modelinfra.spec.loader import Document, read_document
from modelinfra.spec.model import SpecDocument
from modelinfra.spec.providers import ProvidersConfig
from modelinfra.spec.pydantic_problems import problems_from_validation
from modelinfra.spec.spec import Resource, Scope, Spec
from modelinfra.spec.suggest import did_you_mean
from modelinfra.spec.variables import resolve
from modelinfra.values import UNKNOWN, contains_unknown


def compile_spec(
    path: Path | str, cli_vars: Mapping[str, str] | None = None, environ: Mapping[str, str] | None = None,
    handlers: Mapping[str, ResourceHandler] | None = None,
) -> Spec:
    """``handlers`` (type name -> handler) replaces the registry: only those types exist (tests
    compile specs of the fake provider this way)."""
    path = Path(path)
    environ = os.environ if environ is None else environ
    known_types: Collection[str] = handlers.keys() if handlers is not None else HANDLERS.keys()
    get = handlers.__getitem__ if handlers is not None else handler_for

    def handler_of(type_name: str) -> ResourceHandler | None:
        return get(type_name) if type_name in known_types else None

    doc = read_document(path)
    problems: list[Problem] = list(doc.problems)  # duplicate keys, anchors: reported with the rest
    model = _document_model(doc, problems)
    variables, origins = resolve(doc, model, cli_vars or {}, environ, problems)
    expansion = expand(doc, model, variables, environ, handler_of, problems)
    resources = expansion.resources
    _type_problems(expansion, known_types, problems)
    data_problems(expansion, handler_of, problems)
    graph = Graph({a: r.dependencies & resources.keys() for a, r in resources.items()})
    cyclic = cycles(graph, problems, lambda a, m: _problem(doc, resources[a], (), m))
    sound = {a for a, r in resources.items() if r.type in known_types}
    order = sorted(resources) if cyclic else graph.topological_order()

    spec = Spec(
        document=doc,
        name=model.name,
        variables=variables,
        providers=ProvidersConfig(),
        state=model.state,
        resources=resources,
        outputs=model.outputs,
        graph=graph,
        environ=dict(environ),
        digest="",
        data=expansion.data,
        root=expansion.root,
    )
    spec.moved, spec.removed, spec.imports = state_blocks(doc, model, resources, handler_of, problems)
    for scope, blocks in expansion.module_moved:
        assert scope.document is not None
        spec.moved += moved_blocks(scope.document, blocks, resources, problems, scope.prefix)
    spec.sensitive_variables = {n for n, d in model.variables.items() if d.sensitive}
    problems.extend(_mark_sensitive(doc, spec, order, handler_of))
    evaluator = CycleSafeEvaluator(spec, cyclic, lenient=bool(problems), handlers=get)  # broken references: UNKNOWN
    evaluator.expression_errors = {}  # a function given values it cannot take: reported, then UNKNOWN
    if not any(p.path.startswith("providers") for p in problems):
        spec.providers = _providers(doc, model, evaluator, resources, problems, custom=handlers is not None)
    property_problems: list[Problem] = []
    for address in order:
        if address in sound:
            property_problems.extend(_validate_properties(doc, spec.resources[address], evaluator, get))
            property_problems.extend(source_problems(doc, spec, address, evaluator, get))
    for address, errors in evaluator.expression_errors.items():
        property_problems.extend(_problem(doc, spec.resources[address], ("properties", *path), message)
                                 for path, message in errors)
    problems.extend(blame_variables(doc, spec, property_problems, origins))
    problems.extend(_cross_resource_problems(doc, spec, evaluator, sound, get))
    if problems:
        raise SpecError(_distinct(problems))
    for name, output in model.outputs.items():
        try:
            evaluator.evaluate(output.value)
        except ExpressionError as exc:
            problems.append(doc.problem(("outputs", name, "value"), str(exc)))
    if problems:
        raise SpecError(problems)
    spec.digest = _digest(doc, variables, environ, model, spec)
    return spec


def _problem(doc: Document, resource: Resource, sub: tuple[Any, ...], message: str) -> Problem:
    """A problem of ``resource`` at ``sub`` beneath its declaration, in the file declaring it (the
    same problem of several instances or module copies is reported once: see ``_distinct``)."""
    return (resource.scope.document or doc).problem((*resource.path, *sub), message)


def _distinct(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[Any, ...]] = set()
    out = []
    for p in problems:
        key = (p.file, p.line, p.col, p.path, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def _type_problems(expansion: Any, known_types: Collection[str], problems: list[Problem]) -> None:
    items = [(i.scope, i.where, i.decl.type) for i in expansion.decls.values()]
    items += [(d.scope, d.where, d.type) for d in expansion.data.values()]
    for scope, where, type_name in items:
        if type_name not in known_types:
            hint = did_you_mean(type_name, known_types)
            kind = "data source" if where[0] == "data" else "resource"
            problems.append(scope.document.problem((*where, "type"), f"unknown {kind} type {type_name!r}" + (
                hint if hint else "; known types: " + ", ".join(sorted(known_types)))))


_PLACEHOLDERS = {"version": 1, "name": "invalid-name", "state": {}}


def _document_model(doc: Document, problems: list[Problem]) -> SpecDocument:
    """The document's model. Errors in ``version``, ``name`` or ``state`` are recorded and the
    checking goes on with a placeholder, so they never hide the problems of the resources."""
    data = dict(doc.data)
    try:
        return SpecDocument.model_validate(data)
    except ValidationError as exc:
        found = problems_from_validation(doc, exc, model=SpecDocument)
        tops = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
        # a bad field of one declaration (``resources.a.bogus``, ``variables.n.type``) is recorded
        # and dropped, so the checking goes on and reports every other problem in the same pass
        fields = {tuple(e["loc"][:3]) for e in exc.errors() if len(e["loc"]) >= 3
                  and isinstance(data.get(e["loc"][0]), dict) and isinstance(data[e["loc"][0]].get(e["loc"][1]), dict)}
        if not tops or not tops <= {*_PLACEHOLDERS, *(str(f[0]) for f in fields)} or any(
                len(e["loc"]) < 3 and str(e["loc"][0]) not in _PLACEHOLDERS for e in exc.errors()):
            raise SpecError([*problems, *found]) from None
        for top, name, field in fields:
            data[top] = {**data[top], name: {k: v for k, v in data[top][name].items() if k != field}}
        try:
            repaired = SpecDocument.model_validate({**data, **{k: _PLACEHOLDERS[k] for k in tops & _PLACEHOLDERS.keys()}})
        except ValidationError:
            raise SpecError([*problems, *found]) from None
        problems.extend(found)
        return repaired


def _providers(
    doc: Document, model: SpecDocument, evaluator: Evaluator, resources: dict[str, Resource], problems: list[Problem],
    custom: bool = False,
) -> ProvidersConfig:
    clouds = {r.type.split(".", 1)[0] for r in [*resources.values(), *evaluator.spec.data.values()]}
    if custom:  # a test's own handlers: their clouds need no providers block
        clouds &= {"aws", "azure"}
    for cloud in sorted(clouds - model.providers.keys()):
        problems.append(doc.problem(("providers",), f"resources of type {cloud}.* need a providers.{cloud} block"))
    raw = evaluator.evaluate(model.providers)
    try:
        return ProvidersConfig.model_validate(raw)
    except ValidationError as exc:
        problems.extend(problems_from_validation(doc, exc, ("providers",), model=ProvidersConfig))
        return ProvidersConfig()


def _validate_properties(doc: Document, resource: Resource, evaluator: Evaluator,
                         get: Callable[[str], ResourceHandler]) -> list[Problem]:
    handler = get(resource.type)
    values = evaluator.properties(resource.address)
    where = resource.scope.document or doc
    prefix = (*resource.path, "properties")

    def known(loc: tuple[Any, ...]) -> bool:
        value: Any = values
        for part in loc:
            if value is UNKNOWN:
                return False
            try:
                value = value[part]
            except (KeyError, IndexError, TypeError):
                return True
        return not contains_unknown(value)

    try:
        handler.spec_model.model_validate(values)
    except ValidationError as exc:
        return problems_from_validation(where, exc, prefix, keep=known, model=handler.spec_model)
    problems = []
    fields = handler.spec_model.model_fields
    for index, path in enumerate(resource.lifecycle.ignore_changes):
        if path.split(".", 1)[0].split("[", 1)[0] not in fields:
            problems.append(where.problem((*resource.path, "lifecycle", "ignore_changes", index),
                                          f"{path!r} is not a property of {resource.type}"))
    return problems


def _mark_sensitive(doc: Document, spec: Spec, order: list[str],
                    handler_of: Callable[[str], ResourceHandler | None]) -> list[Problem]:
    """Mark each property fed by a sensitive variable or attribute (transitively, in dependency
    order, through module inputs and outputs) and require ``sensitive: true`` on outputs that show one."""

    def secret(ref: Reference, scope: Scope, depth: int = 0) -> bool:
        if depth > 20:
            return False
        if ref.kind == "var":
            if scope.is_root:
                return ref.name in spec.sensitive_variables
            return ref.name in scope.inputs and scope.parent is not None and any(
                isinstance(r, Reference) and secret(r, scope.parent, depth + 1)
                for _, r in find_references(scope.inputs[ref.name]))
        if ref.kind == "module":
            child = scope.children.get(ref.name)
            output = child.outputs.get(ref.attr[0]) if child else None
            return bool(child and output and (output.sensitive or any(
                isinstance(r, Reference) and secret(r, child, depth + 1) for _, r in find_references(output.value))))
        if ref.kind != "resource":
            return False
        target = spec.resources.get(resolve_address(ref, scope))
        if target is None:
            return False
        if ref.attr[0] in target.sensitive_properties:
            return True
        handler = handler_of(target.type)
        return handler is not None and ref.attr[0] in handler.sensitive

    for address in order:
        resource = spec.resources[address]
        for name, value in resource.properties.items():
            if any(isinstance(ref, Reference) and secret(ref, resource.scope) for _, ref in find_references(value)):
                resource.sensitive_properties.add(name)
    problems = []
    for name, output in spec.outputs.items():
        if not output.sensitive and any(isinstance(ref, Reference) and secret(ref, spec.root)
                                        for _, ref in find_references(output.value)):
            problems.append(doc.problem(("outputs", name, "value"),
                                        "shows a sensitive value; mark the output `sensitive: true`"))
    return problems


def _cross_resource_problems(doc: Document, spec: Spec, evaluator: Evaluator, sound: set[str],
                             get: Callable[[str], ResourceHandler]) -> list[Problem]:
    """Each handler type present checks the rules that span resources (``spec_problems``)."""
    typed = {a: (r.type, evaluator.properties(a)) for a, r in spec.resources.items() if a in sound}
    problems = []
    for type_name in sorted({t for t, _ in typed.values()}):
        for address, prop, message in get(type_name).spec_problems(typed):
            problems.append(_problem(doc, spec.resources[address], ("properties", prop), message))
    return problems


def _digest(doc: Document, variables: dict[str, Any], environ: Mapping[str, str], model: SpecDocument,
            spec: Spec) -> str:
    """Identity of what was planned: the spec text (and every module's), the variable values, the
    env values it reads and the ``for_each`` instances (``files()`` may find new files)."""
    docs = [doc, *_module_documents(spec.root)]
    env_names = sorted({ref.name for d in docs for _, ref in find_references(d.data)
                        if isinstance(ref, Reference) and ref.kind == "env"})
    payload = json.dumps({"text": doc.text, "modules": [d.text for d in docs[1:]], "vars": variables,
                          "env": {n: environ.get(n) for n in env_names}, "instances": sorted(spec.resources)},
                         sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def _module_documents(scope: Scope) -> list[Document]:
    out = []
    for child in scope.children.values():
        if child.document is not None:
            out.append(child.document)
        out.extend(_module_documents(child))
    return out
