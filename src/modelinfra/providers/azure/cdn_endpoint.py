"""``azure.cdn_endpoint``: deliver a storage account's blobs (or any origin hosts) through a CDN /
Front Door profile.

Cloud id (deterministic, no cloud call): the *logical* id
``/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.Cdn/profiles/{p}/endpoints/{e}`` for
both families. ``read``/``update``/``delete`` GET the profile to learn its SKU and then manage the
concrete resources (``cdn_parts.py``): the classic endpoint at exactly that id, or on a Front Door
profile the ``afdEndpoints/{e}`` unit (endpoint, origin group, origin, route). ``read`` also accepts
an ``.../afdEndpoints/{e}`` id (``modelinfra import``). The ``id`` attribute is the concrete
endpoint's ARM id.

Invariants
- The origin is a storage account named by ARM id (``origin_storage_account: ${account.id}``);
  its host is read from the account's ``primaryEndpoints.blob`` through ARM, never written by the
  user, so an origin derived from anything else (the seed's model-name bug) cannot be expressed.
- or, on Front Door only, ``origins`` lists origins by host (App Service, static website...);
  exactly one of the two forms (validate says so offline). ``health_probe``, ``load_balancing``
  and ``custom_domains`` (``cdn_frontdoor.py``) are Front Door settings too; a classic profile
  refuses them at apply.
- ``origin_storage_account`` reads back as None when the origin no longer points at that account's
  blob host (edited outside modelinfra, or the account is gone): the plan then rewrites it.
- ``https_only`` (default true): classic ``isHttpAllowed: false``; Front Door route
  ``httpsRedirect: Enabled`` (HTTP is accepted only to redirect), forwarding always HTTPS.
- ``query_string_caching``: classic ``queryStringCachingBehavior``; on Front Door the route's
  ``cacheConfiguration.queryStringCachingBehavior`` (``BypassCaching`` = no cache configuration).
- name, profile and resource_group force replacement; everything else converges in place by
  writing the whole unit again (every write is a PUT, so create also adopts).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field, model_validator

from modelinfra.errors import RetryableError, TerminalError
from modelinfra.providers.azure import arm_ids
from modelinfra.providers.azure import cdn_frontdoor as fd
from modelinfra.providers.azure.cdn_origin import (
    BlobOrigin,
    OriginPath,
    StorageAccountId,
    require_blob_origin,
    resolve_blob_origin,
)
from modelinfra.providers.azure.cdn_parts import (
    ClassicParts,
    Desired,
    EndpointNames,
    FrontDoorParts,
    Observed,
)
from modelinfra.providers.azure.cdn_profile import AFD_SKUS, CdnProfileName, check_cdn_name, read_profile
from modelinfra.providers.azure.names import AzureTags, ResourceGroupName
from modelinfra.providers.base import ResourceContext, ResourceHandler
from modelinfra.spec.fields import SpecModel

CdnEndpointName = Annotated[str, AfterValidator(lambda v: check_cdn_name(v, "endpoint name", 46))]
QueryStringCaching = Literal["IgnoreQueryString", "BypassCaching", "UseQueryString"]

_CLASSIC = ClassicParts()
_FRONT_DOOR = FrontDoorParts()


class CdnEndpointSpec(SpecModel):
    name: CdnEndpointName
    """Endpoint name, globally unique: it becomes the host name (``<name>.azureedge.net`` /
    ``.z01.azurefd.net``)."""
    profile: CdnProfileName
    """Name of the CDN / Front Door profile (e.g. ``${cdn.name}``)."""
    resource_group: ResourceGroupName
    """Resource group of the profile."""
    origin_storage_account: StorageAccountId | None = None
    """ARM id of the storage account served (``${account.id}``); its blob host is the origin.
    Exactly one of this and ``origins``."""
    origins: list[fd.FrontDoorOrigin] | None = Field(default=None, min_length=1)
    """Front Door origins by host name (App Service, static website, any host); exactly one of
    this and ``origin_storage_account``."""
    health_probe: fd.HealthProbe | None = None
    """Front Door: how origins are probed for health; unset: no probes."""
    load_balancing: fd.LoadBalancing = Field(default_factory=fd.LoadBalancing)
    """Front Door: how probe samples pick healthy, fast origins."""
    custom_domains: list[fd.CustomDomain] = Field(default_factory=list)
    """Front Door: domains of your own served by this endpoint, with a managed certificate."""
    origin_path: OriginPath = None
    """Path on the origin requests are served from (e.g. ``/models``); unset: the root."""
    https_only: bool = True
    """Serve HTTPS only (classic: HTTP off; Front Door: HTTP redirects to HTTPS)."""
    query_string_caching: QueryStringCaching = "IgnoreQueryString"
    """How query strings affect caching."""
    tags: AzureTags

    @model_validator(mode="after")
    def _one_origin_form(self) -> CdnEndpointSpec:
        if (self.origin_storage_account is None) == (self.origins is None):
            raise ValueError("set exactly one of origin_storage_account (a storage account's blobs) and origins "
                             "(Front Door origins by host name)")
        names = [o.name.lower() for o in self.origins or []]
        if len(names) != len(set(names)):
            raise ValueError("origins: every origin needs a different name")
        hosts = [d.host_name.lower() for d in self.custom_domains]
        if len(hosts) != len(set(hosts)):
            raise ValueError("custom_domains: every host_name may appear once")
        return self


class CdnEndpointHandler(ResourceHandler[CdnEndpointSpec]):
    type_name: ClassVar[str] = "azure.cdn_endpoint"
    cloud_id_form: ClassVar[str] = "/subscriptions/SUB/resourceGroups/RG/providers/Microsoft.Cdn/profiles/PROFILE/endpoints/NAME"
    cloud: ClassVar[str] = "azure"
    spec_model = CdnEndpointSpec
    computed: ClassVar[tuple[str, ...]] = ("id", "host_name", "url", "origin_host")
    force_new: ClassVar[tuple[str, ...]] = ("name", "profile", "resource_group")
    taggable: ClassVar[bool] = True
    lookup_keys: ClassVar[tuple[str, ...]] = ("resource_group", "profile", "name")

    def identify(self, ctx: ResourceContext, spec: CdnEndpointSpec) -> str:
        return arm_ids.resource_id(ctx.session.subscription_id, spec.resource_group, "Microsoft.Cdn",
                                   "profiles", spec.profile, "endpoints", spec.name)

    def normalise(self, attributes: dict[str, Any]) -> dict[str, Any]:
        return fd.normalise(arm_ids.normalise_attributes(attributes, id_keys=("origin_storage_account",)))

    # -- read ------------------------------------------------------------------------------------
    def read(self, ctx: ResourceContext, cloud_id: str) -> dict[str, Any] | None:
        names = endpoint_names(cloud_id)
        parts = _parts_for(ctx, names)
        if parts is None:
            return None
        seen = parts.read(ctx, names)
        if seen is None:
            return None
        origin = resolve_blob_origin(ctx, seen.origin_account_id) if _is_account_id(seen.origin_account_id) else None
        return self.normalise(_attributes(names, seen, origin))

    # -- write -----------------------------------------------------------------------------------
    def create(self, ctx: ResourceContext, spec: CdnEndpointSpec) -> dict[str, Any]:
        return self._write(ctx, spec)

    def update(
        self, ctx: ResourceContext, spec: CdnEndpointSpec, observed: dict[str, Any], changes: list[Any]
    ) -> dict[str, Any]:
        return self._write(ctx, spec)

    def delete(self, ctx: ResourceContext, cloud_id: str, attributes: dict[str, Any]) -> None:
        names = endpoint_names(cloud_id)
        parts = _parts_for(ctx, names)
        if parts is not None:  # no profile: nothing under it is left
            parts.delete(ctx, names)

    # -- helpers ---------------------------------------------------------------------------------
    def _write(self, ctx: ResourceContext, spec: CdnEndpointSpec) -> dict[str, Any]:
        names = EndpointNames(spec.resource_group, spec.profile, spec.name)
        parts = _parts_for(ctx, names)
        if parts is None:
            raise TerminalError(f"CDN profile {spec.profile} does not exist in resource group {spec.resource_group}")
        data = spec.model_dump(mode="json")
        want = Desired(
            origin=require_blob_origin(ctx, spec.origin_storage_account) if spec.origin_storage_account else None,
            origin_path=spec.origin_path,
            https_only=spec.https_only,
            query_string_caching=spec.query_string_caching,
            tags=dict(spec.tags),
            origins=data["origins"],
            health_probe=data["health_probe"],
            load_balancing=data["load_balancing"],
            custom_domains=data["custom_domains"],
        )
        parts.write(ctx, names, want)
        observed = self.read(ctx, self.identify(ctx, spec))
        if observed is None:
            raise RetryableError(f"CDN endpoint {spec.name} not visible after write", code="ResourceNotFound")
        return observed


def endpoint_names(cloud_id: str) -> EndpointNames:
    """Names from a logical ``.../profiles/{p}/endpoints/{e}`` or concrete ``.../afdEndpoints/{e}`` id."""
    parsed = arm_ids.parse(cloud_id)
    kinds = [t.lower() for t in parsed.types]
    if (parsed.namespace or "").lower() != "microsoft.cdn" or len(kinds) != 2 or kinds[0] != "profiles" \
            or kinds[1] not in ("endpoints", "afdendpoints"):
        raise TerminalError(f"{cloud_id!r} is not the id of a CDN endpoint (.../profiles/<p>/endpoints/<e>)")
    return EndpointNames(parsed.resource_group or "", parsed.names[0], parsed.names[1])


def _parts_for(ctx: ResourceContext, names: EndpointNames) -> ClassicParts | FrontDoorParts | None:
    """The family of the endpoint's profile (one ARM GET), or None when the profile is missing."""
    profile = read_profile(ctx, names.resource_group, names.profile)
    if profile is None:
        return None
    return _FRONT_DOOR if (profile.get("sku") or {}).get("name") in AFD_SKUS else _CLASSIC


def _is_account_id(value: str | None) -> bool:
    return bool(value) and arm_ids.is_arm_id(value or "")


def _attributes(names: EndpointNames, seen: Observed, origin: BlobOrigin | None) -> dict[str, Any]:
    points_at_account = origin is not None and seen.origin_hostname == origin.host
    host_name = seen.host_name
    return {
        "name": names.endpoint,
        "profile": names.profile,
        "resource_group": names.resource_group,
        "origin_storage_account": seen.origin_account_id if points_at_account else None,
        "origin_path": origin.user_path(seen.wire_origin_path) if origin is not None else seen.wire_origin_path,
        "https_only": seen.https_only,
        "query_string_caching": seen.query_string_caching,
        "origins": seen.origins,
        "health_probe": seen.health_probe,
        "load_balancing": seen.load_balancing,
        "custom_domains": seen.custom_domains,
        "tags": seen.tags,
        "id": seen.endpoint_id,
        "host_name": host_name,
        "url": f"https://{host_name}/" if host_name else None,
        "origin_host": origin.display_host if points_at_account and origin is not None else seen.origin_hostname,
    }
