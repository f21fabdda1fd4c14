"""The family-definition API: how one ARM resource type is described to the generic engine.

A *family* (one module under ``families/``) is a :class:`Family` holding :class:`ResourceType`
definitions and optional subscription-level :class:`ProviderAction` s. The engine implements every
verb generically from these declarations; a family only writes hooks for what is specific to it.

Adding a type, step by step (see ``families/storage.py`` for a worked example)::

    CONTAINER = ResourceType(
        type="Microsoft.Storage/storageAccounts/blobServices/containers",   # the body's "type"
        path="resourceGroups/{resourceGroupName}/providers/Microsoft.Storage/storageAccounts/"
             "{accountName}/blobServices/default/containers/{containerName}",
        parent="Microsoft.Storage/storageAccounts/blobServices",
        api_versions=("2026-09-01", "2025-06-01"),
        requires_location=False, provisioning_state=False,
        put_status=(201, 200), delete_status=200,
        defaults={"properties": {"publicAccess": "None", "metadata": {}}},
        validate=_validate_container, on_create=_create_in_azurite, on_delete=_delete_in_azurite,
    )
    FAMILY = Family(name="storage", types=(ACCOUNT, CONTAINER, ...), provider_actions=(...))

then append ``storage.FAMILY`` to ``FAMILIES`` in ``families/__init__.py`` (the ONE explicit list).

Fields of :class:`ResourceType` and what the engine does with them:

- ``path``: URL template relative to ``/subscriptions/{subscriptionId}/``. ``{param}`` segments match
  one URL segment (values reach hooks as ``ctx.params``); literal segments match case-insensitively.
  A literal last segment (``blobServices/default``) makes a singleton. The collection URL (template
  minus its last segment) answers GET with ``{"value": [...]}``; for types directly under a resource
  group, ``/subscriptions/{id}/providers/NS/type`` lists the whole subscription too.
- ``parent``: the parent's ``type`` (``None`` = the subscription, which always exists); it documents
  the hierarchy, while the engine derives ancestors from the id itself (``routing.ancestors``).
  Before any verb, every registered ancestor must exist: a missing resource group gives 404
  ``ResourceGroupNotFound``, another missing ancestor 404 ``ParentResourceNotFound``. Children are
  deleted with their parent. A child that exists implicitly (``blobServices/default``) is stored by
  the parent's ``on_create``: ``ctx.store.put(Record(child_id, CHILD_TYPE, body))``.
- ``api_versions``: accepted ``api-version`` values (empty = any). Others give 400.
- ``requires_location``: PUT without ``location`` is 400 ``LocationRequired``; a PUT that changes the
  location of an existing resource is 409 ``InvalidResourceLocation``. Locations are normalised
  (``"West US"`` -> ``"westus"``).
- ``provisioning_state``: keep ``properties.provisioningState`` (``Creating``/``Updating``/``Deleting``
  while an LRO runs, then ``Succeeded``).
- ``put_status``: (created, updated) status codes of a synchronous PUT. ``put_lro``/``patch_lro``/
  ``delete_lro``: an :class:`Lro` makes that verb answer 202 with ``Location`` (and, for
  ``style="async"``, ``Azure-AsyncOperation``) plus ``Retry-After``; the operation completes on its
  second status poll, or after ``max_seconds`` (1 s) unpolled (see ``lro.py``). ``patch``: whether PATCH is supported (JSON merge-patch of
  the stored body; the dotted paths in ``patch_replaces``, ``("tags",)`` by default, are replaced
  wholesale rather than merged).
- ``delete_status``: status of a synchronous DELETE; ``delete_missing_status``: status when the
  resource does not exist (204 by default; resource groups answer 404).
- ``not_found_code``: the error code of GET/PATCH/POST on a missing resource.
- ``defaults``: a nested dict deep-merged *under* the request body on every PUT (request wins); a
  PUT replaces the resource, so what it omits falls back to these defaults. Not applied on PATCH.
- ``preserve``: dotted paths (``"properties.creationTime"``) kept from the stored body when a PUT
  replaces an existing resource (computed, immutable facts).
- ``validate(ctx, body, existing)``: raise :class:`~modelinfra.sandbox.arm.errors.ArmError` to reject
  a PUT/PATCH; ``body`` is the would-be stored body (envelope + defaults applied), ``existing`` the
  stored body or ``None`` on create.
- ``normalize(ctx, body, existing)``: mutate ``body`` in place to add computed fields (endpoints,
  timestamps, ids) after validation. Runs on every PUT and PATCH; may also raise ``ArmError`` (for
  checks that need the merged result, as the blob service does).
- ``on_create(ctx, body)`` / ``on_update(ctx, body, previous)`` / ``on_delete(ctx, body)``: side
  effects (create the blob service singleton, mirror a container into Azurite). ``on_update`` runs
  after a PUT that replaces and after a PATCH. ``on_delete`` also runs for every descendant removed
  by a cascade (its errors are logged, never raised). An exception from ``on_create`` rolls back.
- ``actions``: POST actions on the resource, keyed by lower-case name (``"listkeys"``):
  ``handler(ctx, body, request_body) -> (status, response_body)``.

:class:`ProviderAction` is a subscription-scoped POST such as
``providers/Microsoft.Storage/checkNameAvailability``: ``handler(ctx, request_body) -> (status, body)``.

Hooks get a :class:`RequestContext`: ``ctx.store`` (read other resources, e.g. a disk's source),
``ctx.config`` (blob endpoint, account key, the Azurite bridge), ``ctx.params``, ``ctx.subscription_id``,
``ctx.query``. Hooks run under the emulator lock: keep them quick and never call the emulator over HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from modelinfra.sandbox.arm.store import Store

RESOURCE_GROUP = "Microsoft.Resources/resourceGroups"

Body = dict[str, Any]
Hook = Callable[["RequestContext", Body, "Body | None"], None]
SideEffect = Callable[["RequestContext", Body], None]
UpdateEffect = Callable[["RequestContext", Body, Body], None]
ActionHandler = Callable[["RequestContext", Body, Any], "tuple[int, Any]"]
ProviderHandler = Callable[["RequestContext", Any], "tuple[int, Any]"]


@dataclass(frozen=True)
class Lro:
    """A verb that runs long. ``style="location"``: 202 + ``Location`` (polls answer 202 until done,
    then 200 with the resource, or an empty 200 for DELETE). ``style="async"``: 202 +
    ``Azure-AsyncOperation`` (polls answer ``{"status": "InProgress"|"Succeeded"}``) + ``Location``."""

    style: Literal["location", "async"] = "async"


@dataclass(frozen=True)
class ResourceType:
    """One ARM resource type; see the module docstring for what each field makes the engine do."""

    type: str
    path: str
    parent: str | None = RESOURCE_GROUP
    api_versions: tuple[str, ...] = ()
    requires_location: bool = True
    provisioning_state: bool = True
    put_status: tuple[int, int] = (201, 200)
    put_lro: Lro | None = None
    patch: bool = True
    patch_lro: Lro | None = None
    patch_replaces: tuple[str, ...] = ("tags",)
    delete_status: int = 200
    delete_missing_status: int = 204
    delete_lro: Lro | None = None
    not_found_code: str = "ResourceNotFound"
    defaults: Mapping[str, Any] = field(default_factory=dict)
    preserve: tuple[str, ...] = ()
    validate: Hook | None = None
    normalize: Hook | None = None
    on_create: SideEffect | None = None
    on_update: UpdateEffect | None = None
    on_delete: SideEffect | None = None
    actions: Mapping[str, ActionHandler] = field(default_factory=dict)

    @property
    def namespace(self) -> str:
        """The resource provider namespace, e.g. ``Microsoft.Storage``."""
        return self.type.split("/", 1)[0]


@dataclass(frozen=True)
class ProviderAction:
    """A subscription-scoped action: ``path`` relative to ``/subscriptions/{subscriptionId}/``."""

    path: str
    handler: ProviderHandler
    method: str = "POST"
    api_versions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Family:
    """A group of resource types contributed by one module under ``families/``."""

    name: str
    types: tuple[ResourceType, ...]
    provider_actions: tuple[ProviderAction, ...] = ()


@dataclass
class EmulatorConfig:
    """Facts hooks may need: where blob data lives and the key to hand out."""

    blob_endpoint: str | None = None
    account_key: str | None = None
    azurite: Any = None  # AzuriteBridge | None
    list_page_size: int = 100  # items per page of a collection GET (paging.py)


@dataclass
class RequestContext:
    """What a hook knows about the request it serves."""

    store: Store
    config: EmulatorConfig
    subscription_id: str
    resource_id: str
    params: dict[str, str]
    api_version: str
    query: dict[str, str]
    base_url: str = ""
