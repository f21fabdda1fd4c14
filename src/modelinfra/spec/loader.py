"""YAML loading with source positions, and nothing else.

``read_document(path)`` parses the file once -- one stream of parser events (ruamel.yaml.clib's C
parser when installed, ruamel's pure-Python parser otherwise) -- and builds from it both the plain
Python data (dict/list/str/int/float/bool/None; YAML timestamps become ISO strings; YAML 1.2 core
schema, as ruamel resolves it) and ``positions[key path] = (line, col)`` (1-based).

Problems, each positioned, in the spec's words (never the YAML library's text):
- fatal, raised as ``SpecError``: unreadable file, files over 5 MiB, YAML syntax errors (see
  ``yaml_errors``), an empty spec, a non-mapping top level;
- reported beside the data in ``Document.problems`` so that they hide no other problem: anchors and
  aliases (alias bombs: an alias becomes ``None``, never a copy), duplicate keys (the first value is
  kept), YAML tags, more than one document (the first is kept).
``load_document(path)`` is the strict form: it raises when ``problems`` is not empty.
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
    """A parsed spec file: ``data`` plus ``positions[path] = (line, col)`` (1-based), and the
    non-fatal ``problems`` found while reading it."""

    path: Path
    text: str
    data: Any
    positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

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


def read_document(path: Path) -> Document:
    """Read and parse ``path``; non-fatal problems in ``Document.problems``, fatal ones raised."""
    name = str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SpecError([Problem(name, 1, 1, "", f"cannot read spec: {exc.strerror or exc}")]) from None
    if size > MAX_SPEC_BYTES:
        raise SpecError([Problem(name, 1, 1, "", f"spec is {size} bytes; the limit is 5 MiB")])
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        before = exc.object[:exc.start]
        line, col = before.count(b"\n") + 1, exc.start - (before.rfind(b"\n") + 1) + 1
        raise SpecError([Problem(name, line, col, "", f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x} here): "
                                 "save the spec as UTF-8")]) from None
    except OSError as exc:
        raise SpecError([Problem(name, 1, 1, "", f"cannot read spec: {exc.strerror or exc}")]) from None
    return parse_document(path, text, strict=False)


def load_document(path: Path) -> Document:
    """``read_document``, raising ``SpecError`` if there is any problem at all."""
    doc = read_document(path)
    if doc.problems:
        raise SpecError(doc.problems)
    return doc


def parse_document(path: Path, text: str, strict: bool = True) -> Document:
    """Parse ``text`` (the contents of ``path``). With ``strict``, any problem raises ``SpecError``."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    from modelinfra.spec.yaml_errors import explain

    name = str(path)
    builder = _Builder(name)
    try:
        try:
            builder.run(_events(text))
        except YAMLError as first:
            # libyaml is a YAML 1.1 scanner and refuses some valid YAML 1.2 plain scalars (in a flow
            # collection, ``cron(0 5 ? * * *)`` reads as a key indicator and an alias). The spec is
            # YAML 1.2: the pure-Python parser decides, only on this error path; when it refuses
            # too, libyaml's error (the position it reports is the better one) is the one shown.
            builder = _Builder(name)
            try:
                builder.run(_events(text, pure=True))
            except YAMLError:
                raise first from None
    except MarkedYAMLError as exc:
        line, col, message = explain(exc, text)
        raise SpecError([*builder.problems, Problem(name, line, col, "", message)]) from None
    except YAMLError as exc:
        raise SpecError([*builder.problems, Problem(name, 1, 1, "", f"invalid YAML: {exc}")]) from None
    raw = builder.root
    if raw is None:
        raise SpecError([*builder.problems, Problem(name, 1, 1, "", "spec is empty")])
    if not isinstance(raw, dict):
        raise SpecError([*builder.problems, Problem(name, 1, 1, "", "spec must be a mapping at the top level")])
    builder.positions[()] = (1, 1)
    doc = Document(path, text, raw, builder.positions, builder.problems)
    if strict and doc.problems:
        raise SpecError(doc.problems)
    return doc


def _events(text: str, pure: bool = False) -> Any:
    """Parser events for ``text``: libyaml through ruamel.yaml.clib when present (same events, same
    marks), else (or with ``pure``) ruamel's YAML 1.2 parser."""
    try:
        from ruamel.yaml.cyaml import CParser
    except ImportError:  # pragma: no cover - no C extension on this platform
        CParser = None  # noqa: N806
    if pure:
        CParser = None  # noqa: N806
    if CParser is not None:
        parser = CParser(text)
        try:
            while True:
                event = parser.get_event()
                yield event
                if type(event).__name__ == "StreamEndEvent":
                    return
        finally:
            parser.dispose()
    from ruamel.yaml import YAML

    yield from YAML(typ="safe", pure=True).parse(text)


class _Builder:
    """Builds plain data and positions from one event stream (see the module docstring)."""

    def __init__(self, name: str):
        from ruamel.yaml.resolver import VersionedResolver

        self.name = name
        self.root: Any = None
        self.positions: dict[PathKey, tuple[int, int]] = {}
        self.problems: list[Problem] = []
        self._resolvers = _implicit_resolvers(VersionedResolver(version=(1, 2)))

    def _problem(self, mark: Any, message: str) -> None:
        self.problems.append(Problem(self.name, mark.line + 1, mark.column + 1, "", message))

    def run(self, events: Any) -> None:
        # The open collections, innermost last: [container, key path, pending key (mappings only)]
        stack: list[list[Any]] = []
        documents = 0
        for event in events:
            kind = type(event).__name__
            if kind == "DocumentStartEvent":
                documents += 1
                if documents > 1:
                    self._problem(event.start_mark, "only one YAML document per spec file: remove the '---' "
                                                    "and what follows, or split it into another file")
                continue
            if kind in ("StreamStartEvent", "StreamEndEvent", "DocumentEndEvent"):
                continue
            if documents > 1:  # parsed for syntax errors, not kept
                continue
            if kind in ("MappingEndEvent", "SequenceEndEvent"):
                done = stack.pop()[0]
                if not stack:
                    self.root = done
                continue
            anchor = getattr(event, "anchor", None)
            if anchor is not None or kind == "AliasEvent":
                self._problem(event.start_mark, "YAML anchors and aliases are not allowed: write the value out "
                                                "in full (or use a variable)")
            if kind == "ScalarEvent":
                value: Any = self._scalar(event)
            elif kind == "MappingStartEvent":
                value = {}
                self._check_tag(event, "tag:yaml.org,2002:map")
            elif kind == "SequenceStartEvent":
                value = []
                self._check_tag(event, "tag:yaml.org,2002:seq")
            else:  # AliasEvent: never expanded
                value = None
            if not stack:
                if kind == "ScalarEvent" or kind == "AliasEvent":
                    self.root = value
                else:
                    stack.append([value, (), None])
                continue
            top = stack[-1]
            container, path = top[0], top[1]
            mark = event.start_mark
            child: PathKey | None
            if isinstance(container, list):
                child = (*path, len(container))
                self.positions[child] = (mark.line + 1, mark.column + 1)
                container.append(value)
            elif top[2] is None:  # this node is a key
                if not isinstance(value, str | int | float | bool) or value is None:
                    self._problem(mark, "a mapping key must be a plain name, not a list or mapping")
                    value = f"<key at {mark.line + 1}:{mark.column + 1}>"
                key = str(value)
                if key in container:
                    first = self.positions.get((*path, key))
                    where = f" (first at line {first[0]})" if first else ""
                    self._problem(mark, f"duplicate key {key!r}{where}: remove one of them")
                    top[2] = (key, mark, True)
                else:
                    top[2] = (key, mark, False)
                    self.positions[(*path, key)] = (mark.line + 1, mark.column + 1)
                if kind != "ScalarEvent":  # a complex key: parse it, keep nothing of it
                    stack.append([{} if kind == "MappingStartEvent" else [], (*path, "<key>"), None])
                continue
            else:  # this node is the value of the pending key
                key, _, duplicate = top[2]
                top[2] = None
                child = (*path, key)
                if not duplicate:
                    container[key] = value
            if kind in ("MappingStartEvent", "SequenceStartEvent"):
                stack.append([value, child, None])

    def _check_tag(self, event: Any, default: str) -> None:
        tag = getattr(event, "tag", None)
        if tag not in (None, "!", default):
            self._problem(event.start_mark, f"YAML tag {tag} is not supported: remove it")

    def _scalar(self, event: Any) -> Any:
        text = event.value
        tag = event.tag
        plain = event.style in (None, "")
        if tag is None or tag == "!":
            if not plain or tag == "!":
                return text
            tag = "str"
            for candidate, regexp in self._resolvers.get(text[:1], ()):
                if regexp.match(text):
                    tag = candidate
                    break
            if tag == "str":
                return text
        return self._construct(str(tag), text, event)

    def _construct(self, tag: str, text: str, event: Any) -> Any:
        kind = tag.rpartition(":")[2]
        try:
            if kind == "str":
                return text
            if kind == "null":
                return None
            if kind == "bool":
                return text.lower() in ("true", "yes", "on", "y")
            if kind == "int":
                return _int(text)
            if kind == "float":
                return _float(text)
            if kind == "timestamp":
                return _timestamp(text)
        except ValueError:
            self._problem(event.start_mark, f"{text!r} is not a valid {kind}")
            return text
        if kind in ("merge", "value"):
            return text
        self._problem(event.start_mark, f"YAML tag {tag} is not supported: remove it")
        return text


def _implicit_resolvers(resolver: Any) -> dict[str, list[tuple[str, Any]]]:
    """ruamel's YAML 1.2 implicit resolvers by first character, without its per-call version lookup."""
    table = resolver.versioned_resolver
    return {char: [(getattr(tag, "value", tag), regexp) for tag, regexp in entries]
            for char, entries in table.items()}


def _int(text: str) -> int:
    digits = text.replace("_", "")
    sign = -1 if digits.startswith("-") else 1
    body = digits.lstrip("+-")
    for prefix, base in (("0x", 16), ("0o", 8), ("0b", 2)):
        if body.lower().startswith(prefix):
            return sign * int(body[2:], base)
    return sign * int(body, 10)


def _float(text: str) -> float:
    lowered = text.replace("_", "").lower()
    if lowered in (".nan",):
        return float("nan")
    if lowered.lstrip("+-") == ".inf":
        return float("-inf") if lowered.startswith("-") else float("inf")
    return float(lowered)


def _timestamp(text: str) -> str:
    """ISO 8601 text, as the round-trip loader's ``isoformat()`` gave; the input if it cannot be read."""
    candidate = text.strip()
    if len(candidate) > 10 and candidate[10] in " tT":
        candidate = candidate[:10] + "T" + candidate[11:].strip()
    candidate = candidate.replace(" ", "")
    try:
        if len(candidate) == 10:
            return dt.date.fromisoformat(candidate).isoformat()
        return dt.datetime.fromisoformat(candidate).isoformat()
    except ValueError:
        return text
