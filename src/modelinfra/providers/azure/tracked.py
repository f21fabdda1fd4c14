"""A base for handlers of *tracked* ARM resources (a name in a resource group, a location and tags)
reached through :class:`~modelinfra.providers.azure.rest_client.ArmRestClient`.

A subclass declares ``namespace``, ``arm_type`` (``vaults``), ``api_version`` and ``label`` (for
messages), and writes two pure functions of the wire shape:

- ``body(ctx, spec)``: what create (PUT) writes besides ``location`` and ``tags``; update writes it
  again (PUT by default, as the service replaces; ``update_by_patch`` sends it as a PATCH instead);
- ``attributes(body)``: the spec-vocabulary attributes read from a GET body besides ``name``,
  ``resource_group``, ``location``, ``tags`` and ``id``.

Invariants: ``identify`` is the ARM id from the spec alone; create adopts (a PUT at the same id);
read answers None on 404; delete of a missing resource is success; locations and the ids named in
``id_keys`` are compared in canonical form (``arm_ids.normalise_attributes``); the managed tags are
written on top of the spec's tags and stripped again on read.
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel

from modelinfra.providers.azure import arm_ids
from modelinfra.providers.azure.errors import (
    azure_errors,
    ignore_not_found,
    read_or_none,
    visible_after_write,
)
from modelinfra.providers.azure.names import normalise_location
from modelinfra.providers.azure.rest_client import ArmRestClient
from modelinfra.providers.base import ResourceContext, ResourceHandler, strip_managed_tags

SpecT = TypeVar("SpecT", bound=BaseModel)


class TrackedArmHandler(ResourceHandler[SpecT]):
    cloud: ClassVar[str] = "azure"
    taggable: ClassVar[bool] = True
    lookup_keys: ClassVar[tuple[str, ...]] = ("resource_group", "name")
    namespace: ClassVar[str]
    arm_type: ClassVar[str]
    api_version: ClassVar[str]
    label: ClassVar[str]
    id_keys: ClassVar[tuple[str, ...]] = ()
    update_by_patch: ClassVar[bool] = False

    def body(self, ctx: ResourceContext, spec: Any) -> dict[str, Any]:
        raise NotImplementedError

    def attributes(self, body: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    # -- the contract ----------------------------------------------------------------------------
    def client(self, ctx: ResourceContext) -> ArmRestClient:
        return ArmRestClient(ctx.session, self.api_version)

    def identify(self, ctx: ResourceContext, spec: Any) -> str:
        return arm_ids.resource_id(ctx.session.subscription_id, spec.resource_group, self.namespace, self.arm_type,
                                   spec.name)

    def normalise(self, attributes: dict[str, Any]) -> dict[str, Any]:
        return arm_ids.normalise_attributes(attributes, id_keys=self.id_keys)

    def read(self, ctx: ResourceContext, cloud_id: str) -> dict[str, Any] | None:
        parsed = arm_ids.parse(cloud_id)
        client = self.client(ctx)
        body = read_or_none(f"reading {self.label} {parsed.name}", lambda: client.get(cloud_id))
        if body is None:
            return None
        return self.normalise({
            "name": parsed.name,
            "resource_group": parsed.resource_group,
            "location": body.get("location"),
            **self.attributes(body),
            "tags": strip_managed_tags(body.get("tags")),
            "id": cloud_id,
        })

    def create(self, ctx: ResourceContext, spec: Any) -> dict[str, Any]:
        with azure_errors(f"creating {self.label} {spec.name}"):
            self.client(ctx).put(self.identify(ctx, spec), self._full_body(ctx, spec))
        return self._reread(ctx, spec)

    def update(self, ctx: ResourceContext, spec: Any, observed: dict[str, Any], changes: list[Any]) -> dict[str, Any]:
        with azure_errors(f"updating {self.label} {spec.name}"):
            if self.update_by_patch:
                self.client(ctx).patch(self.identify(ctx, spec),
                                       {**self.body(ctx, spec), "tags": self._tags(ctx, spec)})
            else:
                self.client(ctx).put(self.identify(ctx, spec), self._full_body(ctx, spec))
        return self._reread(ctx, spec)

    def delete(self, ctx: ResourceContext, cloud_id: str, attributes: dict[str, Any]) -> None:
        name = arm_ids.parse(cloud_id).name
        ignore_not_found(f"deleting {self.label} {name}", lambda: self.client(ctx).delete(cloud_id))

    # -- helpers ---------------------------------------------------------------------------------
    def _full_body(self, ctx: ResourceContext, spec: Any) -> dict[str, Any]:
        return {"location": normalise_location(spec.location), "tags": self._tags(ctx, spec), **self.body(ctx, spec)}

    @staticmethod
    def _tags(ctx: ResourceContext, spec: Any) -> dict[str, str]:
        return {**spec.tags, **ctx.managed_tags}

    def _reread(self, ctx: ResourceContext, spec: Any) -> dict[str, Any]:
        return visible_after_write(self.read(ctx, self.identify(ctx, spec)), f"{self.label} {spec.name}")
