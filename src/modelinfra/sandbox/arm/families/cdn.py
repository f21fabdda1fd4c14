"""``Microsoft.Cdn``: CDN / Front Door profiles, classic endpoints and the AFD endpoint family.

Wire shapes follow the REST spec that azure-mgmt-cdn 14 speaks (api-version 2026-10-01, stable
2025-06-01 examples; ``properties`` nested):

- profiles: PUT/PATCH/DELETE are LROs (202 + ``Azure-AsyncOperation`` + ``Location`` +
  ``Retry-After``; the poller then GETs the resource); DELETE of a missing one is 204. ``location``
  is required (``global``). ``sku.name`` is one of :data:`SKUS` (400 ``BadRequest`` otherwise) and
  cannot change (400 ``BadRequest``). Computed: ``kind`` (``frontdoor``/``cdn``),
  ``properties.resourceState``, ``properties.frontDoorId`` and ``originResponseTimeoutSeconds``
  (AFD only, default 30, 16..240 else 400 ``BadRequest``; PATCH changes it). Deleting a profile
  deletes everything under it.
- profiles/{p}/endpoints (classic, ``Standard_Microsoft`` profiles only; 400 ``BadRequest`` under
  an AFD profile): LRO verbs as above; ``location`` required; names are globally unique (409
  ``Conflict``); at least one origin with a ``hostName`` (400 ``BadRequest``). Computed ``hostName``
  ``<name>.azureedge.net``, ``resourceState`` ``Running``.
- AFD (``*_AzureFrontDoor`` profiles only; 400 ``BadRequest`` under a classic profile):
  ``afdEndpoints/{e}`` (tracked, ``location`` required; ``hostName``
  ``<name>-<16 hex>.z01.azurefd.net``, stable for the endpoint's id), ``originGroups/{g}``,
  ``originGroups/{g}/origins/{o}`` (``hostName`` required; ``originHostHeader`` defaults to it)
  and ``afdEndpoints/{e}/routes/{r}`` (``originGroup.id`` must name an origin group of the same
  profile, 400 ``BadRequest``; ``httpsRedirect: Enabled`` needs ``Http`` among
  ``supportedProtocols``; every ``customDomains[].id`` must name a custom domain of the profile).
  Origin groups: ``healthProbeSettings`` (``probeIntervalInSeconds`` 1..255, ``probeProtocol``
  NotSet/Http/Https, ``probeRequestType`` NotSet/GET/HEAD) and ``loadBalancingSettings``
  (non-negative integers); origins: ``priority`` 1..5, ``weight`` 1..1000 (400 ``BadRequest``).
  ``customDomains/{d}`` (profile level): ``hostName`` required, a DNS name, unique in the
  profile (409 ``Conflict``) and fixed once created; ``tlsSettings.certificateType``
  ManagedCertificate / CustomerCertificate (which needs ``secret.id``) /
  AzureFirstPartyManagedCertificate; computed ``profileName``, ``domainValidationState``
  (``Pending``), ``validationProperties`` (token, expiry), ``tlsSettings.minimumTlsVersion``
  (TLS12). All are LROs and carry ``provisioningState`` and ``deploymentStatus``.

Missing ancestors give 404 ``ResourceGroupNotFound`` / ``ParentResourceNotFound`` (engine).
Not modelled: DNS validation of custom domains (they stay ``Pending``), rule sets, secrets, WAF, purge, and the rule that an origin group
still referenced by a route cannot be deleted (the engine has no pre-delete hook).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any

from modelinfra.sandbox.arm.bodies import get_path
from modelinfra.sandbox.arm.errors import bad_request, conflict
from modelinfra.sandbox.arm.resource_type import Family, Lro, RequestContext, ResourceType

API_VERSIONS = ("2026-10-01", "2025-09-01-preview", "2025-06-01", "2025-04-15", "2024-09-01", "2024-02-01",
                "2023-05-01")

PROFILE_TYPE = "Microsoft.Cdn/profiles"
ENDPOINT_TYPE = "Microsoft.Cdn/profiles/endpoints"
AFD_ENDPOINT_TYPE = "Microsoft.Cdn/profiles/afdendpoints"
ORIGIN_GROUP_TYPE = "Microsoft.Cdn/profiles/origingroups"
ORIGIN_TYPE = "Microsoft.Cdn/profiles/origingroups/origins"
ROUTE_TYPE = "Microsoft.Cdn/profiles/afdendpoints/routes"
CUSTOM_DOMAIN_TYPE = "Microsoft.Cdn/profiles/customdomains"

CLASSIC_SKUS = ("Standard_Microsoft",)
AFD_SKUS = ("Standard_AzureFrontDoor", "Premium_AzureFrontDoor")
SKUS = CLASSIC_SKUS + AFD_SKUS

_NAME = re.compile(r"^[a-zA-Z0-9]+(-*[a-zA-Z0-9])*$")
_QUERY_CACHING = ("IgnoreQueryString", "BypassCaching", "UseQueryString", "NotSet")
_PROTOCOLS = ("Http", "Https")
_FORWARDING = ("HttpOnly", "HttpsOnly", "MatchRequest")
_ENABLED = ("Enabled", "Disabled")

_PROFILE_PATH = "resourceGroups/{resourceGroupName}/providers/Microsoft.Cdn/profiles/{profileName}"


def _check_name(body: dict[str, Any], kind: str, max_length: int) -> None:
    name = body["name"]
    if len(name) > max_length or not _NAME.match(name):
        raise bad_request("BadRequest", f"The {kind} name '{name}' is invalid: use 1-{max_length} letters, digits "
                          "and hyphens, starting and ending with a letter or digit.")


def _profile_sku(ctx: RequestContext, resource_id: str) -> str | None:
    """The SKU of the profile that ``resource_id`` lives under (None when the profile is missing)."""
    lowered = resource_id.lower()
    cut = lowered.index("/profiles/") + len("/profiles/")
    end = lowered.find("/", cut)
    record = ctx.store.get(resource_id[: end if end >= 0 else None])
    return get_path(record.body, "sku.name") if record is not None else None


def _require_family(ctx: RequestContext, body: dict[str, Any], skus: tuple[str, ...], what: str) -> None:
    sku = _profile_sku(ctx, body["id"])
    if sku is not None and sku not in skus:
        raise bad_request("BadRequest", f"{what} cannot be created under a profile with sku '{sku}'; "
                          f"it needs a profile with sku {' or '.join(skus)}.")


def _one_of(value: Any, allowed: tuple[str, ...], field: str) -> None:
    if value not in allowed:
        raise bad_request("BadRequest", f"The value '{value}' of {field} is invalid; use one of {', '.join(allowed)}.")


# -- profiles ----------------------------------------------------------------------------------------
def _validate_profile(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    _check_name(body, "profile", 260)
    sku = get_path(body, "sku.name")
    if sku is None:
        raise bad_request("BadRequest", "The 'sku' property is required.")
    _one_of(sku, SKUS, "sku.name")
    if existing is not None and get_path(existing, "sku.name") != sku:
        raise bad_request("BadRequest", f"The sku of profile '{body['name']}' cannot be changed "
                          f"('{get_path(existing, 'sku.name')}' -> '{sku}').")
    timeout = get_path(body, "properties.originResponseTimeoutSeconds")
    if timeout is not None and (not _is_int(timeout) or not 16 <= timeout <= 240):
        raise bad_request("BadRequest", f"originResponseTimeoutSeconds {timeout!r} is invalid: use an integer "
                          "between 16 and 240.")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _normalize_profile(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    afd = body["sku"]["name"] in AFD_SKUS
    body["kind"] = "frontdoor" if afd else "cdn"
    props = body.setdefault("properties", {})
    props["resourceState"] = "Active"
    if afd:
        props.setdefault("frontDoorId", str(uuid.uuid4()))
        props.setdefault("originResponseTimeoutSeconds", 30)


PROFILE = ResourceType(
    type=PROFILE_TYPE,
    path=_PROFILE_PATH,
    api_versions=API_VERSIONS,
    put_lro=Lro("async"),
    patch_lro=Lro("async"),
    delete_lro=Lro("async"),
    defaults={"tags": {}, "properties": {}},
    preserve=("properties.frontDoorId",),
    validate=_validate_profile,
    normalize=_normalize_profile,
)


# -- classic endpoints ---------------------------------------------------------------------------------
def _validate_endpoint(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    _check_name(body, "endpoint", 50)
    _require_family(ctx, body, CLASSIC_SKUS, "A CDN endpoint (Microsoft.Cdn/profiles/endpoints)")
    name = body["name"].lower()
    for record in ctx.store.of_type(ENDPOINT_TYPE):
        if record.body.get("name", "").lower() == name and record.key != body["id"].lower():
            raise conflict("Conflict", f"The endpoint name '{body['name']}' is already in use (azureedge.net "
                           "host names are global).")
    props = body.setdefault("properties", {})
    origins = props.get("origins")
    if not isinstance(origins, list) or not origins:
        raise bad_request("BadRequest", "An endpoint needs at least one origin in properties.origins.")
    for origin in origins:
        if not isinstance(origin, dict) or not origin.get("name") or not get_path(origin, "properties.hostName"):
            raise bad_request("BadRequest", "Every origin needs a name and properties.hostName.")
    _one_of(props.get("queryStringCachingBehavior", "NotSet"), _QUERY_CACHING, "queryStringCachingBehavior")
    if not props.get("isHttpAllowed", True) and not props.get("isHttpsAllowed", True):
        raise bad_request("BadRequest", "At least one of isHttpAllowed and isHttpsAllowed must be true.")


def _normalize_endpoint(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    props = body["properties"]
    props["hostName"] = f"{body['name'].lower()}.azureedge.net"
    props["resourceState"] = "Running"
    for origin in props["origins"]:
        origin_props = origin["properties"]
        origin_props.setdefault("httpPort", 80)
        origin_props.setdefault("httpsPort", 443)
        origin_props.setdefault("enabled", True)


ENDPOINT = ResourceType(
    type=ENDPOINT_TYPE,
    path=_PROFILE_PATH + "/endpoints/{endpointName}",
    parent=PROFILE_TYPE,
    api_versions=API_VERSIONS,
    put_lro=Lro("async"),
    patch_lro=Lro("async"),
    delete_lro=Lro("async"),
    patch_replaces=("tags", "properties.origins"),
    defaults={"tags": {}, "properties": {"isHttpAllowed": True, "isHttpsAllowed": True,
                                         "queryStringCachingBehavior": "NotSet", "isCompressionEnabled": False,
                                         "contentTypesToCompress": [], "geoFilters": [], "originPath": None}},
    validate=_validate_endpoint,
    normalize=_normalize_endpoint,
)


# -- Azure Front Door ------------------------------------------------------------------------------------
def _afd_hash(resource_id: str) -> str:
    return hashlib.sha256(resource_id.lower().encode()).hexdigest()[:16]


def _validate_afd_endpoint(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    _check_name(body, "endpoint", 46)
    _require_family(ctx, body, AFD_SKUS, "An AFD endpoint (Microsoft.Cdn/profiles/afdEndpoints)")
    _one_of(get_path(body, "properties.enabledState"), _ENABLED, "enabledState")


def _normalize_afd(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    props = body.setdefault("properties", {})
    props["deploymentStatus"] = "NotStarted"
    if body["type"] == AFD_ENDPOINT_TYPE:
        props["hostName"] = f"{body['name'].lower()}-{_afd_hash(body['id'])}.z01.azurefd.net"
    elif body["type"] == ORIGIN_TYPE:
        props["originGroupName"] = body["id"].rsplit("/", 3)[-3]
        if not props.get("originHostHeader"):
            props["originHostHeader"] = props["hostName"]


_AFD: dict[str, Any] = {
    "api_versions": API_VERSIONS,
    "put_lro": Lro("async"),
    "patch_lro": Lro("async"),
    "delete_lro": Lro("async"),
    "normalize": _normalize_afd,
}

AFD_ENDPOINT = ResourceType(
    type=AFD_ENDPOINT_TYPE,
    path=_PROFILE_PATH + "/afdEndpoints/{endpointName}",
    parent=PROFILE_TYPE,
    defaults={"tags": {}, "properties": {"enabledState": "Enabled",
                                         "autoGeneratedDomainNameLabelScope": "TenantReuse"}},
    validate=_validate_afd_endpoint,
    **_AFD,
)


def _validate_origin_group(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    _check_name(body, "origin group", 90)
    _require_family(ctx, body, AFD_SKUS, "An origin group (Microsoft.Cdn/profiles/originGroups)")
    _one_of(get_path(body, "properties.sessionAffinityState"), _ENABLED, "sessionAffinityState")
    probe = get_path(body, "properties.healthProbeSettings")
    if probe is not None:
        if not isinstance(probe, dict):
            raise bad_request("BadRequest", "healthProbeSettings must be an object.")
        interval = probe.get("probeIntervalInSeconds")
        if interval is not None and (not _is_int(interval) or not 1 <= interval <= 255):
            raise bad_request("BadRequest", f"probeIntervalInSeconds {interval!r} is invalid: use an integer "
                              "between 1 and 255.")
        _one_of(probe.get("probeProtocol", "NotSet"), ("NotSet", "Http", "Https"), "probeProtocol")
        _one_of(probe.get("probeRequestType", "NotSet"), ("NotSet", "GET", "HEAD"), "probeRequestType")
        path = probe.get("probePath")
        if path is not None and (not isinstance(path, str) or not path.startswith("/")):
            raise bad_request("BadRequest", f"probePath '{path}' must start with '/'.")
    balancing = get_path(body, "properties.loadBalancingSettings") or {}
    for key in ("sampleSize", "successfulSamplesRequired", "additionalLatencyInMilliseconds"):
        value = balancing.get(key) if isinstance(balancing, dict) else None
        if value is not None and (not _is_int(value) or value < 0):
            raise bad_request("BadRequest", f"loadBalancingSettings.{key} {value!r} must be a non-negative integer.")


ORIGIN_GROUP = ResourceType(
    type=ORIGIN_GROUP_TYPE,
    path=_PROFILE_PATH + "/originGroups/{originGroupName}",
    parent=PROFILE_TYPE,
    requires_location=False,
    defaults={"properties": {
        "loadBalancingSettings": {"sampleSize": 4, "successfulSamplesRequired": 3,
                                  "additionalLatencyInMilliseconds": 50},
        "sessionAffinityState": "Disabled",
    }},
    validate=_validate_origin_group,
    **_AFD,
)


def _validate_origin(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    _check_name(body, "origin", 90)
    props = body.setdefault("properties", {})
    if not isinstance(props.get("hostName"), str) or not props["hostName"]:
        raise bad_request("BadRequest", "The origin's properties.hostName is required.")
    for port in ("httpPort", "httpsPort"):
        value = props.get(port)
        if not isinstance(value, int) or not 1 <= value <= 65535:
            raise bad_request("BadRequest", f"{port} must be an integer between 1 and 65535.")
    _one_of(props.get("enabledState"), _ENABLED, "enabledState")
    for key, top in (("priority", 5), ("weight", 1000)):
        value = props.get(key)
        if not _is_int(value) or not 1 <= value <= top:
            raise bad_request("BadRequest", f"The origin's {key} {value!r} is invalid: use an integer between 1 "
                              f"and {top}.")


ORIGIN = ResourceType(
    type=ORIGIN_TYPE,
    path=_PROFILE_PATH + "/originGroups/{originGroupName}/origins/{originName}",
    parent=ORIGIN_GROUP_TYPE,
    requires_location=False,
    defaults={"properties": {"httpPort": 80, "httpsPort": 443, "enabledState": "Enabled",
                             "enforceCertificateNameCheck": True, "priority": 1, "weight": 1000}},
    validate=_validate_origin,
    **_AFD,
)


def _validate_route(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    _check_name(body, "route", 90)
    props = body.setdefault("properties", {})
    group_id = get_path(props, "originGroup.id")
    if not isinstance(group_id, str) or not group_id:
        raise bad_request("BadRequest", "The route's properties.originGroup.id is required.")
    profile_id = body["id"][: body["id"].lower().index("/afdendpoints/")]
    group = ctx.store.get(group_id)
    if (group is None or group.rtype.type != ORIGIN_GROUP_TYPE
            or not group.key.startswith(profile_id.lower() + "/")):
        raise bad_request("BadRequest", f"The origin group '{group_id}' does not exist in profile "
                          f"'{profile_id.rsplit('/', 1)[1]}'.")
    protocols = props.get("supportedProtocols")
    if not isinstance(protocols, list) or not protocols or any(p not in _PROTOCOLS for p in protocols):
        raise bad_request("BadRequest", "supportedProtocols must be a non-empty list of Http, Https.")
    _one_of(props.get("forwardingProtocol"), _FORWARDING, "forwardingProtocol")
    _one_of(props.get("httpsRedirect"), _ENABLED, "httpsRedirect")
    _one_of(props.get("linkToDefaultDomain"), _ENABLED, "linkToDefaultDomain")
    _one_of(props.get("enabledState"), _ENABLED, "enabledState")
    if props["httpsRedirect"] == "Enabled" and ("Http" not in protocols or "Https" not in protocols):
        raise bad_request("BadRequest", "httpsRedirect can only be enabled when both Http and Https are "
                          "supported protocols.")
    origin_path = props.get("originPath")
    if origin_path is not None and (not isinstance(origin_path, str) or not origin_path.startswith("/")):
        raise bad_request("BadRequest", f"originPath '{origin_path}' must start with '/'.")
    patterns = props.get("patternsToMatch")
    if not isinstance(patterns, list) or not patterns or any(not str(p).startswith("/") for p in patterns):
        raise bad_request("BadRequest", "patternsToMatch must be a non-empty list of paths starting with '/'.")
    domains = props.get("customDomains") or []
    for ref in domains if isinstance(domains, list) else [None]:
        domain_id = ref.get("id") if isinstance(ref, dict) else None
        domain = ctx.store.get(domain_id) if isinstance(domain_id, str) and domain_id else None
        if (domain is None or domain.rtype.type != CUSTOM_DOMAIN_TYPE
                or not domain.key.startswith(profile_id.lower() + "/")):
            raise bad_request("BadRequest", f"The custom domain '{domain_id}' does not exist in profile "
                              f"'{profile_id.rsplit('/', 1)[1]}'.")


ROUTE = ResourceType(
    type=ROUTE_TYPE,
    path=_PROFILE_PATH + "/afdEndpoints/{endpointName}/routes/{routeName}",
    parent=AFD_ENDPOINT_TYPE,
    requires_location=False,
    patch_replaces=("properties.supportedProtocols", "properties.patternsToMatch"),
    defaults={"properties": {"supportedProtocols": ["Http", "Https"], "patternsToMatch": ["/*"],
                             "forwardingProtocol": "MatchRequest", "httpsRedirect": "Disabled",
                             "linkToDefaultDomain": "Disabled", "enabledState": "Enabled",
                             "customDomains": [], "ruleSets": [], "originPath": None}},
    validate=_validate_route,
    **_AFD,
)


# -- custom domains ------------------------------------------------------------------------------------------
_DOMAIN_HOST = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]"
                          r"([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
_CERTIFICATE_TYPES = ("ManagedCertificate", "CustomerCertificate", "AzureFirstPartyManagedCertificate")


def _validate_custom_domain(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    _check_name(body, "custom domain", 260)
    _require_family(ctx, body, AFD_SKUS, "A custom domain (Microsoft.Cdn/profiles/customDomains)")
    props = body.setdefault("properties", {})
    host = props.get("hostName")
    if not isinstance(host, str) or not _DOMAIN_HOST.match(host):
        raise bad_request("BadRequest", f"The custom domain's properties.hostName {host!r} is not a valid "
                          "fully qualified domain name.")
    if existing is not None and get_path(existing, "properties.hostName").lower() != host.lower():
        raise bad_request("BadRequest", "The hostName of an existing custom domain cannot be changed.")
    profile_key = body["id"].lower().rsplit("/customdomains/", 1)[0]
    for record in ctx.store.of_type(CUSTOM_DOMAIN_TYPE):
        if (record.key.startswith(profile_key + "/") and record.key != body["id"].lower()
                and str(get_path(record.body, "properties.hostName")).lower() == host.lower()):
            raise conflict("Conflict", f"The host name '{host}' is already used by custom domain "
                           f"'{record.body['name']}' of this profile.")
    tls = props.get("tlsSettings")
    if tls is not None:
        if not isinstance(tls, dict):
            raise bad_request("BadRequest", "tlsSettings must be an object.")
        _one_of(tls.get("certificateType"), _CERTIFICATE_TYPES, "tlsSettings.certificateType")
        if tls["certificateType"] == "CustomerCertificate" and not get_path(tls, "secret.id"):
            raise bad_request("BadRequest", "A CustomerCertificate needs tlsSettings.secret.id.")
        _one_of(tls.get("minimumTlsVersion", "TLS12"), ("TLS10", "TLS12", "TLS13"), "tlsSettings.minimumTlsVersion")


def _normalize_custom_domain(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    props = body["properties"]
    props["profileName"] = body["id"].split("/")[8]
    props["deploymentStatus"] = "NotStarted"
    props.setdefault("domainValidationState", "Pending")
    if existing is not None and get_path(existing, "properties.validationProperties"):
        props["validationProperties"] = get_path(existing, "properties.validationProperties")
    else:
        props["validationProperties"] = {"validationToken": uuid.uuid4().hex,
                                         "expirationDate": "2099-12-31T00:00:00.0000000Z"}
    tls = props.get("tlsSettings")
    if isinstance(tls, dict):
        tls.setdefault("minimumTlsVersion", "TLS12")
        tls.setdefault("secret", {"id": ""})
    props.setdefault("azureDnsZone", {"id": ""})
    props.setdefault("preValidatedCustomDomainResourceId", {"id": ""})


CUSTOM_DOMAIN = ResourceType(
    type=CUSTOM_DOMAIN_TYPE,
    path=_PROFILE_PATH + "/customDomains/{customDomainName}",
    parent=PROFILE_TYPE,
    requires_location=False,
    defaults={"properties": {}},
    validate=_validate_custom_domain,
    **{**_AFD, "normalize": _normalize_custom_domain},
)


FAMILY = Family(name="cdn", types=(PROFILE, ENDPOINT, AFD_ENDPOINT, ORIGIN_GROUP, ORIGIN, ROUTE, CUSTOM_DOMAIN))
