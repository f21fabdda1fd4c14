"""What an ``azure.cdn_endpoint`` is made of in ARM, for each profile family, as one unit.

Two implementations of the same three operations (``write``, ``read``, ``delete``), chosen by the
profile's SKU (see ``cdn_endpoint.py``):

- :class:`ClassicParts` (``Standard_Microsoft``): ``profiles/{p}/endpoints/{e}`` with one origin
  named ``blob``. Classic origins cannot name the Azure resource behind them, so the storage
  account id rides in the endpoint's tag :data:`ORIGIN_TAG` (hidden from the ``tags`` attribute).
- :class:`FrontDoorParts` (``*_AzureFrontDoor``): ``afdEndpoints/{e}``, ``originGroups/{e}-origins``,
  ``originGroups/{e}-origins/origins/{e}-blob`` (``azureOrigin`` = the storage account) and
  ``afdEndpoints/{e}/routes/{e}-route``. Written in that order (each PUT is an LRO awaited before
  the next: a route needs its origin group) and deleted in reverse: route, origin, origin group,
  endpoint.

``read`` returns :class:`Observed` (what ARM says, still in wire terms) or None when the endpoint
itself is missing; a missing part (route, origin) leaves its fields None, so the plan shows an
update that writes the whole unit again. Every write is a PUT, so ``write`` both creates and
converges an existing unit (adoption).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modelinfra.providers.azure.cdn_origin import BlobOrigin
from modelinfra.providers.azure.errors import azure_errors, ignore_not_found, read_or_none
from modelinfra.providers.base import ResourceContext, strip_managed_tags

LOCATION = "global"
ORIGIN_TAG = "modelinfra-origin-account"
QUERY_CACHING_NONE = "BypassCaching"


@dataclass(frozen=True)
class EndpointNames:
    resource_group: str
    profile: str
    endpoint: str

    @property
    def origin_group(self) -> str:
        return f"{self.endpoint}-origins"

    @property
    def origin(self) -> str:
        return f"{self.endpoint}-blob"

    @property
    def route(self) -> str:
        return f"{self.endpoint}-route"


@dataclass(frozen=True)
class Desired:
    """The endpoint settings to write (already resolved: the origin comes from the storage account)."""

    origin: BlobOrigin
    origin_path: str | None
    https_only: bool
    query_string_caching: str
    tags: dict[str, str]


@dataclass(frozen=True)
class Observed:
    endpoint_id: str
    host_name: str | None
    tags: dict[str, str]
    origin_account_id: str | None = None
    origin_hostname: str | None = None
    wire_origin_path: str | None = None
    https_only: bool | None = None
    query_string_caching: str | None = None


class ClassicParts:
    """``Standard_Microsoft``: one ``Microsoft.Cdn/profiles/endpoints`` resource."""

    def write(self, ctx: ResourceContext, names: EndpointNames, want: Desired) -> None:
        origin = want.origin
        body: dict[str, Any] = {
            "location": LOCATION,
            "tags": {**want.tags, **ctx.managed_tags, ORIGIN_TAG: origin.account_id},
            "properties": {
                "origins": [{"name": "blob", "properties": {"hostName": origin.host, "httpPort": origin.http_port,
                                                            "httpsPort": origin.https_port}}],
                "originHostHeader": origin.host,
                "originPath": origin.wire_path(want.origin_path),
                "isHttpAllowed": not want.https_only,
                "isHttpsAllowed": True,
                "queryStringCachingBehavior": want.query_string_caching,
            },
        }
        client = ctx.session.mgmt("cdn")
        with azure_errors(f"writing CDN endpoint {names.endpoint}"):
            client.endpoints.begin_create(names.resource_group, names.profile, names.endpoint, body).result()

    def read(self, ctx: ResourceContext, names: EndpointNames) -> Observed | None:
        client = ctx.session.mgmt("cdn")
        found = read_or_none(f"reading CDN endpoint {names.endpoint}",
                             lambda: client.endpoints.get(names.resource_group, names.profile, names.endpoint))
        if found is None:
            return None
        body = found.as_dict()
        props = body.get("properties") or {}
        tags = dict(body.get("tags") or {})
        origins = props.get("origins") or []
        host = (origins[0].get("properties") or {}).get("hostName") if origins else None
        return Observed(
            endpoint_id=body["id"],
            host_name=props.get("hostName"),
            tags=strip_managed_tags({k: v for k, v in tags.items() if k != ORIGIN_TAG}),
            origin_account_id=tags.get(ORIGIN_TAG),
            origin_hostname=host,
            wire_origin_path=props.get("originPath"),
            https_only=not props.get("isHttpAllowed", True),
            query_string_caching=props.get("queryStringCachingBehavior"),
        )

    def delete(self, ctx: ResourceContext, names: EndpointNames) -> None:
        client = ctx.session.mgmt("cdn")
        ignore_not_found(f"deleting CDN endpoint {names.endpoint}", lambda: client.endpoints.begin_delete(
            names.resource_group, names.profile, names.endpoint).result())


class FrontDoorParts:
    """``*_AzureFrontDoor``: AFD endpoint + origin group + origin + route, managed as one unit."""

    def write(self, ctx: ResourceContext, names: EndpointNames, want: Desired) -> None:
        client = ctx.session.mgmt("cdn")
        rg, profile = names.resource_group, names.profile
        origin = want.origin
        with azure_errors(f"writing Front Door endpoint {names.endpoint}"):
            client.afd_endpoints.begin_create(rg, profile, names.endpoint, {
                "location": LOCATION, "tags": {**want.tags, **ctx.managed_tags},
                "properties": {"enabledState": "Enabled"},
            }).result()
            group = client.afd_origin_groups.begin_create(rg, profile, names.origin_group, {"properties": {
                "loadBalancingSettings": {"sampleSize": 4, "successfulSamplesRequired": 3,
                                          "additionalLatencyInMilliseconds": 50},
                "sessionAffinityState": "Disabled",
            }}).result()
            client.afd_origins.begin_create(rg, profile, names.origin_group, names.origin, {"properties": {
                "azureOrigin": {"id": origin.account_id},
                "hostName": origin.host,
                "originHostHeader": origin.host,
                "httpPort": origin.http_port,
                "httpsPort": origin.https_port,
                "enabledState": "Enabled",
                "enforceCertificateNameCheck": True,
            }}).result()
            client.routes.begin_create(rg, profile, names.endpoint, names.route, {"properties": {
                "originGroup": {"id": group.id},
                "originPath": origin.wire_path(want.origin_path),
                "supportedProtocols": ["Http", "Https"],
                "patternsToMatch": ["/*"],
                "forwardingProtocol": "HttpsOnly",
                "httpsRedirect": "Enabled" if want.https_only else "Disabled",
                "linkToDefaultDomain": "Enabled",
                "enabledState": "Enabled",
                "cacheConfiguration": _cache_configuration(want.query_string_caching),
            }}).result()

    def read(self, ctx: ResourceContext, names: EndpointNames) -> Observed | None:
        client = ctx.session.mgmt("cdn")
        rg, profile = names.resource_group, names.profile
        found = read_or_none(f"reading Front Door endpoint {names.endpoint}",
                             lambda: client.afd_endpoints.get(rg, profile, names.endpoint))
        if found is None:
            return None
        body = found.as_dict()
        route = read_or_none(f"reading route {names.route}",
                             lambda: client.routes.get(rg, profile, names.endpoint, names.route))
        origin = read_or_none(f"reading origin {names.origin}",
                              lambda: client.afd_origins.get(rg, profile, names.origin_group, names.origin))
        origin_props = (origin.as_dict().get("properties") or {}) if origin is not None else {}
        route_props = (route.as_dict().get("properties") or {}) if route is not None else None
        https_only = query = wire_path = None
        if route_props is not None:
            https_only = route_props.get("httpsRedirect") == "Enabled" or route_props.get("supportedProtocols") == [
                "Https"]
            cache = route_props.get("cacheConfiguration")
            query = (cache or {}).get("queryStringCachingBehavior") if cache else QUERY_CACHING_NONE
            wire_path = route_props.get("originPath")
        return Observed(
            endpoint_id=body["id"],
            host_name=(body.get("properties") or {}).get("hostName"),
            tags=strip_managed_tags(body.get("tags")),
            origin_account_id=(origin_props.get("azureOrigin") or {}).get("id"),
            origin_hostname=origin_props.get("hostName"),
            wire_origin_path=wire_path,
            https_only=https_only,
            query_string_caching=query,
        )

    def delete(self, ctx: ResourceContext, names: EndpointNames) -> None:
        client = ctx.session.mgmt("cdn")
        rg, profile = names.resource_group, names.profile
        steps = (
            (f"deleting route {names.route}",
             lambda: client.routes.begin_delete(rg, profile, names.endpoint, names.route).result()),
            (f"deleting origin {names.origin}",
             lambda: client.afd_origins.begin_delete(rg, profile, names.origin_group, names.origin).result()),
            (f"deleting origin group {names.origin_group}",
             lambda: client.afd_origin_groups.begin_delete(rg, profile, names.origin_group).result()),
            (f"deleting Front Door endpoint {names.endpoint}",
             lambda: client.afd_endpoints.begin_delete(rg, profile, names.endpoint).result()),
        )
        for action, call in steps:
            ignore_not_found(action, call)


def _cache_configuration(query_string_caching: str) -> dict[str, Any] | None:
    """AFD has no ``BypassCaching`` behaviour: no cache configuration means no caching."""
    if query_string_caching == QUERY_CACHING_NONE:
        return None
    return {"queryStringCachingBehavior": query_string_caching,
            "compressionSettings": {"isCompressionEnabled": False, "contentTypesToCompress": []}}
