"""From declarations to instances: local modules are loaded and copied, ``for_each`` resources are
stamped out, and every reference is checked against the scope it is written in.

Addresses (what state, plans, ``--target`` and the views use):
``NAME`` / ``NAME["KEY"]`` in the root, ``module.M.NAME`` / ``module.M.NAME["KEY"]`` in module
``M`` (nested: ``module.M.module.N.NAME``), ``data.NAME`` / ``module.M.data.NAME`` for data
sources. A module called twice is two scopes, so two independent copies.

Invariants:
- ``for_each`` is evaluated here, offline, from variables (a module's from its caller's inputs),
  literals and ``files()``; anything only known at plan time is a problem, so the set of
  instances never depends on the cloud. ``files()`` matching nothing gives no instances (as
  Terraform's ``fileset``), with a positioned warning. List items must be distinct strings; they are the keys
  (``each.key == each.value``), so reordering a list changes no address.
- A resource's ``dependencies`` are the addresses its properties reach through its scope:
  direct references, a module variable's input expression (in the caller), a module output's
  expression (in the module); ``depends_on: [model]`` on a ``for_each`` resource means every instance.
- Problems are positioned in the file that holds the declaration (a module's own ``module.yaml``),
  or in the caller for its ``inputs``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from modelinfra.errors import Problem, SpecError
from modelinfra.spec.expressions import (
    ExpressionError,
    Reference,
    dig_reference,
    evaluate,
    find_references,
    instance_address,
)
from modelinfra.spec.loader import Document, read_document
from modelinfra.spec.model import DataDecl, ModuleDocument, ResourceDecl, SpecDocument
from modelinfra.spec.pydantic_problems import problems_from_validation
from modelinfra.spec.spec import DataSource, PathKey, Resource, Scope
from modelinfra.spec.suggest import did_you_mean
from modelinfra.values import UNKNOWN, contains_unknown

MODULE_FILE = "module.yaml"
log = logging.getLogger("modelinfra.spec")

HandlerOf = Callable[[str], Any]
"""type name -> handler, or None for an unknown type."""


@dataclass
class _Decl:
    scope: Scope
    name: str
    decl: ResourceDecl
    where: PathKey
    keys: list[str] | None  # instance keys of a for_each resource; None for a plain one
    broken: bool = False  # its for_each could not be used (reported): references to it are not judged


@dataclass
class Expansion:
    root: Scope
    resources: dict[str, Resource] = field(default_factory=dict)
    data: dict[str, DataSource] = field(default_factory=dict)
    decls: dict[tuple[str, str], _Decl] = field(default_factory=dict)  # (scope prefix, name) -> declaration
    module_moved: list[tuple[Scope, list[Any]]] = field(default_factory=list)  # each module copy's moved blocks


def expand(doc: Document, model: SpecDocument, variables: Mapping[str, Any], environ: Mapping[str, str],
           handler_of: HandlerOf, problems: list[Problem]) -> Expansion:
    """The instances of ``model`` (problems appended, never raised)."""
    root = Scope("", doc, doc.path.resolve().parent, None, {}, {}, set(model.variables), dict(model.outputs))
    out = Expansion(root)
    builder = _Builder(out, variables, environ, handler_of, problems)
    builder.scope(root, model, [doc.path.resolve()])
    for item in out.decls.values():
        for address in builder.instances(item):
            resource = out.resources[address]
            resource.dependencies = builder.dependencies(resource.properties, item.scope) | {
                a for dep in item.decl.depends_on for a in builder.instances_of(item.scope, dep)}
    builder.check_references(model)
    return out


class _Builder:
    def __init__(self, out: Expansion, variables: Mapping[str, Any], environ: Mapping[str, str],
                 handler_of: HandlerOf, problems: list[Problem]):
        self.out = out
        self.variables = variables
        self.environ = environ
        self.handler_of = handler_of
        self.problems = problems
        self.sensitive: dict[str, set[str]] = {}  # scope prefix -> its variables declared sensitive

    def problem(self, scope: Scope, path: PathKey, message: str) -> None:
        assert scope.document is not None
        self.problems.append(scope.document.problem(path, message))

    # -- scopes ------------------------------------------------------------------------------------
    def scope(self, scope: Scope, model: SpecDocument | ModuleDocument, files: list[Path]) -> None:
        self.sensitive[scope.prefix] = {name for name, v in model.variables.items() if v.sensitive}
        for name, decl in model.modules.items():
            self.module(scope, name, decl.source, decl.inputs, files)
        doc = scope.document
        assert doc is not None
        for name, data in model.data.items():
            address = f"{scope.prefix}data.{name}"
            self.out.data[address] = DataSource(address, data.type, data.properties, scope, ("data", name),
                                                doc.position(("data", name))[0])
        for name, decl in model.resources.items():
            where = ("resources", name)
            values = None if decl.for_each is None else self.for_each(scope, decl, where)
            keys = None if values is None else list(values)
            item = _Decl(scope, name, decl, where, keys, broken=values == {} and decl.for_each not in ([], {}))
            self.out.decls[(scope.prefix, name)] = item
            for key in keys if keys is not None else [None]:
                address = scope.prefix + instance_address(name, key)
                self.out.resources[address] = Resource(
                    address=address, type=decl.type, properties=decl.properties,
                    depends_on=[scope.prefix + d for d in decl.depends_on], lifecycle=decl.lifecycle,
                    line=doc.position(where)[0], each=None if key is None or values is None else (key, values[key]),
                    scope=scope, where=where)

    def module(self, parent: Scope, name: str, source: str, inputs: dict[str, Any], files: list[Path]) -> None:
        where = ("modules", name)
        assert parent.directory is not None and parent.document is not None
        shown = parent.document.path.parent / source / MODULE_FILE
        real = (parent.directory / source / MODULE_FILE).resolve()
        if not real.is_file():
            self.problem(parent, (*where, "source"), f"module source {source}: no {MODULE_FILE} in {real.parent}")
            return
        if real in files:
            chain = " -> ".join(str(f.parent.name) for f in [*files[files.index(real):], real])
            self.problem(parent, (*where, "source"), f"module cycle: {chain} (a module cannot contain itself)")
            return
        try:
            doc = read_document(shown)
        except SpecError as exc:
            self.problems.extend(exc.problems)
            return
        self.problems.extend(doc.problems)
        try:
            model = ModuleDocument.model_validate(doc.data)
        except ValidationError as exc:
            self.problems.extend(problems_from_validation(doc, exc, model=ModuleDocument))
            return
        for key in inputs:
            if key not in model.variables:
                self.problem(parent, (*where, "inputs", key), f"module {name} ({source}) has no variable {key!r}"
                             + did_you_mean(key, model.variables))
        for var, decl in model.variables.items():
            if var not in inputs and "default" not in decl.model_fields_set:
                line = doc.position(("variables", var))[0]
                self.problem(parent, (*where, "inputs") if inputs else where,
                             f"module {name} needs input {var!r} (declared without a default at {shown}:{line})")
        scope = Scope(f"{parent.prefix}module.{name}.", doc, real.parent, parent, dict(inputs),
                      {v: d.default for v, d in model.variables.items() if "default" in d.model_fields_set},
                      set(model.variables), dict(model.outputs))
        parent.children[name] = scope
        if model.moved:
            self.out.module_moved.append((scope, list(model.moved)))
        self.scope(scope, model, [*files, real])

    # -- for_each ----------------------------------------------------------------------------------
    def static(self, value: Any, scope: Scope) -> Any:
        """``value`` evaluated offline: variables (through module inputs), env values, literals and
        functions; anything else is UNKNOWN. ``ExpressionError`` for a bad function call."""

        def lookup(ref: Reference) -> Any:
            if ref.kind == "env":
                return self.environ.get(ref.name, UNKNOWN)
            if ref.kind != "var":
                return UNKNOWN
            if scope.is_root:
                return dig_reference(self.variables.get(ref.name, UNKNOWN), ref)
            if ref.name in scope.inputs:
                assert scope.parent is not None
                return dig_reference(self.static(scope.inputs[ref.name], scope.parent), ref)
            return dig_reference(scope.defaults.get(ref.name, UNKNOWN), ref)

        return evaluate(value, lookup, scope.directory)

    def for_each(self, scope: Scope, decl: ResourceDecl, where: PathKey) -> dict[str, Any]:
        """Instance key -> ``each.value`` (problems reported; empty when the value is unusable)."""
        at = (*where, "for_each")
        secret = self.secret_variable(decl.for_each, scope)
        if secret:
            self.problem(scope, at, f"for_each uses the sensitive variable {secret}: instance keys appear in "
                                    "addresses, plans and state, so they cannot be sensitive (as in Terraform); "
                                    "build the keys from a variable that is not sensitive")
            return {}
        try:
            value = self.static(decl.for_each, scope)
        except (ExpressionError, KeyError) as exc:
            if isinstance(exc, ExpressionError):
                self.problem(scope, at, str(exc))
            return {}
        if contains_unknown(value):
            self.problem(scope, at, "for_each must be known before apply: build it from variables, literals and "
                                    "files(), not from resource attributes or data sources")
            return {}
        if value == [] and "files(" in str(decl.for_each):
            assert scope.document is not None
            log.warning("%s (like Terraform's fileset, no match is an empty set: %s has no instances)",
                        scope.document.problem(at, f"{decl.for_each} matched no file"), where[-1])
        if isinstance(value, dict):
            return {str(k): v for k, v in value.items()}
        if not isinstance(value, list):
            self.problem(scope, at, f"for_each must be a list of strings or a map (got {type(value).__name__})")
            return {}
        keys: dict[str, Any] = {}
        for item in value:
            if not isinstance(item, str):
                self.problem(scope, at, f"for_each list items must be strings (got {item!r}); use a map for other values")
                return {}
            if item in keys:
                self.problem(scope, at, f"for_each lists {item!r} twice: list items are the instance keys and must "
                                        "be distinct")
                return {}
            keys[item] = item
        return keys

    def secret_variable(self, value: Any, scope: Scope, depth: int = 0) -> str | None:
        """The sensitive variable ``value`` reads (through module inputs), as ``var.NAME``; else None."""
        for _, ref in find_references(value):
            if not isinstance(ref, Reference) or ref.kind != "var" or depth > 20:
                continue
            if ref.name in self.sensitive.get(scope.prefix, ()):
                return f"{scope.prefix}var.{ref.name}"
            if not scope.is_root and ref.name in scope.inputs and scope.parent is not None:
                found = self.secret_variable(scope.inputs[ref.name], scope.parent, depth + 1)
                if found:
                    return found
        return None

    # -- dependencies ------------------------------------------------------------------------------
    def instances(self, item: _Decl) -> list[str]:
        keys = item.keys if item.keys is not None else [None]
        return [item.scope.prefix + instance_address(item.name, k) for k in keys]

    def instances_of(self, scope: Scope, name: str) -> list[str]:
        item = self.out.decls.get((scope.prefix, name))
        return self.instances(item) if item else []

    def dependencies(self, value: Any, scope: Scope, seen: frozenset[tuple[str, str]] = frozenset()) -> set[str]:
        found: set[str] = set()
        for _, ref in find_references(value):
            if not isinstance(ref, Reference):
                continue
            if ref.kind == "resource":
                if scope.prefix + ref.name in self.out.resources:
                    found.add(scope.prefix + ref.name)
            elif ref.kind == "var" and not scope.is_root and ref.name in scope.inputs:
                key = (scope.prefix, "var." + ref.name)
                if key not in seen and scope.parent is not None:
                    found |= self.dependencies(scope.inputs[ref.name], scope.parent, seen | {key})
            elif ref.kind == "module" and ref.name in scope.children:
                child = scope.children[ref.name]
                output = child.outputs.get(ref.attr[0])
                key = (child.prefix, "output." + ref.attr[0])
                if output is not None and key not in seen:
                    found |= self.dependencies(output.value, child, seen | {key})
        return found

    # -- references --------------------------------------------------------------------------------
    def check_references(self, model: SpecDocument) -> None:
        root = self.out.root
        self.check(root, ("providers",), model.providers, providers=True)
        self.check_scope(root)

    def check_scope(self, scope: Scope) -> None:
        for (prefix, name), item in self.out.decls.items():
            if prefix != scope.prefix:
                continue
            self.check(scope, (*item.where, "properties"), item.decl.properties, each=item.keys is not None)
            for index, dep in enumerate(item.decl.depends_on):
                at = (*item.where, "depends_on", index)
                if (scope.prefix, dep) not in self.out.decls:
                    names = [n for p, n in self.out.decls if p == scope.prefix]
                    self.problem(scope, at, f"depends_on names {dep!r}, which is not a resource in this spec"
                                 + did_you_mean(dep, names))
                elif dep == name:
                    self.problem(scope, at, "a resource cannot depend on itself")
        for data in self.out.data.values():
            if data.scope is scope:
                self.check(scope, (*data.where, "properties"), data.properties, data_source=True)
        for name, output in scope.outputs.items():
            self.check(scope, ("outputs", name, "value"), output.value)
        for name, child in scope.children.items():
            for key, value in child.inputs.items():
                self.check(scope, ("modules", name, "inputs", key), value)
            self.check_scope(child)

    def check(self, scope: Scope, prefix: PathKey, value: Any, *, each: bool = False, providers: bool = False,
              data_source: bool = False) -> None:
        for sub, ref in find_references(value):
            where = (*prefix, *sub)
            message = str(ref) if isinstance(ref, ExpressionError) else \
                self.reference_problem(ref, scope, each=each, providers=providers, data_source=data_source)
            if message:
                self.problem(scope, where, message)

    def reference_problem(self, ref: Reference, scope: Scope, *, each: bool, providers: bool,
                          data_source: bool) -> str | None:
        if ref.kind == "var":
            if ref.name not in scope.variables:
                where = "" if scope.is_root else f" in module {scope.prefix[:-1]}"
                return f"{ref}: no variable {ref.name!r} is declared{where}" + did_you_mean(ref.name, scope.variables)
            return None
        if ref.kind == "env":
            return None if ref.name in self.environ else f"{ref}: environment variable {ref.name} is not set"
        if ref.kind == "each":
            return None if each else f"{ref}: each.key and each.value exist only in a resource with for_each"
        if providers:
            return f"{ref}: providers cannot reference resources"
        if data_source:
            return f"{ref}: a data source's properties may use variables and env values only"
        if ref.kind == "data":
            return self.data_problem(ref, scope)
        if ref.kind == "module":
            return self.module_problem(ref, scope)
        return self.resource_problem(ref, scope)

    def data_problem(self, ref: Reference, scope: Scope) -> str | None:
        data = self.out.data.get(f"{scope.prefix}data.{ref.name}")
        if data is None:
            names = [d.address.rsplit(".", 1)[-1] for d in self.out.data.values() if d.scope is scope]
            return f"{ref}: no data source {ref.name!r} in this spec" + did_you_mean(ref.name, names)
        return self.attribute_problem(ref, data.type, ref.attr[0])

    def module_problem(self, ref: Reference, scope: Scope) -> str | None:
        child = scope.children.get(ref.name)
        if child is None:
            return f"{ref}: no module {ref.name!r} here" + did_you_mean(ref.name, scope.children)
        if ref.attr[0] not in child.outputs:
            known = ", ".join(sorted(child.outputs)) or "none"
            return (f"{ref}: module {ref.name} has no output {ref.attr[0]!r}"
                    + (did_you_mean(ref.attr[0], child.outputs) or f" (outputs: {known})"))
        return None

    def resource_problem(self, ref: Reference, scope: Scope) -> str | None:
        item = self.out.decls.get((scope.prefix, ref.base))
        if item is None:
            names = [n for p, n in self.out.decls if p == scope.prefix]
            return f"{ref}: no resource {ref.base!r} in this spec" + did_you_mean(ref.base, names)
        if item.broken:
            return None
        if item.keys is not None and ref.key is None:
            example = item.keys[0] if item.keys else "KEY"
            return (f"{ref}: {ref.base} has for_each: name one instance, e.g. "
                    f"${{{instance_address(ref.base, example)}.{'.'.join(ref.attr)}}}")
        if item.keys is None and ref.key is not None:
            return f"{ref}: {ref.base} has no for_each, so it has no instance [{ref.key!r}]"
        if item.keys is not None and ref.key not in item.keys:
            return (f"{ref}: {ref.base} has no instance {ref.key!r}" + did_you_mean(ref.key or "", item.keys)
                    + (f" (keys: {', '.join(item.keys)})" if len(item.keys) <= 10 else ""))
        return self.attribute_problem(ref, item.decl.type, ref.attr[0])

    def attribute_problem(self, ref: Reference, type_name: str, attr: str) -> str | None:
        handler = self.handler_of(type_name)
        if handler is None:
            return None  # reported on the type
        known = sorted({*handler.spec_model.model_fields, *handler.computed, *handler.derived})
        if attr in known:
            return None
        hint = did_you_mean(attr, known)
        return f"{ref}: {type_name} has no attribute {attr!r}" + (hint or f" (known: {', '.join(known)})")


def data_problems(expansion: Expansion, handler_of: HandlerOf, problems: list[Problem]) -> None:
    """Each data source's type can be looked up and its properties are exactly its lookup keys."""
    for data in expansion.data.values():
        doc = data.scope.document
        assert doc is not None
        handler = handler_of(data.type)
        if handler is None:
            continue
        keys = tuple(getattr(handler, "lookup_keys", ()))
        if not keys:
            problems.append(doc.problem((*data.where, "type"), f"{data.type} cannot be used as a data source "
                                        "(its handler has no lookup)"))
            continue
        for name in data.properties:
            if name not in keys:
                hint = did_you_mean(name, keys)
                problems.append(doc.problem((*data.where, "properties", name),
                                            f"unknown lookup key {name!r} for {data.type}"
                                            + (hint or f" (lookup keys: {', '.join(keys)})")))
        missing = [k for k in keys if k not in data.properties]
        if missing:
            problems.append(doc.problem((*data.where, "properties"),
                                        f"{data.type} is looked up by {', '.join(keys)}: missing {', '.join(missing)}"))


__all__ = ["MODULE_FILE", "DataDecl", "Expansion", "data_problems", "expand"]
