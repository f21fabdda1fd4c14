"""Paging of collection GETs (``List``/``ListByResourceGroup`` of a type, Service Bus
``ListByNamespace``), as the REST specs declare them (``x-ms-pageable`` with ``nextLinkName:
nextLink``): ``{"value": [...], "nextLink"?}``, items in a stable order (by id), at most
``EmulatorConfig.list_page_size`` a page. ``$top`` asks for fewer (Service Bus: 1 to 1000);
``$skip`` skips items (Service Bus); ``nextLink`` is an absolute URL with the same query plus an
opaque ``$skiptoken``, and no ``nextLink`` means the last page. Only the page's own records are
copied out of the store (``Record.view``), so serving a page costs its size, not the collection's."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from modelinfra.sandbox.arm import errors
from modelinfra.sandbox.arm.resource_type import RequestContext
from modelinfra.sandbox.arm.store import Record


def page(ctx: RequestContext, records: list[Record]) -> dict[str, Any]:
    """The page of ``records`` (sorted here by id) the request's query selects, as wire bodies."""
    ordered = sorted(records, key=lambda record: record.key)
    size = max(1, ctx.config.list_page_size)
    top = _count(ctx.query.get("$top"), "$top", size, high=1000)
    start = _count(ctx.query.get("$skiptoken"), "$skiptoken", None) \
        if "$skiptoken" in ctx.query else _count(ctx.query.get("$skip"), "$skip", 0)
    count = min(top, size)
    body: dict[str, Any] = {"value": [record.view() for record in ordered[start:start + count]]}
    if start + count < len(ordered):
        query = {k: v for k, v in ctx.query.items() if k not in ("$skiptoken", "$skip")}
        query["$skiptoken"] = str(start + count)
        body["nextLink"] = f"{ctx.base_url}{ctx.resource_id}?{urlencode(query, quote_via=quote, safe='$,')}"
    return body


def _count(raw: str | None, name: str, default: int | None, high: int | None = None) -> int:
    if raw in (None, ""):
        assert default is not None
        return default
    try:
        value = int(raw)  # type: ignore[arg-type]
    except ValueError:
        value = -1
    if value < 0 or (high is not None and not 1 <= value <= high):
        raise errors.bad_request("InvalidQueryParameterValue", f"Invalid value '{raw}' for query parameter {name}.")
    return value
