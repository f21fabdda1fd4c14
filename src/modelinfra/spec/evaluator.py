"""Evaluate a spec's expressions against what is known: the spec itself and, optionally, the
attributes of resources that already exist.

``known[address]`` holds a resource's attributes (from state, refresh or apply). Addresses in
``pending`` are being created or replaced, so their computed attributes are UNKNOWN even if an
old value is known; ``recomputed[address]`` names the computed attributes an update under way
may change (UNKNOWN too). All three are held by reference, not copied: a planner that adds to ``pending``
while it walks the graph (or an executor whose state grows) is seen live. Only ``properties`` is
memoised, per address: evaluate a resource after everything it references was decided. A reference to a property the spec sets resolves to the spec's (evaluated)
value; to an unset property, to the known value or the model's default; to a computed attribute,
to the known value or UNKNOWN.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any

from modelinfra.errors import PlanError
from modelinfra.providers.registry import handler_for
from modelinfra.spec.expressions import ExpressionError, Reference, dig, dig_reference, evaluate
from modelinfra.values import UNKNOWN

if TYPE_CHECKING:
    from modelinfra.providers.base import ResourceHandler
    from modelinfra.spec.spec import Scope, Spec


class Evaluator:
    def __init__(
        self,
        spec: Spec,
        known: Mapping[str, Mapping[str, Any]] | None = None,
        pending: set[str] | frozenset[str] = frozenset(),
        lenient: bool = False,
        handlers: Callable[[str], ResourceHandler] = handler_for,
        recomputed: Mapping[str, Collection[str]] | None = None,
        data: Mapping[str, Mapping[str, Any]] | None = None,
    ):
        """``lenient``: a reference to something missing (variable, environment value, resource)
        is UNKNOWN instead of a KeyError — for validating a spec already known to be broken.
        ``handlers``: type name -> handler (a run's ``RunContext.handler``; the registry by default).
        ``data``: data source address -> the attributes it was read with (UNKNOWN when absent)."""
        self.spec = spec
        self.lenient = lenient
        self.known: Mapping[str, Mapping[str, Any]] = known if known is not None else {}
        self.pending = pending
        self.handlers = handlers
        self.recomputed: Mapping[str, Collection[str]] = recomputed if recomputed is not None else {}
        self.data: Mapping[str, Mapping[str, Any]] = data if data is not None else {}
        self._cache: dict[str, dict[str, Any]] = {}
        self.expression_errors: dict[str, list[tuple[tuple[str | int, ...], str]]] | None = None
        """Set to a dict to collect (validation): address -> [(property path, message)] of the
        expressions that could not be evaluated (those values are UNKNOWN); otherwise they raise."""

    def evaluate(self, value: Any, scope: Scope | None = None, each: tuple[str, Any] | None = None,
                 errors: list[tuple[tuple[str | int, ...], str]] | None = None) -> Any:
        """``value`` evaluated where it is written: ``scope`` (the root by default) and, inside a
        ``for_each`` resource, its ``each``."""
        scope = scope or self.spec.root
        if errors is None and (self.lenient or self.expression_errors is not None):
            errors = []
        return evaluate(value, lambda ref: self.lookup(ref, scope, each), self.spec.directory_of(scope), errors)

    def properties(self, address: str) -> dict[str, Any]:
        """The resource's properties with every expression evaluated (memoised). A property whose
        value is null (e.g. a variable with ``default: null``) is left out, as if unset."""
        if address not in self._cache:
            resource = self.spec.resources[address]
            errors: list[tuple[tuple[str | int, ...], str]] = []
            try:
                values = self.evaluate(resource.properties, resource.scope, resource.each,
                                       errors if self.expression_errors is not None or self.lenient else None)
            except ExpressionError as exc:  # a function given values only the cloud revealed
                raise PlanError(f"{address}: {exc}") from None
            if errors and self.expression_errors is not None:
                self.expression_errors[address] = errors
            self._cache[address] = {k: v for k, v in values.items() if v is not None}
        return self._cache[address]

    def lookup(self, ref: Reference, scope: Scope | None = None, each: tuple[str, Any] | None = None) -> Any:
        try:
            return self._lookup(ref, scope or self.spec.root, each)
        except KeyError:
            if self.lenient:
                return UNKNOWN
            raise

    def _lookup(self, ref: Reference, scope: Scope, each: tuple[str, Any] | None) -> Any:
        if ref.kind == "var":
            if scope.is_root:
                return dig_reference(self.spec.variables[ref.name], ref)
            if ref.name in scope.inputs:
                return dig_reference(self.evaluate(scope.inputs[ref.name], scope.parent), ref)
            return dig_reference(scope.defaults[ref.name], ref)
        if ref.kind == "env":
            return self.spec.environ[ref.name]
        if ref.kind == "each":
            if each is None:
                raise KeyError("each")
            return each[0] if ref.name == "key" else dig_reference(each[1], ref)
        if ref.kind == "data":
            address = f"{scope.prefix}data.{ref.name}"
            if address not in self.spec.data:
                raise KeyError(address)
            found = self.data.get(address)
            return UNKNOWN if found is None else _dig(found, ref.attr)
        if ref.kind == "module":
            child = scope.children[ref.name]
            output = child.outputs[ref.attr[0]]
            return _dig(self.evaluate(output.value, child), ref.attr[1:])
        return self._resource_attribute(scope.prefix + ref.name, ref.attr)

    def _resource_attribute(self, address: str, path: tuple[str, ...]) -> Any:
        resource = self.spec.resources[address]
        handler = self.handlers(resource.type)
        attr, rest = path[0], path[1:]
        known = self.known.get(address) if address not in self.pending else None
        if attr in resource.properties and attr in self.properties(address):  # null counts as unset
            return _dig(self.properties(address)[attr], rest)
        if attr in self.recomputed.get(address, ()):
            return UNKNOWN
        if attr in handler.spec_model.model_fields:
            if known is not None and attr in known:
                return _dig(known[attr], rest)
            field = handler.spec_model.model_fields[attr]
            if not field.is_required():
                return _dig(field.get_default(call_default_factory=True), rest)
            return UNKNOWN
        if known is not None and attr in known:
            return _dig(known[attr], rest)
        return UNKNOWN


def resolve_address(ref: Reference, scope: Scope) -> str:
    """The address a resource or data reference names from ``scope``."""
    if ref.kind == "data":
        return f"{scope.prefix}data.{ref.name}"
    return scope.prefix + ref.name


def _dig(value: Any, rest: tuple[str, ...]) -> Any:
    try:
        return dig(value, rest)
    except KeyError:
        return UNKNOWN
