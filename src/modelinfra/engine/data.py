"""Data sources: read-only lookups of existing resources, read at plan time before anything else.

Each ``data.NAME`` block is looked up through its handler's ``lookup(ctx, keys)`` (retried through
``RunContext.call``), all in parallel. A data source that is not found fails the plan (exit 1),
naming ``data.NAME`` and the values it was looked up by. What was read is recorded in the plan
(``Plan.data_sources``) and nowhere else: state holds managed resources only, so a data source is
never created, changed, deleted, tagged or counted as drift, and a saved plan applies against
exactly the values it was made from. Under ``--target`` only the data sources the targeted
resources (and what they need) read are looked up.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from modelinfra.engine.context import RunContext
from modelinfra.errors import ModelinfraError, PlanError, ProviderError
from modelinfra.plans.plan import DataRead
from modelinfra.spec.evaluator import Evaluator
from modelinfra.spec.expressions import Reference, find_references
from modelinfra.spec.spec import Scope, Spec
from modelinfra.values import contains_unknown


def data_used_by(spec: Spec, addresses: Iterable[str]) -> set[str]:
    """The data sources the properties of ``addresses`` read: directly, through a module
    variable's input (in the caller) or a module output (in the module)."""
    found: set[str] = set()
    seen: set[tuple[str, int]] = set()

    def walk(value: Any, scope: Scope) -> None:
        if (scope.prefix, id(value)) in seen:
            return
        seen.add((scope.prefix, id(value)))
        for _, ref in find_references(value):
            if not isinstance(ref, Reference):
                continue
            if ref.kind == "data":
                found.add(f"{scope.prefix}data.{ref.name}")
            elif ref.kind == "var" and not scope.is_root and ref.name in scope.inputs and scope.parent is not None:
                walk(scope.inputs[ref.name], scope.parent)
            elif ref.kind == "module" and ref.name in scope.children and ref.attr:
                child = scope.children[ref.name]
                output = child.outputs.get(ref.attr[0])
                if output is not None:
                    walk(output.value, child)

    for address in addresses:
        resource = spec.resources.get(address)
        if resource is not None:
            walk(resource.properties, resource.scope)
    return found & set(spec.data)


def read_data_sources(run: RunContext, only: set[str] | None = None) -> list[DataRead]:
    """Every data source (or those in ``only``: what a ``--target`` plan needs)."""
    spec = run.spec
    if not spec.data:
        return []
    evaluator = Evaluator(spec, handlers=run.handler)

    def read(address: str) -> DataRead:
        data = spec.data[address]
        keys = evaluator.evaluate(data.properties, data.scope)
        shown = ", ".join(f"{k} = {v!r}" for k, v in sorted(keys.items()))
        if contains_unknown(keys):
            raise PlanError(f"{address}: its lookup keys are not known at plan time ({shown})")
        handler = run.handler(data.type)
        ctx = run.resource_context(address, data.type)
        run.reporter.refresh_started(address)
        try:
            found = run.call(address, lambda: handler.lookup(ctx, dict(keys)))
        except ModelinfraError:
            raise
        except Exception as exc:  # an SDK error the handler did not map: still an error, with context
            raise ProviderError(f"{address}: looking up {data.type} ({shown}) failed: {exc}") from exc
        run.reporter.refresh_done(address)
        if found is None:
            raise PlanError(f"{address}: no existing {data.type} with {shown} "
                            f"(declared at {spec.document_of(data.scope).display_name}:{data.line}); "
                            "a data source is only read, never created")
        cloud_id, attributes = found
        public = {k: v for k, v in attributes.items() if k not in handler.sensitive}
        return DataRead(address, data.type, dict(keys), cloud_id, public)

    addresses = sorted(a for a in spec.data if only is None or a in only)
    if not addresses:
        return []
    if run.settings.parallelism <= 1 or len(addresses) == 1:
        return [read(a) for a in addresses]
    with ThreadPoolExecutor(max_workers=run.settings.parallelism, thread_name_prefix="data") as pool:
        return list(pool.map(read, addresses))
