"""The dependency graph of a spec as Graphviz DOT or Mermaid text.

Input is plain data: ``nodes[address] = (type, dependencies)``. An edge goes from a resource to
each resource it needs (as Terraform draws it), so the arrows point at what is created first.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

FORMATS = ("dot", "mermaid")
Nodes = Mapping[str, tuple[str, Iterable[str]]]


def render_graph(name: str, nodes: Nodes, fmt: str = "dot") -> str:
    if fmt == "mermaid":
        return _mermaid(nodes)
    return _dot(name, nodes)


def _dot(name: str, nodes: Nodes) -> str:
    lines = [f"digraph {json.dumps(name)} {{", "  rankdir = \"RL\";", "  node [shape = box];"]
    lines += [f"  {json.dumps(a)} [label = {json.dumps(a + chr(10) + t)}];" for a, t in _labels(nodes)]
    lines += [f"  {json.dumps(a)} -> {json.dumps(d)};" for a, d in _edges(nodes)]
    return "\n".join(lines) + "\n}\n"


def _mermaid(nodes: Nodes) -> str:
    ids = {address: f"n{i}" for i, address in enumerate(sorted(nodes))}
    lines = ["graph RL"]
    lines += [f'  {ids[a]}["{a.replace(chr(34), "#quot;")}<br/>{t}"]' for a, t in _labels(nodes)]  # model["k"]
    lines += [f"  {ids[a]} --> {ids[d]}" for a, d in _edges(nodes)]
    return "\n".join(lines) + "\n"


def _labels(nodes: Nodes) -> list[tuple[str, str]]:
    return [(address, type_name) for address, (type_name, _) in sorted(nodes.items())]


def _edges(nodes: Nodes) -> list[tuple[str, str]]:
    return [(address, dep) for address, (_, deps) in sorted(nodes.items()) for dep in sorted(deps)]
