"""Pure helpers on JSON bodies: merge-patch, defaults, dotted paths, location normalisation."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

READ_ONLY_KEYS = ("id", "name", "type", "etag", "systemData")


def merge_patch(target: dict[str, Any], patch: Mapping[str, Any], atomic: tuple[str, ...] = ("tags",),
                _prefix: str = "") -> dict[str, Any]:
    """RFC 7396 merge-patch, except that the dotted paths in ``atomic`` (``tags``, maps such as
    ``properties.metadata``) are replaced wholesale, as ARM does."""
    result = copy.deepcopy(target)
    for key, value in patch.items():
        path = _prefix + key
        if value is None:
            result.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(result.get(key), dict) and path not in atomic:
            result[key] = merge_patch(result[key], value, atomic, path + ".")
        else:
            result[key] = copy.deepcopy(value)
    return result


def with_defaults(defaults: Mapping[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
    """``body`` deep-merged over ``defaults`` (body wins; dicts merge recursively)."""
    result = copy.deepcopy(dict(defaults))
    for key, value in body.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), dict):
            result[key] = with_defaults(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def get_path(body: Mapping[str, Any], dotted: str, default: Any = None) -> Any:
    node: Any = body
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return default
        node = node[part]
    return node


def set_path(body: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = body
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value


def normalize_location(location: str) -> str:
    """ARM's canonical location name: ``"West US 2"`` -> ``"westus2"``."""
    return location.replace(" ", "").lower()


def strip_read_only(body: Mapping[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in body.items() if k not in READ_ONLY_KEYS}
