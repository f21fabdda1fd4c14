"""What an ``azure.cdn_endpoint`` is made of in ARM, for each profile family, as one unit.

Two implementations of the same three operations (``write``, ``read``, ``delete``), chosen by the
profile's SKU (see ``cdn_endpoint.py``):

- :class:`ClassicParts` (``Standard_Microsoft``): ``profiles/{p}/endpoints/{e}`` with one origin
  named ``blob``. Classic origins cannot name the Azure resource behind them, so the storage
  account id rides in the endpoint's tag :data:`ORIGIN_TAG` (hidden from the ``tags`` attribute).
- :class:`FrontDoorParts` (``*_AzureFrontDoor``): ``afdEndpoints/{e}``, ``originGroups/{e}-origins``
  (load balancing, health probe), its origins (``{e}-blob`` with ``azureOrigin`` = the storage
  account, or the spec's ``origins`` by name), the profile's ``customDomains/{e}-...`` and
  ``afdEndpoints/{e}/routes/{e}-route`` (naming the custom domains). Written in that order (each
  PUT is an LRO awaited before the next: a route needs its origin group and domains), then origins
  and domains no longer wanted are deleted; deleted in reverse: route, origins, origin group,
  custom domains, endpoint. Classic endpoints take only the storage-account shortcut.

``read`` returns :class:`Observed` (what ARM says, still in wire terms) or None when the endpoint
itself is missing; a missing part (route, origin) leaves its fields None, so the plan shows an
update that writes the whole unit again. Every write is a PUT, so ``write`` both creates and
converges an existing unit (adoption).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from modelinfra.errors import TerminalError
from modelinfra.providers.azure import cdn_frontdoor as fd
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
    """The endpoint settings to write (already resolved: a storage account's origin, or ``origins``)."""

    origin: BlobOrigin | None
    origin_path: str | None
    https_only: bool
    query_string_caching: str
    tags: dict[str, str]
    origins: list[dict[str, Any]] | None = None
    health_probe: dict[str, Any] | None = None
    load_balancing: dict[str, Any] = field(default_factory=lambda: dict(fd.DEFAULT_LOAD_BALANCING))
    custom_domains: list[dict[str, Any]] = field(default_factory=list)


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
    origins: list[dict[str, Any]] | None = None
    health_probe: dict[str, Any] | None = None
    load_balancing: dict[str, Any] | None = None
    custom_domains: list[dict[str, Any]] | None = None


class ClassicParts:
    """``Standard_Microsoft``: one ``Microsoft.Cdn/profiles/endpoints`` resource."""

    def write(self, ctx: ResourceContext, names: EndpointNames, want: Desired) -> None:
        origin = want.origin
        if origin is None or want.custom_domains or want.health_probe \
                or want.load_balancing != fd.DEFAULT_LOAD_BALANCING:
            raise TerminalError(f"CDN endpoint {names.endpoint}: origins, health_probe, load_balancing and "
                                "custom_domains need a Front Door profile (Standard_AzureFrontDoor or "
                                "Premium_AzureFrontDoor); a classic profile takes origin_storage_account only")
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
            load_balancing=dict(fd.DEFAULT_LOAD_BALANCING),  # fixed on classic: nothing to drift
            custom_domains=[],
        )

    def delete(self, ctx: ResourceContext, names: EndpointNames) -> None:
        client = ctx.session.mgmt("cdn")
        ignore_not_found(f"deleting CDN endpoint {names.endpoint}", lambda: client.endpoints.begin_delete(
            names.resource_group, names.profile, names.endpoint).result())


class FrontDoorParts:
    """``*_AzureFrontDoor``: AFD endpoint + origin group + origins + custom domains + route, as one unit."""

    def write(self, ctx: ResourceContext, names: EndpointNames, want: Desired) -> None:
        client = ctx.session.mgmt("cdn")
        rg, profile = names.resource_group, names.profile
        before = read_or_none(f"reading route {names.route}",
                              lambda: client.routes.get(rg, profile, names.endpoint, names.route))
        with azure_errors(f"writing Front Door endpoint {names.endpoint}"):
            client.afd_endpoints.begin_create(rg, profile, names.endpoint, {
                "location": LOCATION, "tags": {**want.tags, **ctx.managed_tags},
                "properties": {"enabledState": "Enabled"},
            }).result()
            group_props: dict[str, Any] = {
                "loadBalancingSettings": fd.load_balancing_to_wire(want.load_balancing),
                "sessionAffinityState": "Disabled",
            }
            if want.health_probe:
                group_props["healthProbeSettings"] = fd.probe_to_wire(want.health_probe)
            group = client.afd_origin_groups.begin_create(rg, profile, names.origin_group,
                                                          {"properties": group_props}).result()
            wanted: dict[str, dict[str, Any]] = {}
            if want.origin is not None:
                origin = want.origin
                wanted[names.origin] = {
                    "azureOrigin": {"id": origin.account_id}, "hostName": origin.host, "originHostHeader": origin.host,
                    "httpPort": origin.http_port, "httpsPort": origin.https_port, "enabledState": "Enabled",
                    "enforceCertificateNameCheck": True, "priority": 1, "weight": 1000,
                }
            for item in want.origins or []:
                wanted[item["name"]] = fd.origin_to_wire(item)
            for name, props in wanted.items():
                client.afd_origins.begin_create(rg, profile, names.origin_group, name, {"properties": props}).result()
            domain_ids = []
            for domain in want.custom_domains:
                made = client.afd_custom_domains.begin_create(
                    rg, profile, fd.custom_domain_name(names.endpoint, domain["host_name"]),
                    {"properties": {"hostName": domain["host_name"].lower(),
                                    "tlsSettings": {"certificateType": domain["certificate_type"],
                                                    "minimumTlsVersion": "TLS12"}}}).result()
                domain_ids.append(made.id)
            wire_path = want.origin.wire_path(want.origin_path) if want.origin is not None else want.origin_path
            client.routes.begin_create(rg, profile, names.endpoint, names.route, {"properties": {
                "originGroup": {"id": group.id},
                "originPath": wire_path,
                "supportedProtocols": ["Http", "Https"],
                "patternsToMatch": ["/*"],
                "forwardingProtocol": "HttpsOnly",
                "httpsRedirect": "Enabled" if want.https_only else "Disabled",
                "linkToDefaultDomain": "Enabled",
                "enabledState": "Enabled",
                "customDomains": [{"id": i} for i in domain_ids],
                "cacheConfiguration": _cache_configuration(want.query_string_caching),
            }}).result()
        for name in _origin_names(ctx, names) - set(wanted):
            ignore_not_found(f"deleting origin {name}", lambda n=name: client.afd_origins.begin_delete(
                rg, profile, names.origin_group, n).result())
        kept = {i.lower() for i in domain_ids}
        for stale in _route_domain_ids(before):
            if stale.lower() not in kept:
                ignore_not_found(f"deleting custom domain {stale.rsplit('/', 1)[-1]}",
                                 lambda d=stale: client.afd_custom_domains.begin_delete(
                                     rg, profile, d.rsplit("/", 1)[-1]).result())

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
        group = read_or_none(f"reading origin group {names.origin_group}",
                             lambda: client.afd_origin_groups.get(rg, profile, names.origin_group))
        origins = _origins(ctx, names) if group is not None else {}
        origin_props = origins.get(names.origin.lower(), ("", {}))[1]
        route_props = (route.as_dict().get("properties") or {}) if route is not None else None
        group_props = (group.as_dict().get("properties") or {}) if group is not None else {}
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
            origins=[fd.origin_from_wire(name, props) for name, props in origins.values()],
            health_probe=fd.probe_from_wire(group_props.get("healthProbeSettings")),
            load_balancing=fd.load_balancing_from_wire(group_props.get("loadBalancingSettings")),
            custom_domains=_custom_domains(ctx, names, route) if route is not None else None,
        )

    def delete(self, ctx: ResourceContext, names: EndpointNames) -> None:
        client = ctx.session.mgmt("cdn")
        rg, profile = names.resource_group, names.profile
        route = read_or_none(f"reading route {names.route}",
                             lambda: client.routes.get(rg, profile, names.endpoint, names.route))
        ignore_not_found(f"deleting route {names.route}",
                         lambda: client.routes.begin_delete(rg, profile, names.endpoint, names.route).result())
        for name in _origin_names(ctx, names):
            ignore_not_found(f"deleting origin {name}", lambda n=name: client.afd_origins.begin_delete(
                rg, profile, names.origin_group, n).result())
        ignore_not_found(f"deleting origin group {names.origin_group}",
                         lambda: client.afd_origin_groups.begin_delete(rg, profile, names.origin_group).result())
        for domain_id in _route_domain_ids(route):
            ignore_not_found(f"deleting custom domain {domain_id.rsplit('/', 1)[-1]}",
                             lambda d=domain_id: client.afd_custom_domains.begin_delete(
                                 rg, profile, d.rsplit("/", 1)[-1]).result())
        ignore_not_found(f"deleting Front Door endpoint {names.endpoint}",
                         lambda: client.afd_endpoints.begin_delete(rg, profile, names.endpoint).result())


def _origins(ctx: ResourceContext, names: EndpointNames) -> dict[str, tuple[str, dict[str, Any]]]:
    """lower-cased name -> (name, wire properties) of every origin in the endpoint's origin group."""
    client = ctx.session.mgmt("cdn")
    listed = read_or_none(f"listing origins of {names.origin_group}", lambda: list(
        client.afd_origins.list_by_origin_group(names.resource_group, names.profile, names.origin_group)))
    return {o.name.lower(): (o.name, o.as_dict().get("properties") or {}) for o in listed or []}


def _origin_names(ctx: ResourceContext, names: EndpointNames) -> set[str]:
    return {name for name, _ in _origins(ctx, names).values()}


def _route_domain_ids(route: Any) -> list[str]:
    if route is None:
        return []
    refs = (route.as_dict().get("properties") or {}).get("customDomains") or []
    return [ref["id"] for ref in refs if isinstance(ref, dict) and ref.get("id")]


def _custom_domains(ctx: ResourceContext, names: EndpointNames, route: Any) -> list[dict[str, Any]]:
    client = ctx.session.mgmt("cdn")
    out = []
    for domain_id in _route_domain_ids(route):
        name = domain_id.rsplit("/", 1)[-1]
        found = read_or_none(f"reading custom domain {name}",
                             lambda n=name: client.afd_custom_domains.get(names.resource_group, names.profile, n))
        if found is None:
            continue
        props = found.as_dict().get("properties") or {}
        out.append({"host_name": props.get("hostName"),
                    "certificate_type": (props.get("tlsSettings") or {}).get("certificateType")})
    return out


def _cache_configuration(query_string_caching: str) -> dict[str, Any] | None:
    """AFD has no ``BypassCaching`` behaviour: no cache configuration means no caching."""
    if query_string_caching == QUERY_CACHING_NONE:
        return None
    return {"queryStringCachingBehavior": query_string_caching,
            "compressionSettings": {"isCompressionEnabled": False, "contentTypesToCompress": []}}
