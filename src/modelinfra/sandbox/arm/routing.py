"""Map a request path to what it addresses: a resource, a collection, an action or an operation.

Templates come from :class:`~modelinfra.sandbox.arm.resource_type.ResourceType.path` and are matched
case-insensitively against the whole path; ``{param}`` matches one segment. The router is built once
from the registered families and never changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote

from modelinfra.sandbox.arm.generic_list import PROVIDER_ACTIONS as GENERIC_LIST_ACTIONS
from modelinfra.sandbox.arm.resource_type import RESOURCE_GROUP, Family, ProviderAction, ResourceType

_PARAM = re.compile(r"^\{(\w+)\}$")
_OPERATION = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/providers/(?P<ns>[^/]+)/locations/(?P<loc>[^/]+)/"
    r"(?P<kind>operationStatuses|operationResults)/(?P<op>[^/]+)$",
    re.IGNORECASE,
)

Kind = Literal["resource", "collection", "subscription_collection", "action", "provider_action", "operation"]


@dataclass
class Route:
    """What a path addresses. ``resource_id`` is the addressed id (for an action: its resource)."""

    kind: Kind
    rtype: ResourceType | None = None
    resource_id: str = ""
    params: dict[str, str] = field(default_factory=dict)
    action: str = ""
    provider_action: ProviderAction | None = None
    operation_id: str = ""
    operation_kind: str = ""


def _compile(template: str) -> tuple[re.Pattern[str], list[str]]:
    names: list[str] = ["subscriptionId"]
    parts = [r"/subscriptions/([^/]+)"]
    for segment in filter(None, template.strip("/").split("/")):  # "" is the subscription itself
        match = _PARAM.match(segment)
        if match:
            names.append(match.group(1))
            parts.append("/([^/]+)")
        else:
            parts.append("/" + re.escape(segment))
    return re.compile("^" + "".join(parts) + "$", re.IGNORECASE), names


class Router:
    def __init__(self, families: tuple[Family, ...] | list[Family]):
        self.types: list[ResourceType] = [t for f in families for t in f.types]
        self.by_type = {t.type.lower(): t for t in self.types}
        self._resources = [(_compile(t.path), t) for t in self.types]
        self._collections = [(_compile(t.path.rsplit("/", 1)[0]), t) for t in self.types]
        self._subscription_collections = [
            (_compile(f"providers/{t.type}"), t) for t in self.types if t.parent == RESOURCE_GROUP
        ]
        self._provider_actions = [
            (_compile(a.path), a) for f in families for a in f.provider_actions
        ] + [(_compile(a.path), a) for a in GENERIC_LIST_ACTIONS]  # Resources_List (generic_list.py)

    def match(self, method: str, path: str) -> Route | None:
        path = "/" + path.strip("/")
        op = _OPERATION.match(path)
        if op:
            return Route("operation", operation_id=op.group("op"), operation_kind=op.group("kind").lower(),
                         params={"subscriptionId": op.group("sub")})
        for (pattern, names), rtype in self._resources:
            m = pattern.match(path)
            if m:
                return Route("resource", rtype, path, _params(names, m))
        if method == "GET":
            for (pattern, names), rtype in self._collections:
                m = pattern.match(path)
                if m:
                    return Route("collection", rtype, path, _params(names, m))
            for (pattern, names), rtype in self._subscription_collections:
                m = pattern.match(path)
                if m:
                    return Route("subscription_collection", rtype, path, _params(names, m))
        for (pattern, names), action in self._provider_actions:
            m = pattern.match(path)
            if m and method == action.method:
                return Route("provider_action", None, path, _params(names, m), provider_action=action)
        if method == "POST" and "/" in path.strip("/"):
            head, action_name = path.rsplit("/", 1)
            for (pattern, names), rtype in self._resources:
                m = pattern.match(head)
                if m and action_name.lower() in rtype.actions:
                    return Route("action", rtype, head, _params(names, m), action=action_name.lower())
        return None

    def resource_type_of(self, resource_id: str) -> tuple[ResourceType, dict[str, str]] | None:
        """The registered type whose template matches ``resource_id`` exactly, if any."""
        for (pattern, names), rtype in self._resources:
            m = pattern.match(resource_id)
            if m:
                return rtype, _params(names, m)
        return None


def _params(names: list[str], match: re.Match[str]) -> dict[str, str]:
    return {name: unquote(value) for name, value in zip(names, match.groups(), strict=True)}


def parent_id(resource_id: str) -> str | None:
    """The id one level up: strips ``type/name`` and a then-trailing ``providers/NS``.

    ``/subscriptions/s/resourceGroups/g`` -> ``/subscriptions/s``; returns ``None`` at the subscription.
    """
    segments = resource_id.strip("/").split("/")
    if len(segments) <= 2:
        return None
    segments = segments[:-2]
    if len(segments) >= 2 and segments[-2].lower() == "providers":
        segments = segments[:-2]
    return "/" + "/".join(segments)


def ancestors(resource_id: str) -> list[str]:
    """Ancestor ids from the outermost (below the subscription) to the direct parent."""
    chain: list[str] = []
    current = parent_id(resource_id)
    while current is not None and current.count("/") > 2:
        chain.append(current)
        current = parent_id(current)
    return list(reversed(chain))
