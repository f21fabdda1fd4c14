"""YAML syntax errors said in the spec's words: what is wrong, where, and how to fix it.

``explain(exc, text)`` turns a ruamel/libyaml ``MarkedYAMLError`` into ``(line, col, message)``
(1-based). The library's own phrases ("while parsing a block mapping ... did not find expected key")
never reach the user; an error this table does not know falls back to "invalid YAML: <problem>".
"""

from __future__ import annotations

from typing import Any


def _mark(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _char_at(text: str, mark: Any) -> str:
    if mark is None:
        return ""
    index = getattr(mark, "index", None)
    if isinstance(index, int) and 0 <= index < len(text):
        return text[index]
    lines = text.splitlines()
    if mark.line < len(lines) and mark.column < len(lines[mark.line]):
        return lines[mark.line][mark.column]
    return ""


def explain(exc: Any, text: str) -> tuple[int, int, str]:
    """``(line, col, message)`` for a YAML syntax error ``exc`` raised while reading ``text``."""
    problem = str(getattr(exc, "problem", "") or "")
    context = str(getattr(exc, "context", "") or "")
    at, opened = getattr(exc, "problem_mark", None), getattr(exc, "context_mark", None)
    line, col = _mark(at or opened)
    char = _char_at(text, at)
    if char and char in "]}" and ("expected <block end>" in problem or "did not find expected key" in problem
                                  or "node content" in problem):
        closer = {"]": "[", "}": "{"}[char]
        return line, col, f"unexpected '{char}': no '{closer}' is open here; remove it (or add the missing '{closer}')"
    if "expected '-' indicator" in problem or ("block collection" in context and "expected <block end>" in problem):
        o_line, o_col = _mark(opened)
        return line, col, (f"this line is not a list item, but the list begun at line {o_line} (column {o_col}) "
                           "continues here: start it with '- ', or indent it like the key the list belongs to")
    if "expected node content" in problem or "expected the node content" in problem:
        if not char:
            return line, col, ("the file ends where a value was expected: finish the last entry and close every "
                               "'{' and '['")
        return line, col, f"{char!r} cannot start a value here: put the value in quotes, or remove it"
    if "did not find expected key" in problem or "expected <block end>" in problem:
        if char == "-":
            return line, col, ("a list item ('- ') where a key was expected: indent the list under the key it "
                               "belongs to, or write 'key: value' here")
        o_line, o_col = _mark(opened)
        return line, col, (f"bad indentation: this line starts at column {col}, but the keys of the mapping "
                           f"begun at line {o_line} start at column {o_col}; indent it exactly like its sibling "
                           "keys (spaces only), or nest it under a key that ends with ':'")
    if "mapping values are not allowed" in problem:
        return line, col, ("unexpected ':' here: a plain value cannot contain ': ' and a key cannot be indented "
                           "under a key that already has a value; quote the value, or put nested keys on their "
                           "own lines under a key that ends with ':'")
    if "cannot start any token" in problem:
        if char == "\t":
            return line, col, "a tab character: YAML indentation must use spaces; replace the tab with spaces"
        shown = repr(char) if char else "this character"
        return line, col, f"{shown} cannot start a plain value; put the value in quotes (e.g. '{char}...')"
    if "could not find expected ':'" in problem:
        o_line, o_col = _mark(opened)
        return o_line, o_col, "this line is neither 'key: value' nor a list item: add ':' after the key"
    for kind, opener, closer, parts in (("sequence", "[", "]", "items"), ("mapping", "{", "}", "entries")):
        if f"flow {kind}" in context or f"expected ',' or '{closer}'" in problem:
            o_line, o_col = _mark(opened)
            noun = "list" if kind == "sequence" else "mapping"
            if char and char not in "]}:":  # another entry (not a key of the block around) where "," was due
                return line, col, (f"missing ',' before this: separate the {parts} of the {noun} opened with "
                                   f"'{opener}' at line {o_line}, column {o_col} (or close it with '{closer}')")
            return o_line, o_col, (f"the {noun} opened with '{opener}' here is not closed: add the missing "
                                   f"'{closer}' (or a ',' between {parts})")
    if "quoted scalar" in context and "end of stream" in problem:
        o_line, o_col = _mark(opened)
        return o_line, o_col, "the quoted string that starts here is not closed: add the closing quote"
    if "unknown escape" in problem:
        return line, col, ("unknown escape sequence in a double-quoted string: write the backslash as '\\\\', "
                           "or use single quotes")
    if "undefined alias" in problem:
        return line, col, "YAML anchors and aliases are not allowed: write the value out in full (or use a variable)"
    if "found undefined tag handle" in problem or "tag" in context:
        return line, col, "YAML tags ('!name') are not supported: remove the tag"
    return line, col, f"invalid YAML: {problem or context or exc}"
