"""The Front Door settings of an ``azure.cdn_endpoint``: explicit origins, the origin group's health
probe and load balancing, and custom domains (spec models and their attribute form).

Invariants
- ``origins`` (any host: static website, App Service, storage) and the ``origin_storage_account``
  shortcut are the two ways to say where the endpoint fetches from; a spec uses exactly one.
- the attribute form (what ``desired`` and ``read`` compare) is canonical: origins sorted by name,
  host names lower-cased (DNS is case-insensitive), ``origin_host_header`` filled with the host
  name when unset (what ARM answers), custom domains sorted by host name, health probe and load
  balancing with every default filled in; "no health probe" is ``false`` rather than None, so
  dropping ``health_probe`` from a spec plans its removal (None would mean "not managed"). So the
  same unit never shows a diff because of order, casing or a server default.
- a custom domain is the profile-level ``customDomains/{endpoint}-{host with dots as hyphens}``
  resource, attached to the endpoint's route; its name is derived, never chosen by the user.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from modelinfra.providers.azure.cdn_profile import check_cdn_name
from modelinfra.spec.fields import SpecModel

_HOST = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
                   r"[A-Za-z0-9])?)*$")


def check_host_name(value: str) -> str:
    """A DNS host name (no scheme, port or path)."""
    if not _HOST.match(value):
        raise ValueError(f"{value!r} is not a host name such as app.azurewebsites.net (no scheme, port or path)")
    return value


def check_custom_domain_host(value: str) -> str:
    check_host_name(value)
    if "." not in value:
        raise ValueError(f"custom domain {value!r} must be a fully qualified name such as www.contoso.com")
    return value


HostName = Annotated[str, AfterValidator(check_host_name)]
CustomDomainHost = Annotated[str, AfterValidator(check_custom_domain_host)]
OriginName = Annotated[str, AfterValidator(lambda v: check_cdn_name(v, "origin name", 90))]


class FrontDoorOrigin(SpecModel):
    name: OriginName
    """Origin name, unique within the endpoint (letters, digits, hyphens)."""
    host_name: HostName
    """Host the origin is reached at (``app.azurewebsites.net``, ``acct.z13.web.core.windows.net``...)."""
    origin_host_header: HostName | None = None
    """Host header sent to the origin; unset: ``host_name``."""
    priority: int = Field(default=1, ge=1, le=5)
    """Priority among the endpoint's origins, 1 (first) to 5; lower priorities get traffic only when
    higher ones are unhealthy."""
    weight: int = Field(default=1000, ge=1, le=1000)
    """Share of traffic among origins of the same priority, 1 to 1000."""
    enabled: bool = True
    """Whether the origin receives traffic."""


class HealthProbe(SpecModel):
    path: str = Field(default="/", pattern=r"^/")
    """Path probed on every origin (starts with ``/``)."""
    protocol: Literal["Http", "Https"] = "Http"
    """Protocol of the probe requests."""
    interval_in_seconds: int = Field(default=100, ge=1, le=255)
    """Seconds between probes, 1 to 255."""
    request_type: Literal["GET", "HEAD"] = "HEAD"
    """HTTP method of the probe requests."""


class LoadBalancing(SpecModel):
    sample_size: int = Field(default=4, ge=0, le=255)
    """Probe samples considered per decision."""
    successful_samples_required: int = Field(default=3, ge=0, le=255)
    """Samples of ``sample_size`` that must succeed for an origin to count as healthy."""
    additional_latency_in_milliseconds: int = Field(default=50, ge=0, le=1000)
    """Origins within this many milliseconds of the fastest one share the traffic."""


class CustomDomain(SpecModel):
    host_name: CustomDomainHost
    """The domain served (``models.contoso.com``); its DNS must be validated before traffic flows."""
    certificate_type: Literal["ManagedCertificate"] = "ManagedCertificate"
    """TLS certificate: one that Front Door issues and renews."""


DEFAULT_LOAD_BALANCING = LoadBalancing().model_dump()


def custom_domain_name(endpoint: str, host_name: str) -> str:
    """The ``customDomains/{name}`` resource of ``host_name`` on ``endpoint``'s profile."""
    return f"{endpoint}-{host_name.lower().replace('.', '-')}"[:260]


def canonical_origins(origins: Any) -> Any:
    """Origins sorted by name, hosts lower-cased, host header defaulted (None stays None)."""
    if not isinstance(origins, list):
        return origins
    out = []
    for origin in origins:
        if not isinstance(origin, dict):
            return origins
        item = dict(origin)
        for key in ("host_name", "origin_host_header"):
            if isinstance(item.get(key), str):
                item[key] = item[key].lower()
        if item.get("origin_host_header") is None:
            item["origin_host_header"] = item.get("host_name")
        out.append(item)
    return sorted(out, key=lambda o: str(o.get("name", "")).lower())


def canonical_domains(domains: Any) -> Any:
    if not isinstance(domains, list) or not all(isinstance(d, dict) for d in domains):
        return domains
    items = [{**d, "host_name": d["host_name"].lower()} if isinstance(d.get("host_name"), str) else dict(d)
             for d in domains]
    return sorted(items, key=lambda d: str(d.get("host_name", "")))


def normalise(attributes: dict[str, Any]) -> dict[str, Any]:
    """The canonical attribute form of the Front Door settings (see the module invariants)."""
    out = dict(attributes)
    if "origins" in out:
        out["origins"] = canonical_origins(out["origins"])
    if "custom_domains" in out:
        out["custom_domains"] = canonical_domains(out["custom_domains"])
    if "health_probe" in out and out["health_probe"] is None:
        out["health_probe"] = False
    return out


# -- wire forms ----------------------------------------------------------------------------------------
def probe_to_wire(probe: dict[str, Any] | None) -> dict[str, Any] | None:
    if not probe:
        return None
    return {"probePath": probe["path"], "probeProtocol": probe["protocol"],
            "probeIntervalInSeconds": probe["interval_in_seconds"], "probeRequestType": probe["request_type"]}


def probe_from_wire(wire: dict[str, Any] | None) -> dict[str, Any] | None:
    if not wire:
        return None
    return {"path": wire.get("probePath"), "protocol": wire.get("probeProtocol"),
            "interval_in_seconds": wire.get("probeIntervalInSeconds"), "request_type": wire.get("probeRequestType")}


def load_balancing_to_wire(settings: dict[str, Any]) -> dict[str, Any]:
    return {"sampleSize": settings["sample_size"], "successfulSamplesRequired": settings["successful_samples_required"],
            "additionalLatencyInMilliseconds": settings["additional_latency_in_milliseconds"]}


def load_balancing_from_wire(wire: dict[str, Any] | None) -> dict[str, Any] | None:
    if not wire:
        return None
    return {"sample_size": wire.get("sampleSize"), "successful_samples_required": wire.get("successfulSamplesRequired"),
            "additional_latency_in_milliseconds": wire.get("additionalLatencyInMilliseconds")}


def origin_to_wire(origin: dict[str, Any]) -> dict[str, Any]:
    return {"hostName": origin["host_name"], "originHostHeader": origin.get("origin_host_header") or origin["host_name"],
            "priority": origin["priority"], "weight": origin["weight"],
            "enabledState": "Enabled" if origin["enabled"] else "Disabled",
            "httpPort": 80, "httpsPort": 443, "enforceCertificateNameCheck": True}


def origin_from_wire(name: str, props: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "host_name": props.get("hostName"), "origin_host_header": props.get("originHostHeader"),
            "priority": props.get("priority"), "weight": props.get("weight"),
            "enabled": props.get("enabledState") == "Enabled"}
