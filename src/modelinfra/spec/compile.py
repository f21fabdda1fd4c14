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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from modelinfra.errors import Problem, SpecError
from modelinfra.graph.dag import Graph
from modelinfra.providers.registry import HANDLERS, handler_for
from modelinfra.spec.checks import CycleSafeEvaluator, blame_variables, cycles, source_problems
from modelinfra.spec.evaluator import Evaluator
from modelinfra.spec.expressions import ExpressionError, Reference, find_references
from modelinfra.spec.loader import Document, read_document
from modelinfra.spec.model import SpecDocument
from modelinfra.spec.providers import ProvidersConfig
from modelinfra.spec.pydantic_problems import problems_from_validation
from modelinfra.spec.spec import Resource, Spec
from modelinfra.spec.suggest import did_you_mean
from modelinfra.spec.variables import resolve
from modelinfra.values import UNKNOWN, contains_unknown


def compile_spec(
    path: Path | str, cli_vars: Mapping[str, str] | None = None, environ: Mapping[str, str] | None = None
) -> Spec:
    path = Path(path)
    environ = os.environ if environ is None else environ
    doc = read_document(path)
    problems: list[Problem] = list(doc.problems)  # duplicate keys, anchors: reported with the rest
    model = _document_model(doc, problems)
    variables, origins = resolve(doc, model, cli_vars or {}, environ, problems)
    resources = _resources(doc, model, problems)
    _check_references(doc, model, resources, variables, environ, problems)
    graph = Graph({a: r.dependencies & resources.keys() for a, r in resources.items()})
    cyclic = cycles(doc, graph, problems)
    sound = {a for a, r in resources.items() if r.type in HANDLERS}
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
    )
    spec.sensitive_variables = {n for n, d in model.variables.items() if d.sensitive}
    problems.extend(_mark_sensitive(doc, spec, order))
    evaluator = CycleSafeEvaluator(spec, cyclic, lenient=bool(problems))  # broken references are UNKNOWN
    if not any(p.path.startswith("providers") for p in problems):
        spec.providers = _providers(doc, model, evaluator, resources, problems)
    property_problems: list[Problem] = []
    for address in order:
        if address in sound:
            property_problems.extend(_validate_properties(doc, spec.resources[address], evaluator))
            property_problems.extend(source_problems(doc, spec, address, evaluator))
    problems.extend(blame_variables(doc, spec, property_problems, origins))
    problems.extend(_cross_resource_problems(doc, spec, evaluator, sound))
    if problems:
        raise SpecError(problems)
    for name, output in model.outputs.items():
        try:
            evaluator.evaluate(output.value)
        except ExpressionError as exc:  # pragma: no cover - parse errors were reported above
            problems.append(doc.problem(("outputs", name, "value"), str(exc)))
    if problems:
        raise SpecError(problems)
    spec.digest = _digest(doc, variables, environ, model)
    return spec


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
        if not tops or not tops <= _PLACEHOLDERS.keys():
            raise SpecError([*problems, *found]) from None
        problems.extend(found)
        return SpecDocument.model_validate({**data, **{k: _PLACEHOLDERS[k] for k in tops}})


def _resources(doc: Document, model: SpecDocument, problems: list[Problem]) -> dict[str, Resource]:
    resources: dict[str, Resource] = {}
    for address, decl in model.resources.items():
        where = ("resources", address)
        if decl.type not in HANDLERS:
            hint = did_you_mean(decl.type, HANDLERS)
            problems.append(doc.problem((*where, "type"), f"unknown resource type {decl.type!r}" + (
                hint if hint else "; known types: " + ", ".join(sorted(HANDLERS)))))
        deps = {ref.name for _, ref in find_references(decl.properties) if isinstance(ref, Reference)
                and ref.kind == "resource"}
        resources[address] = Resource(
            address=address,
            type=decl.type,
            properties=decl.properties,
            depends_on=list(decl.depends_on),
            lifecycle=decl.lifecycle,
            dependencies=deps | set(decl.depends_on),
            line=doc.position(where)[0],
        )
    return resources


def _check_references(
    doc: Document,
    model: SpecDocument,
    resources: dict[str, Resource],
    variables: dict[str, Any],
    environ: Mapping[str, str],
    problems: list[Problem],
) -> None:
    blocks: list[tuple[tuple[str | int, ...], Any]] = [(("providers",), model.providers)]
    for address, resource in resources.items():
        blocks.append((("resources", address, "properties"), resource.properties))
        for index, dep in enumerate(resource.depends_on):
            if dep not in resources:
                problems.append(doc.problem(("resources", address, "depends_on", index),
                                            f"depends_on names {dep!r}, which is not a resource in this spec"
                                            + did_you_mean(dep, resources)))
            elif dep == address:
                problems.append(doc.problem(("resources", address, "depends_on", index),
                                            "a resource cannot depend on itself"))
    for name, output in model.outputs.items():
        blocks.append((("outputs", name, "value"), output.value))
    for prefix, value in blocks:
        for sub, ref in find_references(value):
            where = (*prefix, *sub)
            if isinstance(ref, ExpressionError):
                problems.append(doc.problem(where, str(ref)))
            elif ref.kind == "var" and ref.name not in model.variables:
                problems.append(doc.problem(where, f"{ref}: no variable {ref.name!r} is declared"
                                            + did_you_mean(ref.name, model.variables)))
            elif ref.kind == "env" and ref.name not in environ:
                problems.append(doc.problem(where, f"{ref}: environment variable {ref.name} is not set"))
            elif ref.kind == "resource":
                message = _resource_reference_problem(ref, resources, prefix)
                if message:
                    problems.append(doc.problem(where, message))


def _resource_reference_problem(ref: Reference, resources: dict[str, Resource], prefix: tuple[Any, ...]) -> str | None:
    target = resources.get(ref.name)
    if target is None:
        return f"{ref}: no resource {ref.name!r} in this spec" + did_you_mean(ref.name, resources)
    if prefix[:1] == ("providers",):
        return f"{ref}: providers cannot reference resources"
    if target.type not in HANDLERS:
        return None  # reported on the target's type
    handler = handler_for(target.type)
    attr = ref.attr[0]
    if attr in handler.spec_model.model_fields or attr in handler.computed or attr in handler.derived:
        return None
    known = sorted({*handler.spec_model.model_fields, *handler.computed, *handler.derived})
    hint = did_you_mean(attr, known)
    return f"{ref}: {target.type} has no attribute {attr!r}" + (hint or f" (known: {', '.join(known)})")


def _providers(
    doc: Document, model: SpecDocument, evaluator: Evaluator, resources: dict[str, Resource], problems: list[Problem]
) -> ProvidersConfig:
    clouds = {r.type.split(".", 1)[0] for r in resources.values()}
    for cloud in sorted(clouds - model.providers.keys()):
        problems.append(doc.problem(("providers",), f"resources of type {cloud}.* need a providers.{cloud} block"))
    raw = evaluator.evaluate(model.providers)
    try:
        return ProvidersConfig.model_validate(raw)
    except ValidationError as exc:
        problems.extend(problems_from_validation(doc, exc, ("providers",), model=ProvidersConfig))
        return ProvidersConfig()


def _validate_properties(doc: Document, resource: Resource, evaluator: Evaluator) -> list[Problem]:
    handler = handler_for(resource.type)
    values = evaluator.properties(resource.address)
    prefix = ("resources", resource.address, "properties")

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
        return problems_from_validation(doc, exc, prefix, keep=known, model=handler.spec_model)
    problems = []
    fields = handler.spec_model.model_fields
    for index, path in enumerate(resource.lifecycle.ignore_changes):
        if path.split(".", 1)[0].split("[", 1)[0] not in fields:
            problems.append(doc.problem(("resources", resource.address, "lifecycle", "ignore_changes", index),
                                        f"{path!r} is not a property of {resource.type}"))
    return problems


def _mark_sensitive(doc: Document, spec: Spec, order: list[str]) -> list[Problem]:
    """Mark each property fed by a sensitive variable or attribute (transitively, in dependency
    order) and require ``sensitive: true`` on outputs that show one."""

    def secret(ref: Reference) -> bool:
        if ref.kind == "var":
            return ref.name in spec.sensitive_variables
        if ref.kind != "resource" or ref.name not in spec.resources:
            return False
        target = spec.resources[ref.name]
        if ref.attr[0] in target.sensitive_properties:
            return True
        return target.type in HANDLERS and ref.attr[0] in handler_for(target.type).sensitive

    for address in order:
        resource = spec.resources[address]
        for name, value in resource.properties.items():
            if any(isinstance(ref, Reference) and secret(ref) for _, ref in find_references(value)):
                resource.sensitive_properties.add(name)
    problems = []
    for name, output in spec.outputs.items():
        if not output.sensitive and any(isinstance(ref, Reference) and secret(ref)
                                        for _, ref in find_references(output.value)):
            problems.append(doc.problem(("outputs", name, "value"),
                                        "shows a sensitive value; mark the output `sensitive: true`"))
    return problems


def _cross_resource_problems(doc: Document, spec: Spec, evaluator: Evaluator, sound: set[str]) -> list[Problem]:
    """Each handler type present checks the rules that span resources (``spec_problems``)."""
    typed = {a: (r.type, evaluator.properties(a)) for a, r in spec.resources.items() if a in sound}
    problems = []
    for type_name in sorted({t for t, _ in typed.values()}):
        for address, prop, message in handler_for(type_name).spec_problems(typed):
            problems.append(doc.problem(("resources", address, "properties", prop), message))
    return problems


def _digest(doc: Document, variables: dict[str, Any], environ: Mapping[str, str], model: SpecDocument) -> str:
    """Identity of what was planned: the spec text, the variable values and the env values it reads."""
    env_names = sorted({ref.name for _, ref in find_references(doc.data)
                        if isinstance(ref, Reference) and ref.kind == "env"})
    payload = json.dumps({"text": doc.text, "vars": variables, "env": {n: environ.get(n) for n in env_names}},
                         sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()
