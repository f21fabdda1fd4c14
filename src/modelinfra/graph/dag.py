"""A dependency graph of opaque string nodes, and a bounded parallel walk over it.

The graph knows nothing of what a node is. ``deps[n]`` is the set of nodes ``n`` waits for.
Invariants: every dependency is itself a node; ``walk`` runs a node only after all its
dependencies succeeded, never more than ``parallelism`` at once, and a failed node marks every
transitive dependent as skipped with the failed node as root cause (so only the root cause is
reported). An interrupt (KeyboardInterrupt in the caller's thread) stops scheduling new nodes,
waits for running ones, and returns with ``interrupted`` set (the caller decides how to exit).
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any


class Graph:
    def __init__(self, deps: Mapping[str, Iterable[str]]):
        self.deps: dict[str, set[str]] = {n: set(d) for n, d in deps.items()}
        for node, targets in self.deps.items():
            missing = targets.difference(self.deps)  # not `- keys()`: that copies the keys (O(n) each)
            if missing:
                raise KeyError(f"{node} depends on unknown node(s) {sorted(missing)}")

    @property
    def nodes(self) -> list[str]:
        return sorted(self.deps)

    def dependents(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {n: set() for n in self.deps}
        for node, targets in self.deps.items():
            for target in targets:
                out[target].add(node)
        return out

    def reversed(self) -> Graph:
        """The graph with every edge flipped (destroy order)."""
        return Graph(self.dependents())

    def find_cycle(self) -> list[str] | None:
        """One cycle as ``[a, b, ..., a]``, or None. Deterministic (sorted traversal)."""
        white, grey, black = 0, 1, 2
        colour = dict.fromkeys(self.deps, white)
        stack: list[str] = []

        def visit(node: str) -> list[str] | None:
            colour[node] = grey
            stack.append(node)
            for target in sorted(self.deps[node]):
                if colour[target] == grey:
                    return [*stack[stack.index(target):], target]
                if colour[target] == white:
                    found = visit(target)
                    if found:
                        return found
            stack.pop()
            colour[node] = black
            return None

        for node in sorted(self.deps):
            if colour[node] == white:
                found = visit(node)
                if found:
                    return found
        return None

    def topological_order(self) -> list[str]:
        """Dependencies first; ties broken by name. Raises ValueError on a cycle."""
        remaining = {n: set(d) for n, d in self.deps.items()}
        dependents = self.dependents()
        ready = sorted(n for n, d in remaining.items() if not d)  # a heap: smallest name first
        order: list[str] = []
        while ready:
            node = heapq.heappop(ready)
            order.append(node)
            for dependent in dependents[node]:
                remaining[dependent].discard(node)
                if not remaining[dependent]:
                    heapq.heappush(ready, dependent)
        if len(order) != len(remaining):
            raise ValueError(f"cycle: {' -> '.join(self.find_cycle() or [])}")
        return order

    def closure(self, roots: Iterable[str]) -> set[str]:
        """``roots`` and everything they transitively depend on."""
        seen: set[str] = set()
        todo = list(roots)
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(self.deps[node])
        return seen

    def walk(self, visit: Callable[[str], None], parallelism: int = 16,
             tiebreak: Callable[[str], Any] | None = None) -> WalkResult:
        """Run ``visit`` on every node (see the module invariants). Among nodes ready at the same
        time, those first by ``tiebreak`` (default: by name) start first; tests shuffle it to find
        an ordering that only holds by luck."""
        return _walk(self, visit, max(1, parallelism), tiebreak)


@dataclass
class WalkResult:
    succeeded: list[str] = field(default_factory=list)
    failed: dict[str, BaseException] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # node -> root-cause node
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed and not self.skipped and not self.interrupted


def _walk(graph: Graph, visit: Callable[[str], None], parallelism: int,
          tiebreak: Callable[[str], Any] | None = None) -> WalkResult:
    result = WalkResult()
    dependents = graph.dependents()
    waiting = {n: set(d) for n, d in graph.deps.items()}
    lock = threading.Lock()
    running: dict[Future[None], str] = {}
    order: Callable[[str], Any] = tiebreak or (lambda node: node)
    # nodes whose dependencies all succeeded, smallest tiebreak first: O(log n) per node, not a scan
    # of every waiting node per completion (which made a walk O(n^2)); skipped ones are dropped lazily
    ready = [(order(n), n) for n, d in waiting.items() if not d]
    heapq.heapify(ready)

    def skip_dependents(node: str, root: str) -> None:
        for dependent in dependents[node]:
            if dependent in waiting:
                del waiting[dependent]
                result.skipped[dependent] = root
                skip_dependents(dependent, root)

    with ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="modelinfra") as pool:
        try:
            while waiting or running:
                with lock:
                    while ready and len(running) < parallelism:
                        _, node = heapq.heappop(ready)
                        if node in waiting:
                            del waiting[node]
                            running[pool.submit(visit, node)] = node
                if not running:
                    break
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in done:
                    node = running.pop(future)
                    error = future.exception()
                    if error is None:
                        result.succeeded.append(node)
                        for dependent in dependents[node]:
                            if dependent in waiting:
                                waiting[dependent].discard(node)
                                if not waiting[dependent]:
                                    heapq.heappush(ready, (order(dependent), dependent))
                    else:
                        result.failed[node] = error
                        skip_dependents(node, node)
        except KeyboardInterrupt:
            result.interrupted = True
            waiting.clear()
            for future, node in list(running.items()):
                error = future.exception()  # waits: never abandon a cloud call half-recorded
                if error is None:
                    result.succeeded.append(node)
                else:
                    result.failed[node] = error
        finally:
            for node in waiting:
                result.skipped.setdefault(node, "(interrupted)")
    return result
