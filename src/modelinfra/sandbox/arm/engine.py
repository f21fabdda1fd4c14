"""The generic ARM engine: every verb on every registered type, driven by its ResourceType.

Contract per verb (statuses are the type's declarations; see ``resource_type.py``):

- every request needs ``api-version`` (400 ``MissingApiVersionParameter``) and, for a registered
  type, one of its api-versions; ancestors must exist (404 ``ResourceGroupNotFound`` /
  ``ParentResourceNotFound``); a write under a resource group being deleted is 409.
- GET resource: 200 body, or 404 ``not_found_code``. HEAD: 204 / 404 without body.
- GET collection: 200 ``{"value": [...]}`` of the direct children of that type.
- PUT: create (``put_status[0]``) or replace (``put_status[1]``), or 202 + LRO headers. A PUT or
  PATCH arriving while a PUT/PATCH operation runs completes that operation first; while a DELETE
  runs it is 409 ``AnotherOperationInProgress``.
- PATCH: merge-patch of the stored body; 200 or 202 + LRO headers; 404 when missing.
- DELETE: ``delete_status`` / 202 + LRO headers; removes the whole subtree (``on_delete`` for each);
  missing: ``delete_missing_status`` (204, or 404 for types that say so).
- POST action: the type's handler; 404 when the resource is missing.

The engine is called with the emulator lock held, so each request is atomic with respect to others.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from modelinfra.sandbox.arm import errors, paging
from modelinfra.sandbox.arm.bodies import (
    get_path,
    merge_patch,
    normalize_location,
    set_path,
    strip_read_only,
    with_defaults,
)
from modelinfra.sandbox.arm.lro import Operation, Operations, lro_headers, operation_urls, status_body
from modelinfra.sandbox.arm.resource_type import (
    RESOURCE_GROUP,
    EmulatorConfig,
    Lro,
    RequestContext,
    ResourceType,
)
from modelinfra.sandbox.arm.routing import Route, Router, ancestors, parent_id
from modelinfra.sandbox.arm.store import Record, Store

log = logging.getLogger(__name__)

_PARAM = re.compile(r"\{(\w+)\}")


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: bytes
    base_url: str
    authorization: str = ""
    """The ``Authorization`` header as sent ("" when absent)."""


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class Engine:
    def __init__(self, router: Router, store: Store, operations: Operations, config: EmulatorConfig,
                 lro_retry_after: Callable[[], int]):
        self.router = router
        self.store = store
        self.operations = operations
        self.config = config
        self._retry_after = lro_retry_after

    # -- entry point -----------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        api_version = request.query.get("api-version", "")
        if not api_version:
            raise errors.missing_api_version()
        self.operations.settle()
        route = self.router.match(request.method, request.path)
        if route is None:
            raise errors.unknown_route(request.method, request.path)
        if route.kind == "operation":
            return self._operation(route, request)
        supported = route.rtype.api_versions if route.rtype else route.provider_action.api_versions  # type: ignore[union-attr]
        if supported and api_version not in supported:
            name = route.rtype.type if route.rtype else route.resource_id
            raise errors.unsupported_api_version(api_version, name, supported)
        ctx = self._context(route, request, api_version)
        method = request.method
        if route.kind == "provider_action":
            status, body = route.provider_action.handler(ctx, _json(request.body))  # type: ignore[union-attr]
            return Response(status, body)
        if route.kind == "collection":
            return self._list(route, ctx)
        if route.kind == "subscription_collection":
            return self._list_subscription(route, ctx)
        if route.kind == "action":
            return self._action(route, ctx, request)
        verbs = {"GET": self._get, "HEAD": self._head, "PUT": self._put, "PATCH": self._patch,
                 "DELETE": self._delete}
        if method not in verbs:
            raise errors.ArmError(405, "MethodNotAllowed", f"{method} is not supported on {route.resource_id}")
        return verbs[method](route, ctx, request)

    # -- reads -----------------------------------------------------------------------------------
    def _get(self, route: Route, ctx: RequestContext, request: Request) -> Response:
        return Response(200, self._existing(route).view())

    def _head(self, route: Route, ctx: RequestContext, request: Request) -> Response:
        try:
            self._existing(route)
        except errors.ArmError as exc:
            if exc.status == 404:
                return Response(404)
            raise
        return Response(204)

    def _list(self, route: Route, ctx: RequestContext) -> Response:
        rtype = route.rtype
        assert rtype is not None
        probe = route.resource_id.rstrip("/") + "/x"
        self._require_ancestors(probe, write=False)
        parent = (parent_id(probe) or "").lower()
        scope = parent if parent else "/subscriptions/" + route.params["subscriptionId"]
        records = [r for r in self.store.children(scope, rtype.type) if (parent_id(r.id) or "").lower() == parent]
        return Response(200, paging.page(ctx, records))

    def _list_subscription(self, route: Route, ctx: RequestContext) -> Response:
        rtype = route.rtype
        assert rtype is not None
        scope = "/subscriptions/" + route.params["subscriptionId"]
        return Response(200, paging.page(ctx, self.store.children(scope, rtype.type)))

    def _action(self, route: Route, ctx: RequestContext, request: Request) -> Response:
        record = self._existing(route)
        handler = route.rtype.actions[route.action]  # type: ignore[union-attr]
        status, body = handler(ctx, record.view(), _json(request.body))
        return Response(status, body)

    # -- writes ----------------------------------------------------------------------------------
    def _put(self, route: Route, ctx: RequestContext, request: Request) -> Response:
        rtype = route.rtype
        assert rtype is not None
        incoming = _json_object(request.body)
        self._require_ancestors(route.resource_id, write=True)
        existing = self._supersede(self.store.get(route.resource_id))
        previous = existing.view() if existing else None
        resource_id = existing.id if existing else _canonical_id(rtype, route.params)
        body: dict[str, Any] = {"id": resource_id, "name": resource_id.rsplit("/", 1)[1], "type": rtype.type}
        body.update(with_defaults(rtype.defaults, strip_read_only(incoming)))
        if previous:
            for path in rtype.preserve:
                value = get_path(previous, path)
                if value is not None:
                    set_path(body, path, value)
        self._check_location(rtype, body, previous)
        if rtype.validate:
            rtype.validate(ctx, body, previous)
        if rtype.normalize:
            rtype.normalize(ctx, body, previous)
        lro = rtype.put_lro
        _set_state(rtype, body, ("Creating" if previous is None else "Updating") if lro else "Succeeded")
        record = Record(resource_id, rtype, body, extra=dict(existing.extra) if existing else {})
        self.store.put(record)
        if previous is None and rtype.on_create:
            try:
                rtype.on_create(ctx, record.view())
            except Exception:
                self.store.remove_subtree(resource_id)
                raise
        elif previous is not None and rtype.on_update:
            rtype.on_update(ctx, record.view(), previous)
        if lro:
            return self._start(lro, "PUT", record, ctx)
        return Response(rtype.put_status[0] if previous is None else rtype.put_status[1], record.view())

    def _patch(self, route: Route, ctx: RequestContext, request: Request) -> Response:
        rtype = route.rtype
        assert rtype is not None
        if not rtype.patch:
            raise errors.ArmError(405, "MethodNotAllowed", f"PATCH is not supported on {rtype.type}")
        incoming = _json_object(request.body)
        record = self._supersede(self._existing(route, write=True))
        assert record is not None
        previous = record.view()
        body = merge_patch(previous, strip_read_only(incoming), rtype.patch_replaces)
        self._check_location(rtype, body, previous)
        if rtype.validate:
            rtype.validate(ctx, body, previous)
        if rtype.normalize:
            rtype.normalize(ctx, body, previous)
        lro = rtype.patch_lro
        _set_state(rtype, body, "Updating" if lro else "Succeeded")
        record.body = body
        if rtype.on_update:
            rtype.on_update(ctx, record.view(), previous)
        if lro:
            return self._start(lro, "PATCH", record, ctx)
        return Response(200, record.view())

    def _delete(self, route: Route, ctx: RequestContext, request: Request) -> Response:
        rtype = route.rtype
        assert rtype is not None
        self._require_ancestors(route.resource_id, write=False)
        record = self.store.get(route.resource_id)
        if record is None:
            if rtype.delete_missing_status == 404:
                raise self._not_found(rtype, route)
            return Response(rtype.delete_missing_status)
        if record.pending == "DELETE":
            op = self.operations.pending_for(record.id)
            if op is not None and rtype.delete_lro is not None:
                return Response(202, None, self._headers(rtype.delete_lro, op, record, ctx))
        elif record.pending:
            raise _busy(record)
        if rtype.delete_lro:
            _set_state(rtype, record.body, "Deleting")
            return self._start(rtype.delete_lro, "DELETE", record, ctx)
        self.remove(record.id)
        return Response(rtype.delete_status)

    def _supersede(self, record: Record | None) -> Record | None:
        """A write arriving while a PUT/PATCH runs completes that operation first; during a DELETE it is 409."""
        if record is not None and record.pending == "DELETE":
            raise _busy(record)
        if record is not None and record.pending:
            self.operations.finish_pending(record.id)
        return record

    def remove(self, resource_id: str) -> None:
        """Remove a resource and its subtree, running ``on_delete`` for each (deepest first)."""
        for gone in self.store.remove_subtree(resource_id):
            hook = gone.rtype.on_delete
            if hook is None:
                continue
            match = self.router.resource_type_of(gone.id)
            params = match[1] if match else {}
            ctx = RequestContext(self.store, self.config, params.get("subscriptionId", ""), gone.id,
                                 params, "", {})
            try:
                hook(ctx, gone.view())
            except Exception:  # a cascade must not stop half-way
                log.exception("on_delete hook failed for %s", gone.id)

    # -- long-running operations ---------------------------------------------------------------
    def _start(self, lro: Lro, verb: str, record: Record, ctx: RequestContext) -> Response:
        record.pending = verb

        def complete() -> None:
            if self.store.get(record.id) is not record:
                return  # removed meanwhile (e.g. its resource group was deleted)
            record.pending = None
            if verb == "DELETE":
                self.remove(record.id)
            else:
                _set_state(record.rtype, record.body, "Succeeded")

        def result() -> dict[str, Any] | None:
            current = self.store.get(record.id)
            return current.view() if current is not None else None

        op = self.operations.start(verb, record.id, complete, result)
        return Response(202, None, self._headers(lro, op, record, ctx))

    def _headers(self, lro: Lro, op: Operation, record: Record, ctx: RequestContext) -> dict[str, str]:
        status_url, result_url = operation_urls(
            ctx.base_url, ctx.subscription_id, record.rtype.namespace, self._location_of(record.id),
            op.id, ctx.api_version,
        )
        return lro_headers(lro, status_url, result_url, self._retry_after())

    def _operation(self, route: Route, request: Request) -> Response:
        op = self.operations.poll(route.operation_id)
        if op is None:
            raise errors.not_found("OperationNotFound", f"Operation '{route.operation_id}' was not found.")
        if route.operation_kind == "operationstatuses":
            return Response(200, status_body(op, request.base_url + request.path))
        if not op.done:
            url = f"{request.base_url}{request.path}?api-version={request.query['api-version']}"
            return Response(202, None, {"Location": url, "Retry-After": str(self._retry_after())})
        if op.verb == "DELETE":
            return Response(200)
        result = op.result()
        return Response(200, result) if result is not None else Response(204)

    # -- helpers ---------------------------------------------------------------------------------
    def _context(self, route: Route, request: Request, api_version: str) -> RequestContext:
        return RequestContext(self.store, self.config, route.params.get("subscriptionId", ""),
                              route.resource_id, route.params, api_version, request.query, request.base_url)

    def _existing(self, route: Route, write: bool = False) -> Record:
        self._require_ancestors(route.resource_id, write=write)
        record = self.store.get(route.resource_id)
        if record is None:
            raise self._not_found(route.rtype, route)  # type: ignore[arg-type]
        return record

    def _not_found(self, rtype: ResourceType, route: Route) -> errors.ArmError:
        name = route.resource_id.rsplit("/", 1)[1]
        if rtype.type == RESOURCE_GROUP:
            return errors.resource_group_not_found(name)
        group = route.params.get("resourceGroupName")
        where = f" under resource group '{group}'" if group else ""
        return errors.not_found(rtype.not_found_code,
                                f"The Resource '{rtype.type}/{name}'{where} was not found.")

    def _require_ancestors(self, resource_id: str, write: bool) -> None:
        for ancestor in ancestors(resource_id):
            match = self.router.resource_type_of(ancestor)
            if match is None:
                continue
            rtype = match[0]
            record = self.store.get(ancestor)
            name = ancestor.rsplit("/", 1)[1]
            if record is None:
                if rtype.type == RESOURCE_GROUP:
                    raise errors.resource_group_not_found(name)
                raise errors.parent_not_found(name)
            if write and record.pending == "DELETE":
                code = "ResourceGroupBeingDeleted" if rtype.type == RESOURCE_GROUP else "ParentResourceBeingDeleted"
                raise errors.conflict(code, f"'{name}' is being deleted; no writes are allowed under it.")

    def _check_location(self, rtype: ResourceType, body: dict[str, Any], previous: dict[str, Any] | None) -> None:
        location = body.get("location")
        if isinstance(location, str):
            body["location"] = location = normalize_location(location)
        if not rtype.requires_location:
            return
        if not location:
            raise errors.bad_request("LocationRequired", "The location property is required for this definition.")
        if previous and previous.get("location") and previous["location"] != location:
            raise errors.conflict(
                "InvalidResourceLocation",
                f"The resource '{body['name']}' already exists in location '{previous['location']}'. "
                f"A resource with the same name cannot be created in location '{location}'.",
            )

    def _location_of(self, resource_id: str) -> str:
        current: str | None = resource_id
        while current is not None and current.count("/") > 2:
            record = self.store.get(current)
            if record is not None and record.body.get("location"):
                return str(record.body["location"])
            current = parent_id(current)
        return "global"


def _canonical_id(rtype: ResourceType, params: dict[str, str]) -> str:
    path = _PARAM.sub(lambda m: params[m.group(1)], rtype.path.strip("/"))
    return f"/subscriptions/{params['subscriptionId']}/{path}"


def _set_state(rtype: ResourceType, body: dict[str, Any], state: str) -> None:
    if rtype.provisioning_state:
        body.setdefault("properties", {})["provisioningState"] = state


def _busy(record: Record) -> errors.ArmError:
    return errors.conflict("AnotherOperationInProgress",
                           f"Another operation ({record.pending}) is in progress on '{record.id}'.")


def _json(raw: bytes) -> Any:
    if not raw or not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise errors.bad_request("InvalidRequestContent", f"The request content is not valid JSON: {exc}") from exc


def _json_object(raw: bytes) -> dict[str, Any]:
    value = _json(raw)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise errors.bad_request("InvalidRequestContent", "The request content must be a JSON object.")
    return value
