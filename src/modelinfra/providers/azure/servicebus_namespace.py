"""``azure.servicebus_namespace``: a Service Bus namespace. Cloud id: its ARM id.

Invariants
- create is a PUT (LRO); adopting an existing namespace converges it. sku, min TLS version,
  local auth and tags update in place (PATCH); name, resource_group and location force replacement.
- ``primary_connection_string`` is sensitive: it comes from the ``RootManageSharedAccessKey``
  rule's ``listKeys`` and only ``read_sensitive`` returns it. ``read``/``create``/``update`` never
  do, so it never reaches state, plans, drift reports or logs; it is re-read on demand.
- names come from the cloud id and locations are compared in short form (``westus``).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator

from modelinfra.providers.azure import arm_ids
from modelinfra.providers.azure.errors import (
    azure_errors,
    ignore_not_found,
    read_or_none,
    visible_after_write,
)
from modelinfra.providers.azure.names import AzureTags, Location, ResourceGroupName, normalise_location
from modelinfra.providers.base import ResourceContext, ResourceHandler, strip_managed_tags
from modelinfra.spec.fields import SpecModel

NAMESPACE = "Microsoft.ServiceBus"
ROOT_RULE = "RootManageSharedAccessKey"
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]$")


def check_namespace_name(name: str) -> str:
    """6-50 letters, digits and hyphens; starts with a letter, ends with a letter or digit; must not
    end with ``-sb`` or ``-mgmt`` (reserved by the service)."""
    if not 6 <= len(name) <= 50:
        raise ValueError(f"namespace name {name!r} must be 6 to 50 characters long (got {len(name)})")
    if not _NAME.match(name):
        raise ValueError(f"namespace name {name!r} may contain only letters, digits and hyphens, must start "
                         "with a letter and end with a letter or digit")
    if name.lower().endswith(("-sb", "-mgmt")):
        raise ValueError(f"namespace name {name!r} must not end with -sb or -mgmt")
    return name


NamespaceName = Annotated[str, AfterValidator(check_namespace_name)]


class ServiceBusNamespaceSpec(SpecModel):
    name: NamespaceName
    """Namespace name, 6 to 50 letters, digits and hyphens, globally unique
    (``<name>.servicebus.windows.net``)."""
    resource_group: ResourceGroupName
    """Resource group it lives in (e.g. ``${rg.name}``)."""
    location: Location
    sku: Literal["Basic", "Standard", "Premium"] = "Standard"
    """Tier: ``Basic`` (queues only), ``Standard`` or ``Premium``."""
    min_tls_version: Literal["1.0", "1.1", "1.2"] = "1.2"
    """Lowest TLS version clients may use (the service's spelling: ``"1.2"``)."""
    local_auth_enabled: bool = True
    """Allow SAS keys (connection strings); false means Microsoft Entra ID only."""
    tags: AzureTags


class ServiceBusNamespaceHandler(ResourceHandler[ServiceBusNamespaceSpec]):
    type_name: ClassVar[str] = "azure.servicebus_namespace"
    cloud_id_form: ClassVar[str] = "/subscriptions/SUB/resourceGroups/RG/providers/Microsoft.ServiceBus/namespaces/NAME"
    cloud: ClassVar[str] = "azure"
    spec_model = ServiceBusNamespaceSpec
    computed: ClassVar[tuple[str, ...]] = ("id", "endpoint", "primary_connection_string")
    sensitive: ClassVar[tuple[str, ...]] = ("primary_connection_string",)
    force_new: ClassVar[tuple[str, ...]] = ("name", "resource_group", "location")
    taggable: ClassVar[bool] = True
    lookup_keys: ClassVar[tuple[str, ...]] = ("resource_group", "name")

    def identify(self, ctx: ResourceContext, spec: ServiceBusNamespaceSpec) -> str:
        return arm_ids.resource_id(ctx.session.subscription_id, spec.resource_group, NAMESPACE,
                                   "namespaces", spec.name)

    def normalise(self, attributes: dict[str, Any]) -> dict[str, Any]:
        if "location" in attributes:
            attributes = {**attributes, "location": normalise_location(attributes["location"])}
        return attributes

    def read(self, ctx: ResourceContext, cloud_id: str) -> dict[str, Any] | None:
        parsed = arm_ids.parse(cloud_id)
        group, name = parsed.resource_group or "", parsed.name
        client = ctx.session.mgmt("servicebus")
        namespace = read_or_none(f"reading Service Bus namespace {name}", lambda: client.namespaces.get(group, name))
        if namespace is None:
            return None
        body = namespace.as_dict()
        props = body.get("properties") or {}
        return self.normalise({
            "name": name,
            "resource_group": group,
            "location": body.get("location"),
            "sku": (body.get("sku") or {}).get("name"),
            "min_tls_version": props.get("minimumTlsVersion"),
            "local_auth_enabled": not props.get("disableLocalAuth", False),
            "tags": strip_managed_tags(body.get("tags")),
            "id": cloud_id,
            "endpoint": props.get("serviceBusEndpoint"),
        })

    def read_sensitive(self, ctx: ResourceContext, cloud_id: str) -> dict[str, Any]:
        """``primary_connection_string`` of the namespace's root rule (fetched now, never stored)."""
        parsed = arm_ids.parse(cloud_id)
        client = ctx.session.mgmt("servicebus")
        with azure_errors(f"listing the keys of Service Bus namespace {parsed.name}"):
            keys = client.namespaces.list_keys(parsed.resource_group or "", parsed.name, ROOT_RULE)
        return {"primary_connection_string": keys.as_dict().get("primaryConnectionString")}

    def create(self, ctx: ResourceContext, spec: ServiceBusNamespaceSpec) -> dict[str, Any]:
        client = ctx.session.mgmt("servicebus")
        body = {"location": normalise_location(spec.location), **self._settings(ctx, spec)}
        with azure_errors(f"creating Service Bus namespace {spec.name}"):
            client.namespaces.begin_create_or_update(spec.resource_group, spec.name, body).result()
        return self._reread(ctx, spec)

    def update(
        self, ctx: ResourceContext, spec: ServiceBusNamespaceSpec, observed: dict[str, Any], changes: list[Any]
    ) -> dict[str, Any]:
        client = ctx.session.mgmt("servicebus")
        with azure_errors(f"updating Service Bus namespace {spec.name}"):
            client.namespaces.update(spec.resource_group, spec.name, self._settings(ctx, spec))
        return self._reread(ctx, spec)

    def delete(self, ctx: ResourceContext, cloud_id: str, attributes: dict[str, Any]) -> None:
        parsed = arm_ids.parse(cloud_id)
        client = ctx.session.mgmt("servicebus")
        ignore_not_found(f"deleting Service Bus namespace {parsed.name}",
                         lambda: client.namespaces.begin_delete(parsed.resource_group or "", parsed.name).result())

    @staticmethod
    def _settings(ctx: ResourceContext, spec: ServiceBusNamespaceSpec) -> dict[str, Any]:
        """What create (PUT) and update (PATCH) both write."""
        return {
            "sku": {"name": spec.sku, "tier": spec.sku},
            "tags": {**spec.tags, **ctx.managed_tags},
            "properties": {"minimumTlsVersion": spec.min_tls_version, "disableLocalAuth": not spec.local_auth_enabled},
        }

    def _reread(self, ctx: ResourceContext, spec: ServiceBusNamespaceSpec) -> dict[str, Any]:
        return visible_after_write(self.read(ctx, self.identify(ctx, spec)), f"Service Bus namespace {spec.name}")
