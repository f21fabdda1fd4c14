"""The handler contract: the only seam between the engine and a cloud.

A ``ResourceHandler`` manages one resource type (``aws.s3_bucket``...). The engine owns the graph,
the state and the plan; a handler owns the cloud calls for one resource and never sees the graph.

Vocabulary
    spec        an instance of ``spec_model`` (pydantic, ``extra="forbid"``), fully resolved:
                no expression, no UNKNOWN. What the user asked for.
    attributes  a JSON-able ``dict`` in the spec's vocabulary (snake_case property names, the
                service's own value spellings) plus the ``computed`` attributes. ``read``,
                ``create`` and ``update`` return it; the state stores it (minus ``sensitive``).
    desired     ``desired(ctx, spec)``: the attributes the spec implies, with defaults filled in
                and ``write_only`` properties dropped. Diffed against observed attributes.
    cloud id    a string that names the resource in its cloud (ARM id, bucket name, ARN...).
                ``identify`` derives it from the spec alone (deterministic), so a create
                interrupted by a crash is found again on the next plan.

Contract (every handler passes ``tests/providers/conformance.py``)
    identify(ctx, spec) -> cloud id            pure; no cloud call.
    read(ctx, cloud_id) -> attributes | None   None means "does not exist". Never returns a
                                               ``sensitive`` attribute.
    create(ctx, spec) -> attributes            idempotent: adopts a resource already at its id.
    update(ctx, spec, observed, changes) -> attributes
                                               in place; only called when no change forces
                                               replacement.
    delete(ctx, cloud_id, attributes) -> None  idempotent: a missing resource is success.
    read_sensitive(ctx, cloud_id) -> dict      the ``sensitive`` attributes, fetched on demand
                                               (``output --show-sensitive``); never persisted.
    import_(ctx, cloud_id) -> attributes|None  defaults to ``read``.
    lookup(ctx, keys) -> (cloud id, attributes) | None
                                               optional (types with ``lookup_keys``): a data
                                               source's read-only lookup; defaults to ``read``
                                               at ``lookup_id``.
    replacement_problem(ctx, recorded, spec) -> str | None
                                               optional, pure: why replacing the resource state
                                               recorded (``recorded`` attributes) by ``spec``
                                               cannot succeed; the plan then fails, changing
                                               nothing. Default None (it can).
    delete_note(ctx, attributes) -> str | None
                                               optional, pure: what a delete of the resource
                                               deliberately leaves behind, for the plan to say
                                               (``retain_versions``). Default None.
    versions(ctx, cloud_id) -> [dict] | None   optional: the stored versions of a versioned
                                               artifact, newest first (``artifacts versions``);
                                               None for types that keep none (the default).
    batch_group(cloud_id) -> str | None       optional, pure: the container one listing covers
                                               (an S3 bucket, an Azure resource group...); None
                                               (the default): the resource is read alone.
    read_many(ctx, recorded) -> {addr: attributes | None | FollowUp}
                                               optional ("index, then read"): read several
                                               resources of one ``batch_group`` with fewer calls
                                               than one ``read`` each. See ``read_many``.
    spec_problems(resources) -> [(addr, property, message)]
                                               optional, pure: rules spanning several resources
                                               (a queue feature its namespace's SKU forbids);
                                               checked by ``validate``.

Errors: raise ``RetryableError`` (throttling, eventual consistency) or ``TerminalError``; SDK
retries (botocore standard mode, azure-core RetryPolicy) come first and are configured by the
session, not by handlers.

Tags: taggable handlers write ``ctx.managed_tags`` on top of the spec's ``tags`` and remove them
again from observed attributes (``strip_managed_tags``), so they never show in a diff.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeAlias, TypeVar

from pydantic import BaseModel

from modelinfra.reporting import NULL_REPORTER, Reporter

MANAGED_TAG_STACK = "modelinfra-stack"
MANAGED_TAG_ADDRESS = "modelinfra-address"

SpecT = TypeVar("SpecT", bound=BaseModel)

FollowUp: TypeAlias = Callable[["ResourceContext"], "dict[str, Any] | None"]
"""What ``read_many`` answers for a resource its listing could not settle: a call the engine makes
later with that resource's own context, like a ``read`` (retried, bounded by ``parallelism``),
answering what ``read`` would."""


@dataclass(frozen=True)
class ResourceContext:
    """What a handler may know about the resource it is working on.

    ``session`` is the provider session of the handler's cloud (``AwsSession`` or
    ``AzureSession``); ``spec_dir`` is the directory relative paths (``source``) resolve against;
    ``hard_delete`` is the resource's ``lifecycle.hard_delete`` (delete for real where the
    handler's default is to archive, e.g. Azure ML model versions); ``retain_versions`` its
    ``lifecycle.retain_versions`` (a delete keeps the noncurrent versions of a versioned artifact).
    """

    stack: str
    address: str
    spec_dir: Path
    session: Any
    reporter: Reporter = field(default=NULL_REPORTER)
    hard_delete: bool = False
    retain_versions: bool = False

    @property
    def managed_tags(self) -> dict[str, str]:
        return {MANAGED_TAG_STACK: self.stack, MANAGED_TAG_ADDRESS: tag_safe_address(self.address)}


def tag_safe_address(address: str) -> str:
    """``address`` as a tag value every cloud accepts (AWS allows letters, digits, spaces and
    ``_ . : / = + - @``): an instance key ``model["ranker"]`` is written ``model:ranker``, any
    other character outside the set becomes ``_``. Plain addresses are unchanged."""
    text = re.sub(r'\["((?:[^"\\]|\\.)*)"\]', r":\1", address)
    return re.sub(r"[^\w .:/=+\-@]", "_", text)


def strip_managed_tags(tags: Mapping[str, str] | None) -> dict[str, str]:
    """Observed tags without the ones modelinfra adds itself."""
    return {k: v for k, v in (tags or {}).items() if k not in (MANAGED_TAG_STACK, MANAGED_TAG_ADDRESS)}


class ResourceHandler(ABC, Generic[SpecT]):
    """Manages one resource type. See the module docstring for the contract."""

    type_name: ClassVar[str]
    """The spec's ``type``, e.g. ``aws.s3_bucket``."""
    cloud: ClassVar[str]
    """``aws`` or ``azure``: which provider session the handler needs."""
    spec_model: ClassVar[type[BaseModel]]
    computed: ClassVar[tuple[str, ...]] = ()
    """Attributes only known after create (``id``, ``arn``, ``url``...)."""
    recomputed_on_update: ClassVar[tuple[str, ...]] = ()
    """Computed attributes an in-place update may change (an S3 object's ``version_id`` and
    ``etag`` after a re-upload): while the resource is planned for update they are UNKNOWN to
    everything referencing it, so dependents are updated in the same apply."""
    sensitive: ClassVar[tuple[str, ...]] = ()
    """Computed attributes that are secrets; only ``read_sensitive`` returns them."""
    force_new: ClassVar[tuple[str, ...]] = ()
    """Property paths whose change forces replacement (a path prefix matches its children)."""
    write_only: ClassVar[tuple[str, ...]] = ()
    """Properties that cannot be read back (``source``, ``force_destroy``); never diffed against the
    cloud, only against the value state recorded at the last apply."""
    derived: ClassVar[tuple[str, ...]] = ()
    """Attributes ``desired`` derives from the spec (``sha256`` of ``source``): diffed, watched for
    drift, and referencable as ``${address.name}`` although not properties."""
    taggable: ClassVar[bool] = False
    cloud_id_form: ClassVar[str] = ""
    """The CLOUD_ID ``import`` takes, one line for ``import --help`` and the reference. An ARM id
    template (``/subscriptions/SUB/.../NAME``: upper-case segments are placeholders) is enforced
    by the default ``parse_cloud_id``, case-insensitively."""

    lookup_keys: ClassVar[tuple[str, ...]] = ()
    """Properties that identify an existing resource of this type for a data source (``data:``
    block), e.g. ``("name",)`` for an S3 bucket or ``("resource_group", "name")`` for an Azure
    resource; every one is required in the data block. Empty: the type cannot be looked up."""

    @abstractmethod
    def identify(self, ctx: ResourceContext, spec: SpecT) -> str: ...

    @abstractmethod
    def read(self, ctx: ResourceContext, cloud_id: str) -> dict[str, Any] | None: ...

    @abstractmethod
    def create(self, ctx: ResourceContext, spec: SpecT) -> dict[str, Any]: ...

    @abstractmethod
    def update(
        self, ctx: ResourceContext, spec: SpecT, observed: dict[str, Any], changes: list[Any]
    ) -> dict[str, Any]: ...

    @abstractmethod
    def delete(self, ctx: ResourceContext, cloud_id: str, attributes: dict[str, Any]) -> None: ...

    def desired(self, ctx: ResourceContext, spec: SpecT) -> dict[str, Any]:
        """Attributes the spec implies: every property (defaults filled), minus ``write_only``."""
        data = spec.model_dump(mode="json")
        for name in self.write_only:
            data.pop(name, None)
        return self.normalise(data)

    def normalise(self, attributes: dict[str, Any]) -> dict[str, Any]:
        """Canonical form applied to desired and observed alike (casing, ordering...)."""
        return attributes

    def read_sensitive(self, ctx: ResourceContext, cloud_id: str) -> dict[str, Any]:
        return {}

    def import_(self, ctx: ResourceContext, cloud_id: str) -> dict[str, Any] | None:
        return self.read(ctx, cloud_id)

    def lookup(self, ctx: ResourceContext, keys: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        """Find the existing resource a data source names by its ``lookup_keys`` values: its cloud
        id and its attributes (properties and computed, as ``read`` returns them), or None when it
        does not exist. Read-only: never creates, tags or changes anything. The default reads the
        resource at ``lookup_id``; types whose lookup is more than "identify, then read" override it."""
        cloud_id = self.lookup_id(ctx, keys)
        attributes = self.read(ctx, cloud_id)
        return None if attributes is None else (cloud_id, attributes)

    def lookup_id(self, ctx: ResourceContext, keys: dict[str, Any]) -> str:
        """The cloud id the ``lookup_keys`` values name: ``identify`` of a spec built (unvalidated,
        other properties at their defaults) from the keys alone, so it holds for types whose
        ``identify`` uses only those keys; others override it (or ``lookup``). Refuses a type
        without ``lookup_keys``."""
        if not self.lookup_keys:
            raise NotImplementedError(f"{self.type_name} cannot be used as a data source")
        return self.identify(ctx, self.spec_model.model_construct(**{k: keys[k] for k in self.lookup_keys}))

    def parse_cloud_id(self, cloud_id: str) -> str:
        """The id ``import`` records for a CLOUD_ID a user gave (an ARN made a name, an ARM id's
        keywords spelt canonically...). Pure; ``ValueError`` (user-facing) when it is not of this
        type's ``cloud_id_form``."""
        return match_template(cloud_id.strip(), self.cloud_id_form) if self.cloud_id_form.startswith("/") \
            else cloud_id.strip()

    def replacement_problem(self, ctx: ResourceContext, recorded: dict[str, Any], spec: SpecT) -> str | None:
        """Why a planned replacement of the resource recorded with ``recorded`` (its attributes in
        state) by ``spec`` cannot be carried out — e.g. an immutable ML model version re-created
        under the same number while its delete only archives it — with the remedies; None when it
        can. Pure: no cloud call. The planner calls it for every replacement and fails the plan
        (exit 1, nothing touched) on a non-None answer."""
        return None

    def delete_note(self, ctx: ResourceContext, attributes: dict[str, Any]) -> str | None:
        """What deleting the resource recorded with ``attributes`` keeps on purpose (e.g. the
        noncurrent versions of an artifact with ``lifecycle.retain_versions``), shown with the
        plan's delete or replace; None when the delete removes everything. Pure: no cloud call."""
        return None

    def versions(self, ctx: ResourceContext, cloud_id: str) -> list[dict[str, Any]] | None:
        """The stored versions of the artifact at ``cloud_id``, newest first, each at least
        ``{version_id, last_modified, size, is_latest}``; None when the type keeps no versions."""
        return None

    def batch_group(self, cloud_id: str) -> str | None:
        """The container whose listing covers the resource at ``cloud_id`` together with its
        siblings of this type (``read_many``), e.g. its bucket; None (the default) when the type
        has no batch read. Pure."""
        return None

    def read_many(
        self, ctx: ResourceContext, recorded: Mapping[str, tuple[str, dict[str, Any]]]
    ) -> dict[str, dict[str, Any] | None | FollowUp]:
        """Read several resources of one ``batch_group`` at once ("index, then read").

        ``recorded`` maps address -> (cloud id, the attributes state recorded for it, possibly
        empty or redacted); ``ctx`` is the run's context for this type (its ``address`` is empty).
        For each address the answer is exactly what ``read(ctx, cloud_id)`` would return now:
        attributes, or None when the listing proves the resource gone; or a ``FollowUp`` (a call
        taking the resource's own context and giving that answer, e.g. one HEAD for an object whose
        version moved) when the listing cannot prove the resource unchanged. An address left out
        is read with ``read``. An error means "the listing failed": the engine then reads every address alone.
        The default lists nothing: every address is read alone."""
        return {}

    def spec_problems(
        self, resources: Mapping[str, tuple[str, Mapping[str, Any]]]
    ) -> list[tuple[str, str, str]]:
        """Problems that need several resources' properties: ``resources`` maps every address to
        (type, evaluated properties, UNKNOWN where only known after apply). Returns (address of a
        resource of this type, property, message). Pure; the default finds none."""
        return []


def match_template(cloud_id: str, template: str) -> str:
    """``cloud_id`` with the template's literal segments spelt as in the template, when it matches
    the ARM id ``template`` case-insensitively (a trailing placeholder takes the rest, e.g. a blob
    name with ``/``); else ``ValueError`` naming the expected form."""
    given = cloud_id.strip("/").split("/")
    wanted = template.strip("/").split("/")
    if len(given) > len(wanted) and wanted[-1].isupper():
        given = [*given[: len(wanted) - 1], "/".join(given[len(wanted) - 1:])]
    out = []
    for part, want in zip(given, wanted, strict=False):
        placeholder = want.replace("_", "").isupper()
        if not part or (not placeholder and part.lower() != want.lower()):
            break
        out.append(part if placeholder else want)
    if len(given) != len(wanted) or len(out) != len(wanted):
        raise ValueError(f"{cloud_id!r} is not an id of this type; expected {template}")
    return "/" + "/".join(out)
