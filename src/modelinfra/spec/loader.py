"""YAML loading with source positions, and nothing else.

``load_document(path)`` returns plain Python data (dict/list/str/int/float/bool/None; YAML
timestamps become ISO strings) and a map from each key path to its 1-based (line, col).

Rejected, each as a ``Problem`` with its position: files over 5 MiB, YAML syntax errors,
anchors/aliases (alias bombs), duplicate keys, more than one document, a non-mapping top level.
Loading is ruamel.yaml's round-trip parser, which never constructs arbitrary Python objects.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelinfra.errors import Problem, SpecError

MAX_SPEC_BYTES = 5 * 1024 * 1024

PathKey = tuple[str | int, ...]


@dataclass
class Document:
    """A parsed spec file: ``data`` plus ``positions[path] = (line, col)`` (1-based)."""

    path: Path
    text: str
    data: Any
    positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    @property
    def display_name(self) -> str:
        return str(self.path)

    def position(self, path: PathKey) -> tuple[int, int]:
        """Position of ``path`` or of its nearest located ancestor (the document start at worst)."""
        for end in range(len(path), -1, -1):
            found = self.positions.get(tuple(path[:end]))
            if found:
                return found
        return (1, 1)

    def problem(self, path: PathKey, message: str) -> Problem:
        line, col = self.position(path)
        return Problem(self.display_name, line, col, dotted(path), message)


def dotted(path: PathKey) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_document(path: Path) -> Document:
    """Read and parse ``path``. Raises ``SpecError`` with positioned problems."""
    name = str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SpecError([Problem(name, 1, 1, "", f"cannot read spec: {exc.strerror or exc}")]) from None
    if size > MAX_SPEC_BYTES:
        raise SpecError([Problem(name, 1, 1, "", f"spec is {size} bytes; the limit is 5 MiB")])
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError([Problem(name, 1, 1, "", f"cannot read spec: {exc}")]) from None
    return parse_document(path, text)


def parse_document(path: Path, text: str) -> Document:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.events import AliasEvent, DocumentStartEvent, NodeEvent

    name = str(path)
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    problems: list[Problem] = []
    try:
        documents = 0
        for event in yaml.parse(text):
            mark = event.start_mark
            if isinstance(event, DocumentStartEvent):
                documents += 1
                if documents > 1:
                    problems.append(Problem(name, mark.line + 1, mark.column + 1, "",
                                            "only one YAML document per spec file"))
            elif isinstance(event, AliasEvent) or (isinstance(event, NodeEvent) and event.anchor):
                problems.append(Problem(name, mark.line + 1, mark.column + 1, "",
                                        "YAML anchors and aliases are not allowed"))
        if problems:
            raise SpecError(problems)
        raw = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = " ".join(filter(None, [exc.context, exc.problem])) or "invalid YAML"
        raise SpecError([Problem(name, line, col, "", f"invalid YAML: {message}")]) from None
    except YAMLError as exc:
        raise SpecError([Problem(name, 1, 1, "", f"invalid YAML: {exc}")]) from None
    if raw is None:
        raise SpecError([Problem(name, 1, 1, "", "spec is empty")])
    doc = Document(path, text, None)
    if not isinstance(raw, dict):
        raise SpecError([Problem(name, 1, 1, "", "spec must be a mapping at the top level")])
    doc.positions[()] = (1, 1)
    doc.data = _plain(raw, (), doc.positions)
    return doc


def _plain(node: Any, path: PathKey, positions: dict[PathKey, tuple[int, int]]) -> Any:
    """Convert ruamel nodes to plain Python values, recording the position of every key/item."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        lc = getattr(node, "lc", None)
        for key in node:
            child = (*path, str(key))
            if lc is not None:
                try:
                    k_line, k_col = lc.key(key)
                    positions[child] = (k_line + 1, k_col + 1)
                except (KeyError, TypeError):
                    pass
            out[str(key)] = _plain(node[key], child, positions)
        return out
    if isinstance(node, list):
        items = []
        lc = getattr(node, "lc", None)
        for index, item in enumerate(node):
            child = (*path, index)
            if lc is not None:
                try:
                    i_line, i_col = lc.item(index)
                    positions[child] = (i_line + 1, i_col + 1)
                except (KeyError, TypeError, IndexError):
                    pass
            items.append(_plain(item, child, positions))
        return items
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, dt.datetime | dt.date):
        return node.isoformat()
    if isinstance(node, str):
        return str(node)
    return node
