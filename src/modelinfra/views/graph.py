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
    for address, (type_name, _) in sorted(nodes.items()):
        lines.append(f"  {json.dumps(address)} [label = {json.dumps(address + chr(10) + type_name)}];")
    for address, (_, deps) in sorted(nodes.items()):
        for dep in sorted(deps):
            lines.append(f"  {json.dumps(address)} -> {json.dumps(dep)};")
    return "\n".join(lines) + "\n}\n"


def _mermaid(nodes: Nodes) -> str:
    ids = {address: f"n{i}" for i, address in enumerate(sorted(nodes))}
    lines = ["graph RL"]
    for address, (type_name, _) in sorted(nodes.items()):
        lines.append(f'  {ids[address]}["{address}<br/>{type_name}"]')
    for address, (_, deps) in sorted(nodes.items()):
        for dep in sorted(deps):
            lines.append(f"  {ids[address]} --> {ids[dep]}")
    return "\n".join(lines) + "\n"
