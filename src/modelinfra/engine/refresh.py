"""Refresh: read every resource the state knows, concurrently, bounded by ``parallelism``.

Returns ``observed[address]`` = attributes, or None when the resource is gone. Any read error
(unreachable cloud, expired credential, throttling beyond the retry budget) fails the whole
refresh: a resource is never reported deleted because its read failed.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from modelinfra.engine.context import RunContext
from modelinfra.errors import ModelinfraError, ProviderError
from modelinfra.state.model import State


def refresh(run: RunContext, state: State, addresses: list[str] | None = None) -> dict[str, dict[str, Any] | None]:
    wanted = [a for a in (addresses if addresses is not None else state.resources) if a in state.resources]
    if not wanted:
        return {}

    def read(address: str) -> tuple[str, dict[str, Any] | None]:
        entry = state.resources[address]
        run.reporter.refresh_started(address)
        ctx = run.resource_context(address, entry.type)
        try:
            observed = run.call(address, lambda: run.handler(entry.type).read(ctx, entry.id))
        except ModelinfraError:
            raise
        except Exception as exc:  # an SDK error the handler did not map: still an error, with context
            raise ProviderError(f"{address}: reading {entry.id} failed: {exc}") from exc
        run.reporter.refresh_done(address)
        return address, observed

    if run.settings.parallelism <= 1 or len(wanted) == 1:  # no thread to start for a single reader
        return dict(read(a) for a in sorted(wanted))
    with ThreadPoolExecutor(max_workers=run.settings.parallelism, thread_name_prefix="refresh") as pool:
        results = list(pool.map(read, sorted(wanted)))
    return dict(results)
