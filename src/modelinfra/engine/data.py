"""Data sources: read-only lookups of existing resources, read at plan time before anything else.

Each ``data.NAME`` block is looked up through its handler's ``lookup(ctx, keys)`` (retried through
``RunContext.call``), all in parallel. A data source that is not found fails the plan (exit 1),
naming ``data.NAME`` and the values it was looked up by. What was read is recorded in the plan
(``Plan.data_sources``) and nowhere else: state holds managed resources only, so a data source is
never created, changed, deleted, tagged or counted as drift, and a saved plan applies against
exactly the values it was made from.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from modelinfra.engine.context import RunContext
from modelinfra.errors import ModelinfraError, PlanError, ProviderError
from modelinfra.plans.plan import DataRead
from modelinfra.spec.evaluator import Evaluator
from modelinfra.values import contains_unknown


def read_data_sources(run: RunContext) -> list[DataRead]:
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

    addresses = sorted(spec.data)
    if run.settings.parallelism <= 1 or len(addresses) == 1:
        return [read(a) for a in addresses]
    with ThreadPoolExecutor(max_workers=run.settings.parallelism, thread_name_prefix="data") as pool:
        return list(pool.map(read, addresses))
