import threading

import pytest

from modelinfra.graph.dag import Graph


def test_topological_order_puts_dependencies_first_with_stable_ties():
    g = Graph({"c": {"a", "b"}, "b": {"a"}, "a": set(), "d": set()})
    assert g.topological_order() == ["a", "b", "c", "d"]


def test_cycle_is_named_node_by_node():
    g = Graph({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()})
    assert g.find_cycle() == ["a", "b", "c", "a"]
    with pytest.raises(ValueError, match="a -> b -> c -> a"):
        g.topological_order()


def test_unknown_dependency_is_rejected():
    with pytest.raises(KeyError):
        Graph({"a": {"zzz"}})


def test_walk_respects_dependencies_and_the_parallelism_bound():
    """Three independent nodes are all running at once (each waits on a barrier only three can
    pass together), a fourth never joins them, and ``last`` runs after all eight."""
    order: list[str] = []
    running = 0
    peak = 0
    lock = threading.Lock()
    barrier = threading.Barrier(3, timeout=30)  # broken (and the test failed) unless 3 run together

    def visit(node: str) -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        if node in ("n0", "n1", "n2"):  # the first batch: sorted, so these three start first
            barrier.wait()
        with lock:
            running -= 1
            order.append(node)

    nodes = {f"n{i}": set() for i in range(8)}
    nodes["last"] = set(nodes)
    result = Graph(nodes).walk(visit, parallelism=3)
    assert result.ok, result.failed
    assert order[-1] == "last" and len(order) == 9
    assert peak == 3


def test_failure_skips_dependents_and_reports_only_the_root_cause():
    def visit(node: str) -> None:
        if node == "a":
            raise RuntimeError("boom")

    result = Graph({"a": set(), "b": {"a"}, "c": {"b"}, "d": set()}).walk(visit)
    assert list(result.failed) == ["a"]
    assert result.skipped == {"b": "a", "c": "a"}
    assert result.succeeded == ["d"]


def test_reversed_graph_is_destroy_order():
    g = Graph({"bucket": set(), "object": {"bucket"}}).reversed()
    assert g.topological_order() == ["object", "bucket"]


def test_closure_collects_transitive_dependencies():
    g = Graph({"a": set(), "b": {"a"}, "c": {"b"}, "x": set()})
    assert g.closure(["c"]) == {"a", "b", "c"}
