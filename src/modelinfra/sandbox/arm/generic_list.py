"""ARM's generic resource listing (Microsoft.Resources ``Resources_List`` / ``Resources_ListByResourceGroup``).

``GET /subscriptions/{sub}/resources`` and ``GET /subscriptions/{sub}/resourceGroups/{rg}/resources``
answer 200 ``{"value": [GenericResourceExpanded...], "nextLink"?}``: every *tracked* resource (one
with a location, resource groups excluded; proxy children such as queues or containers are never
listed) in the scope, sorted by id. Each item carries ``id``, ``name``, ``type``, ``location``,
``tags`` and, when the stored body has them, ``kind``, ``sku``, ``managedBy``; ``properties`` only
with ``$expand`` naming it (``$expand=properties`` or ``createdTime,...,properties``).

``$filter`` (the forms ARM documents, joined by ``and``): ``tagName eq 'k'``, ``tagValue eq 'v'``
(only with tagName), ``resourceType eq 'NS/type'``, ``location eq 'x'``, ``name eq 'x'``,
``resourceGroup eq 'x'``. Tag names, types, locations and names compare case-insensitively, tag
values exactly. Anything else is 400 ``InvalidFilterInQueryString``.

Paging: ``$top`` (default and maximum ``PAGE_SIZE``) items per page; when more remain, ``nextLink``
is the same URL with ``$skiptoken`` = the offset of the next page. A missing resource group is 404
``ResourceGroupNotFound``.

Wired into the router as two GET :class:`ProviderAction` s (``PROVIDER_ACTIONS``), so requests get
the same api-version check, fault injection and request counting as every other route.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlencode

from modelinfra.sandbox.arm import errors
from modelinfra.sandbox.arm.resource_type import RESOURCE_GROUP, ProviderAction, RequestContext

API_VERSIONS = ("2025-04-01", "2025-03-01", "2025-01-01", "2024-11-01", "2024-07-01", "2024-03-01",
                "2023-07-01", "2022-09-01", "2021-04-01")
PAGE_SIZE = 1000

_CLAUSE = re.compile(r"^\s*(\w+)\s+eq\s+'((?:[^']|'')*)'\s*$", re.IGNORECASE)
_FIELDS = {"tagname", "tagvalue", "resourcetype", "location", "name", "resourcegroup"}


def list_subscription(ctx: RequestContext, _body: Any) -> tuple[int, Any]:
    return 200, _page(ctx, f"/subscriptions/{ctx.subscription_id}", f"/subscriptions/{ctx.subscription_id}/resources")


def list_resource_group(ctx: RequestContext, _body: Any) -> tuple[int, Any]:
    group = ctx.params["resourceGroupName"]
    scope = f"/subscriptions/{ctx.subscription_id}/resourceGroups/{group}"
    if ctx.store.get(scope) is None:
        raise errors.resource_group_not_found(group)
    return 200, _page(ctx, scope, f"{scope}/resources")


PROVIDER_ACTIONS = (
    ProviderAction("resources", list_subscription, method="GET", api_versions=API_VERSIONS),
    ProviderAction("resourceGroups/{resourceGroupName}/resources", list_resource_group, method="GET",
                   api_versions=API_VERSIONS),
)


def parse_filter(text: str) -> dict[str, str]:
    """``$filter`` as {field (lower-case): value}; raises 400 for what ARM would not accept."""
    if not text.strip():
        return {}
    out: dict[str, str] = {}
    for clause in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE):
        match = _CLAUSE.match(clause)
        if not match or match.group(1).lower() not in _FIELDS:
            raise _invalid_filter(text)
        out[match.group(1).lower()] = match.group(2).replace("''", "'")
    if "tagvalue" in out and "tagname" not in out:
        raise _invalid_filter(text)
    return out


def _page(ctx: RequestContext, scope: str, path: str) -> dict[str, Any]:
    wanted = parse_filter(ctx.query.get("$filter", ""))
    expand = {p.strip().lower() for p in ctx.query.get("$expand", "").split(",")}
    prefix = scope.lower() + "/"
    records = sorted((r for r in ctx.store.all()
                      if r.key.startswith(prefix) and r.rtype.requires_location and r.rtype.type != RESOURCE_GROUP
                      and r.pending != "DELETE" and _matches(r.body, r.id, wanted)), key=lambda r: r.key)
    top = _int(ctx.query.get("$top"), PAGE_SIZE, 1, PAGE_SIZE)
    start = _int(ctx.query.get("$skiptoken"), 0, 0, len(records))
    page = records[start:start + top]
    body: dict[str, Any] = {"value": [_item(r.body, "properties" in expand) for r in page]}
    if start + top < len(records):
        query = {k: v for k, v in ctx.query.items() if k != "$skiptoken"}
        query["$skiptoken"] = str(start + top)
        body["nextLink"] = f"{ctx.base_url}{path}?{urlencode(query, quote_via=quote, safe='$,')}"
    return body


def _matches(body: dict[str, Any], resource_id: str, wanted: dict[str, str]) -> bool:
    tags = {str(k).lower(): v for k, v in (body.get("tags") or {}).items()}
    for key, value in wanted.items():
        if key == "tagname":
            if value.lower() not in tags:
                return False
            if "tagvalue" in wanted and tags[value.lower()] != wanted["tagvalue"]:
                return False
        elif key == "resourcetype" and str(body.get("type", "")).lower() != value.lower():
            return False
        elif key == "location" and str(body.get("location", "")).lower() != value.lower():
            return False
        elif key == "name" and str(body.get("name", "")).lower() != value.lower():
            return False
        elif key == "resourcegroup" and _group_of(resource_id) != value.lower():
            return False
    return True


def _item(body: dict[str, Any], with_properties: bool) -> dict[str, Any]:
    item = {k: body[k] for k in ("id", "name", "type", "kind", "location", "sku", "managedBy", "identity")
            if body.get(k) is not None}
    item["tags"] = dict(body.get("tags") or {})
    if with_properties and "properties" in body:
        item["properties"] = body["properties"]
    return item


def _group_of(resource_id: str) -> str:
    parts = resource_id.lower().strip("/").split("/")
    return parts[3] if len(parts) > 3 and parts[2] == "resourcegroups" else ""


def _int(raw: str | None, default: int, low: int, high: int) -> int:
    try:
        value = int(raw) if raw not in (None, "") else default
    except ValueError:
        return default
    return max(low, min(high, value))


def _invalid_filter(text: str) -> errors.ArmError:
    return errors.bad_request("InvalidFilterInQueryString", f"Invalid $filter '{text}' specified in the query string.")
