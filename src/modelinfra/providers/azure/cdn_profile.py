"""``azure.cdn_profile``: a CDN or Azure Front Door profile (``Microsoft.Cdn/profiles``). Cloud id: its ARM id.

Invariants
- location is always ``global``; ``sku`` picks the family: ``Standard_AzureFrontDoor`` /
  ``Premium_AzureFrontDoor`` (Front Door Standard/Premium, the recommended path) or
  ``Standard_Microsoft`` (classic Azure CDN from Microsoft: retired for new profiles, supported for
  existing estates; creating one reports a deprecation warning through ``ctx.reporter``).
- create is a PUT (LRO) and adopts a profile already at the id; update PATCHes the tags and
  ``response_timeout_seconds`` (Front Door's ``originResponseTimeoutSeconds``, 16..240; unset:
  the service default, never diffed; a classic SKU refuses it at validate); name, resource_group
  and sku force replacement (ARM cannot change a SKU).
- delete (LRO) removes the profile and everything under it; a missing profile is success.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field, model_validator

from modelinfra.errors import RetryableError
from modelinfra.providers.azure import arm_ids
from modelinfra.providers.azure.errors import azure_errors, ignore_not_found, read_or_none
from modelinfra.providers.azure.names import AzureTags, ResourceGroupName
from modelinfra.providers.base import ResourceContext, ResourceHandler, strip_managed_tags
from modelinfra.spec.fields import SpecModel

LOCATION = "global"
CLASSIC_SKUS = ("Standard_Microsoft",)
AFD_SKUS = ("Standard_AzureFrontDoor", "Premium_AzureFrontDoor")
CLASSIC_DEPRECATION = (
    "azure.cdn_profile {name}: sku Standard_Microsoft (classic Azure CDN) is retired and no longer accepts new "
    "profiles; it is supported for existing estates only. Use Standard_AzureFrontDoor or Premium_AzureFrontDoor."
)

_CDN_NAME = re.compile(r"^[a-zA-Z0-9]+(-*[a-zA-Z0-9])*$")


def check_cdn_name(name: str, kind: str = "name", max_length: int = 260) -> str:
    """CDN / Front Door names: letters, digits and hyphens, starting and ending with a letter or digit."""
    if not 1 <= len(name) <= max_length or not _CDN_NAME.match(name):
        raise ValueError(f"{kind} {name!r} must be 1 to {max_length} letters, digits and hyphens, "
                         "starting and ending with a letter or digit")
    return name


CdnProfileName = Annotated[str, AfterValidator(lambda v: check_cdn_name(v, "profile name"))]
CdnSku = Literal["Standard_AzureFrontDoor", "Premium_AzureFrontDoor", "Standard_Microsoft"]


class CdnProfileSpec(SpecModel):
    name: CdnProfileName
    """Profile name, unique within the resource group."""
    resource_group: ResourceGroupName
    """Resource group it lives in (e.g. ``${rg.name}``)."""
    sku: CdnSku = "Standard_AzureFrontDoor"
    """Tier: Front Door Standard/Premium, or classic Azure CDN (``Standard_Microsoft``)."""
    response_timeout_seconds: int | None = Field(default=None, ge=16, le=240)
    """Front Door: seconds to wait for an origin's response, 16 to 240; unset: the service default."""
    tags: AzureTags

    @model_validator(mode="after")
    def _timeout_needs_front_door(self) -> CdnProfileSpec:
        if self.response_timeout_seconds is not None and self.sku not in AFD_SKUS:
            raise ValueError("response_timeout_seconds needs a Front Door sku (Standard_AzureFrontDoor or "
                             "Premium_AzureFrontDoor)")
        return self


class CdnProfileHandler(ResourceHandler[CdnProfileSpec]):
    type_name: ClassVar[str] = "azure.cdn_profile"
    cloud_id_form: ClassVar[str] = "/subscriptions/SUB/resourceGroups/RG/providers/Microsoft.Cdn/profiles/NAME"
    cloud: ClassVar[str] = "azure"
    spec_model = CdnProfileSpec
    computed: ClassVar[tuple[str, ...]] = ("id",)
    force_new: ClassVar[tuple[str, ...]] = ("name", "resource_group", "sku")
    taggable: ClassVar[bool] = True
    lookup_keys: ClassVar[tuple[str, ...]] = ("resource_group", "name")

    def identify(self, ctx: ResourceContext, spec: CdnProfileSpec) -> str:
        return profile_id(ctx, spec.resource_group, spec.name)

    def read(self, ctx: ResourceContext, cloud_id: str) -> dict[str, Any] | None:
        parsed = arm_ids.parse(cloud_id)
        body = read_profile(ctx, parsed.resource_group or "", parsed.name)
        if body is None:
            return None
        return {
            "name": parsed.name,
            "resource_group": parsed.resource_group,
            "sku": (body.get("sku") or {}).get("name"),
            "response_timeout_seconds": (body.get("properties") or {}).get("originResponseTimeoutSeconds"),
            "tags": strip_managed_tags(body.get("tags")),
            "id": cloud_id,
        }

    def create(self, ctx: ResourceContext, spec: CdnProfileSpec) -> dict[str, Any]:
        if spec.sku in CLASSIC_SKUS:
            ctx.reporter.warning(CLASSIC_DEPRECATION.format(name=spec.name))
        body: dict[str, Any] = {"location": LOCATION, "sku": {"name": spec.sku},
                                "tags": {**spec.tags, **ctx.managed_tags}}
        if spec.response_timeout_seconds is not None:
            body["properties"] = {"originResponseTimeoutSeconds": spec.response_timeout_seconds}
        client = ctx.session.mgmt("cdn")
        with azure_errors(f"creating CDN profile {spec.name}"):
            client.profiles.begin_create(spec.resource_group, spec.name, body).result()
        return self._reread(ctx, spec)

    def update(
        self, ctx: ResourceContext, spec: CdnProfileSpec, observed: dict[str, Any], changes: list[Any]
    ) -> dict[str, Any]:
        client = ctx.session.mgmt("cdn")
        patch: dict[str, Any] = {"tags": {**spec.tags, **ctx.managed_tags}}
        if spec.response_timeout_seconds is not None:
            patch["properties"] = {"originResponseTimeoutSeconds": spec.response_timeout_seconds}
        with azure_errors(f"updating CDN profile {spec.name}"):
            client.profiles.begin_update(spec.resource_group, spec.name, patch).result()
        return self._reread(ctx, spec)

    def delete(self, ctx: ResourceContext, cloud_id: str, attributes: dict[str, Any]) -> None:
        parsed = arm_ids.parse(cloud_id)
        client = ctx.session.mgmt("cdn")
        ignore_not_found(f"deleting CDN profile {parsed.name}",
                         lambda: client.profiles.begin_delete(parsed.resource_group or "", parsed.name).result())

    def _reread(self, ctx: ResourceContext, spec: CdnProfileSpec) -> dict[str, Any]:
        observed = self.read(ctx, self.identify(ctx, spec))
        if observed is None:
            raise RetryableError(f"CDN profile {spec.name} not visible after write", code="ResourceNotFound")
        return observed


def profile_id(ctx: ResourceContext, resource_group: str, name: str) -> str:
    return arm_ids.resource_id(ctx.session.subscription_id, resource_group, "Microsoft.Cdn", "profiles", name)


def read_profile(ctx: ResourceContext, resource_group: str, name: str) -> dict[str, Any] | None:
    """The profile's wire body (``sku.name``, ``tags``...), or None when it (or its group) is missing."""
    client = ctx.session.mgmt("cdn")
    found = read_or_none(f"reading CDN profile {name}", lambda: client.profiles.get(resource_group, name))
    return found.as_dict() if found is not None else None
