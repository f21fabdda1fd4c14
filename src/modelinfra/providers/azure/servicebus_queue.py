"""``azure.servicebus_queue``: a queue in a Service Bus namespace. Cloud id: its ARM id.

Invariants
- create and update are the same PUT (Service Bus queues have no PATCH); adopting an existing
  queue converges it.
- name, namespace, resource_group force replacement, and so do ``requires_duplicate_detection``,
  ``requires_session`` and ``enable_partitioning``: the service refuses to change them on an
  existing queue.
- durations (``lock_duration``, ``default_message_ttl``, ``auto_delete_on_idle``,
  ``duplicate_detection_history_time_window``) are ISO 8601 and compared in canonical form
  (``PT60S`` == ``PT1M``), the form the service answers with; ``default_message_ttl: null`` and
  ``auto_delete_on_idle: null`` leave the queue's value alone (never diffed, as Terraform treats an
  optional computed argument): an update, a whole-queue PUT, sends the observed value back, so
  removing either from the spec neither plans nor makes a change.
- ``forward_to`` / ``forward_dead_lettered_messages_to`` name a queue or topic of the same
  namespace; entity names are case-insensitive, so they are compared lower-cased. Unset means no
  forwarding, managed like any value: both sides hold ``""`` then (what Terraform's azurerm state
  holds), so removing a target from the spec plans ``"dead-letters" -> ""`` and the update clears it.
- a partitioned queue in a Basic or Standard namespace has 16 partitions and ARM reports
  ``maxSizeInMegabytes`` as 16 times the size asked for; ``read`` divides it back (one GET of the
  namespace for its SKU, only for partitioned queues), so ``max_size_mb`` does not flap.
- duplicate detection, sessions and auto-forwarding need a Standard or Premium namespace, express
  queues a Basic or Standard one, and sizes above 5 GB need Premium.
  The queue's own model cannot see the namespace SKU: ``namespace_problems`` (pure) checks a
  queue's properties against its namespace's and is meant to run at ``validate`` time; the
  service rejects the same combinations at apply time (400).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, Field

from modelinfra.providers.azure import arm_ids, listing
from modelinfra.providers.azure.errors import (
    azure_errors,
    ignore_not_found,
    read_or_none,
    visible_after_write,
)
from modelinfra.providers.azure.names import ResourceGroupName
from modelinfra.providers.azure.servicebus_namespace import NamespaceName
from modelinfra.providers.base import FollowUp, ResourceContext, ResourceHandler
from modelinfra.spec.fields import SpecModel

NAMESPACE = "Microsoft.ServiceBus"
LOCK_MIN, LOCK_MAX = timedelta(seconds=5), timedelta(minutes=5)
AUTO_DELETE_MIN = timedelta(minutes=5)
DUPLICATE_WINDOW_MIN, DUPLICATE_WINDOW_MAX = timedelta(seconds=20), timedelta(days=7)
PARTITIONS = 16
"""Partitions of a partitioned queue in a Basic or Standard namespace (ARM reports 16x its size)."""
STANDARD_SIZES_MB = (1024, 2048, 3072, 4096, 5120)
"""``maxSizeInMegabytes`` a Basic or Standard namespace accepts."""
PREMIUM_SIZES_MB = tuple(range(1024, 81920 + 1, 1024))
"""Premium: 1 GB steps up to 80 GB."""

_DURATION = re.compile(
    r"^P(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)
_QUEUE_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._/~-]*[A-Za-z0-9_])?$")


# -- ISO 8601 durations (the day-time subset Service Bus uses) -----------------------------------
def parse_duration(text: str) -> timedelta:
    """``"PT1M"`` -> ``timedelta(minutes=1)``. Accepts ``PnDTnHnMn.nS`` (no years/months: they
    have no fixed length); ``ValueError`` otherwise."""
    match = _DURATION.match(text or "")
    if not match or text in ("P", "PT") or text.endswith("T"):
        raise ValueError(f"{text!r} is not an ISO 8601 duration such as PT1M, PT30S or P14D")
    parts = {k: float(v) for k, v in match.groupdict().items() if v is not None}
    return timedelta(days=parts.get("days", 0), hours=parts.get("hours", 0), minutes=parts.get("minutes", 0),
                     seconds=parts.get("seconds", 0))


def format_duration(value: timedelta) -> str:
    """The canonical ISO 8601 spelling: largest units first, zero units omitted (``PT1M``, ``P14D``)."""
    micros = value // timedelta(microseconds=1)
    if micros < 0:
        raise ValueError("durations must not be negative")
    days, rest = divmod(micros, 86_400_000_000)
    hours, rest = divmod(rest, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    seconds, fraction = divmod(rest, 1_000_000)
    out = f"P{days}D" if days else "P"
    clock = ""
    if hours:
        clock += f"{hours}H"
    if minutes:
        clock += f"{minutes}M"
    if seconds or fraction:
        clock += f"{seconds}.{fraction:06d}".rstrip("0").rstrip(".") + "S"
    if clock:
        out += "T" + clock
    return out if out != "P" else "PT0S"


def canonical_duration(text: str | None) -> str | None:
    """``text`` in canonical form (unchanged when it does not parse; ``None`` stays ``None``)."""
    if text is None:
        return None
    try:
        return format_duration(parse_duration(text))
    except ValueError:
        return text


def _check_duration(text: str) -> str:
    parse_duration(text)
    return text


def _check_lock_duration(text: str) -> str:
    if not LOCK_MIN <= parse_duration(text) <= LOCK_MAX:
        raise ValueError(f"lock_duration {text!r} must be between PT5S and PT5M")
    return text


def _check_auto_delete(text: str | None) -> str | None:
    if text is not None and parse_duration(text) < AUTO_DELETE_MIN:
        raise ValueError(f"auto_delete_on_idle {text!r} must be at least PT5M")
    return text


def _check_duplicate_window(text: str) -> str:
    if not DUPLICATE_WINDOW_MIN <= parse_duration(text) <= DUPLICATE_WINDOW_MAX:
        raise ValueError(f"duplicate_detection_history_time_window {text!r} must be between PT20S and P7D")
    return text


def _check_max_size(size: int) -> int:
    if size not in PREMIUM_SIZES_MB:
        raise ValueError(f"max_size_mb {size} must be one of 1024, 2048, 3072, 4096, 5120 (any SKU) or a "
                         "multiple of 1024 up to 81920 (Premium)")
    return size


def _check_queue_name(name: str) -> str:
    if not 1 <= len(name) <= 260 or not _QUEUE_NAME.match(name):
        raise ValueError(f"queue name {name!r} must be 1 to 260 letters, digits, periods, hyphens, underscores "
                         "or slashes, start with a letter or digit and end with a letter, digit or underscore")
    return name


Duration = Annotated[str, AfterValidator(_check_duration)]
LockDuration = Annotated[str, AfterValidator(_check_lock_duration)]
MaxSizeMb = Annotated[int, AfterValidator(_check_max_size)]
QueueName = Annotated[str, AfterValidator(_check_queue_name)]
AutoDeleteOnIdle = Annotated[str | None, AfterValidator(_check_auto_delete)]
DuplicateWindow = Annotated[str, AfterValidator(_check_duplicate_window)]
ForwardTarget = Annotated[str | None, AfterValidator(lambda v: v if v is None else _check_queue_name(v))]


# -- cross-resource checks (queue vs its namespace) -----------------------------------------------
def duplicate_detection_problem(queue_props: dict[str, Any], namespace_props: dict[str, Any]) -> str | None:
    """Why the queue cannot have duplicate detection in that namespace, or None.

    Both arguments are spec property dicts (``sku`` missing means the namespace default,
    Standard). Pure: meant for ``validate``, before any cloud call."""
    if not queue_props.get("requires_duplicate_detection"):
        return None
    sku = namespace_props.get("sku") or "Standard"
    if sku == "Basic":
        return ("requires_duplicate_detection needs a Standard or Premium namespace; namespace "
                f"{namespace_props.get('name', '?')!r} is Basic")
    return None


def standard_feature_problems(queue_props: dict[str, Any], namespace_props: dict[str, Any]) -> list[tuple[str, str]]:
    """``(property, why)`` for each Standard/Premium-only feature the queue uses in a Basic namespace
    (sessions, auto-forwarding), and for ``enable_express`` in a Premium one (pure)."""
    sku = namespace_props.get("sku") or "Standard"
    name = namespace_props.get("name", "?")
    found: list[tuple[str, str]] = []
    if sku == "Basic":
        for prop in ("requires_session", "forward_to", "forward_dead_lettered_messages_to"):
            if queue_props.get(prop):
                found.append((prop, f"{prop} needs a Standard or Premium namespace; namespace {name!r} is Basic"))
    if sku == "Premium" and queue_props.get("enable_express"):
        found.append(("enable_express", f"enable_express is not supported in a Premium namespace ({name!r})"))
    return found


def max_size_problem(queue_props: dict[str, Any], namespace_props: dict[str, Any]) -> str | None:
    """Why ``max_size_mb`` is not allowed in that namespace's SKU, or None (pure)."""
    size = queue_props.get("max_size_mb", 1024)
    sku = namespace_props.get("sku") or "Standard"
    if sku != "Premium" and isinstance(size, int) and size not in STANDARD_SIZES_MB:
        return f"max_size_mb {size} needs a Premium namespace; {sku} allows 1024, 2048, 3072, 4096 or 5120"
    return None


def namespace_problems(queue_props: dict[str, Any], namespace_props: dict[str, Any]) -> list[str]:
    """Every cross-resource problem of a queue in that namespace (empty when fine)."""
    found = (duplicate_detection_problem(queue_props, namespace_props), max_size_problem(queue_props, namespace_props))
    return [p for p in found if p] + [why for _, why in standard_feature_problems(queue_props, namespace_props)]


def spec_problems(resources: Mapping[str, tuple[str, Mapping[str, Any]]]) -> list[tuple[str, str, str]]:
    """Cross-resource problems of every queue whose namespace is declared in the same spec.

    ``resources`` maps address -> (type, evaluated properties); values not known before apply
    (anything but a string name) never match. A queue belongs to the namespace resource with the
    same ``name`` and ``resource_group``. Returns ``(queue address, property, message)`` sorted, the
    property being where ``validate`` should point. Pure: no cloud call."""
    namespaces = {
        (props.get("resource_group"), props.get("name")): props
        for type_name, props in resources.values()
        if type_name == "azure.servicebus_namespace" and isinstance(props.get("name"), str)
    }
    found: list[tuple[str, str, str]] = []
    for address, (type_name, props) in resources.items():
        if type_name != "azure.servicebus_queue" or not isinstance(props.get("namespace"), str):
            continue
        namespace = namespaces.get((props.get("resource_group"), props["namespace"]))
        if namespace is None:
            continue
        queue, ns = dict(props), dict(namespace)
        for prop, problem in (("requires_duplicate_detection", duplicate_detection_problem(queue, ns)),
                              ("max_size_mb", max_size_problem(queue, ns))):
            if problem:
                found.append((address, prop, problem))
        found.extend((address, prop, problem) for prop, problem in standard_feature_problems(queue, ns))
    return sorted(found)


# -- the handler ---------------------------------------------------------------------------------
DURATIONS = ("lock_duration", "default_message_ttl", "auto_delete_on_idle", "duplicate_detection_history_time_window")
"""Properties holding ISO 8601 durations (compared in canonical form)."""
UNMANAGED_WHEN_NULL = ("default_message_ttl", "auto_delete_on_idle")
"""Properties a null in the spec leaves as they are (optional and computed, in Terraform's words)."""
FORWARD_TARGETS = ("forward_to", "forward_dead_lettered_messages_to")
"""Entity names messages are forwarded to: ``""`` on both sides when there is none."""
WIRE_NAMES = {
    "max_delivery_count": "maxDeliveryCount",
    "lock_duration": "lockDuration",
    "requires_duplicate_detection": "requiresDuplicateDetection",
    "dead_lettering_on_message_expiration": "deadLetteringOnMessageExpiration",
    "default_message_ttl": "defaultMessageTimeToLive",
    "max_size_mb": "maxSizeInMegabytes",
    "requires_session": "requiresSession",
    "forward_to": "forwardTo",
    "forward_dead_lettered_messages_to": "forwardDeadLetteredMessagesTo",
    "auto_delete_on_idle": "autoDeleteOnIdle",
    "enable_partitioning": "enablePartitioning",
    "duplicate_detection_history_time_window": "duplicateDetectionHistoryTimeWindow",
    "enable_batched_operations": "enableBatchedOperations",
    "enable_express": "enableExpress",
}
"""Spec property -> ARM ``properties`` key (Microsoft.ServiceBus queues)."""
BOOLEANS = ("requires_duplicate_detection", "dead_lettering_on_message_expiration", "requires_session",
            "enable_partitioning", "enable_batched_operations", "enable_express")


class ServiceBusQueueSpec(SpecModel):
    name: QueueName
    """Queue name, 1 to 260 letters, digits, '.', '-', '_' or '/'."""
    namespace: NamespaceName
    """Name of the Service Bus namespace (e.g. ``${ns.name}``)."""
    resource_group: ResourceGroupName
    """Resource group of the namespace."""
    max_delivery_count: int = Field(default=10, ge=1, le=2000)
    """Deliveries before a message is dead-lettered (1 to 2000)."""
    lock_duration: LockDuration = "PT1M"
    """How long a received message stays locked, ISO 8601 (``PT5S`` to ``PT5M``)."""
    requires_duplicate_detection: bool = False
    """Drop messages whose MessageId was seen recently (Standard/Premium)."""
    dead_lettering_on_message_expiration: bool = False
    """Move expired messages to the dead-letter queue instead of dropping them."""
    default_message_ttl: Duration | None = None
    """Time to live of a message without its own, ISO 8601 (``P14D``); unset: the service maximum."""
    max_size_mb: MaxSizeMb = 1024
    """Queue size in MB: 1024 to 5120 in steps of 1024 (Premium: up to 81920)."""
    requires_session: bool = False
    """Messages are received in sessions (FIFO per session id); Standard/Premium. Forces replacement."""
    forward_to: ForwardTarget = None
    """Name of a queue or topic in the same namespace every message is forwarded to; Standard/Premium."""
    forward_dead_lettered_messages_to: ForwardTarget = None
    """Name of a queue or topic in the same namespace dead-lettered messages are forwarded to."""
    auto_delete_on_idle: AutoDeleteOnIdle = None
    """Delete the queue after it has been idle this long, ISO 8601, at least ``PT5M``; unset: never."""
    enable_partitioning: bool = False
    """Spread the queue over several message brokers (Basic/Standard: 16 partitions). Forces replacement."""
    duplicate_detection_history_time_window: DuplicateWindow = "PT10M"
    """How long MessageIds are remembered for duplicate detection, ISO 8601 (``PT20S`` to ``P7D``)."""
    enable_batched_operations: bool = True
    """Let the service batch store operations (higher throughput, slightly higher latency)."""
    enable_express: bool = False
    """Hold messages in memory before writing them to storage (Basic/Standard only)."""


class ServiceBusQueueHandler(ResourceHandler[ServiceBusQueueSpec]):
    type_name: ClassVar[str] = "azure.servicebus_queue"
    cloud_id_form: ClassVar[str] = "/subscriptions/SUB/resourceGroups/RG/providers/Microsoft.ServiceBus/namespaces/NAMESPACE/queues/NAME"
    cloud: ClassVar[str] = "azure"
    spec_model = ServiceBusQueueSpec
    computed: ClassVar[tuple[str, ...]] = ("id",)
    force_new: ClassVar[tuple[str, ...]] = ("name", "namespace", "resource_group", "requires_duplicate_detection",
                                            "requires_session", "enable_partitioning")
    lookup_keys: ClassVar[tuple[str, ...]] = ("resource_group", "namespace", "name")

    def spec_problems(
        self, resources: Mapping[str, tuple[str, Mapping[str, Any]]]
    ) -> list[tuple[str, str, str]]:
        return spec_problems(resources)

    def identify(self, ctx: ResourceContext, spec: ServiceBusQueueSpec) -> str:
        return arm_ids.resource_id(ctx.session.subscription_id, spec.resource_group, NAMESPACE,
                                   "namespaces", spec.namespace, "queues", spec.name)

    def normalise(self, attributes: dict[str, Any]) -> dict[str, Any]:
        out = dict(attributes)
        for key in DURATIONS:
            if key in out:
                out[key] = canonical_duration(out[key])
        for key in FORWARD_TARGETS:
            if key in out:
                out[key] = (out[key] or "").lower()
        return out

    def read(self, ctx: ResourceContext, cloud_id: str) -> dict[str, Any] | None:
        parsed = arm_ids.parse(cloud_id)
        group, namespace, name = parsed.resource_group or "", parsed.name_of("namespaces"), parsed.name
        client = ctx.session.mgmt("servicebus")
        queue = read_or_none(f"reading queue {name}", lambda: client.queues.get(group, namespace, name))
        if queue is None:
            return None
        return self._attributes(cloud_id, queue.as_dict(), _NamespaceSku(ctx, group, namespace))

    def batch_group(self, cloud_id: str) -> str | None:
        return listing.collection_of(cloud_id)

    def read_many(
        self, ctx: ResourceContext, recorded: Mapping[str, tuple[str, dict[str, Any]]]
    ) -> dict[str, dict[str, Any] | None | FollowUp]:
        """One ``ListByNamespace`` (full queue bodies, paged) stands for a GET each."""
        parsed = arm_ids.parse(next(iter(recorded.values()))[0])
        group, namespace = parsed.resource_group or "", parsed.name_of("namespaces")
        client = ctx.session.mgmt("servicebus")
        listed = listing.index(f"listing queues of namespace {namespace}",
                               lambda: client.queues.list_by_namespace(group, namespace))
        sku = _NamespaceSku(ctx, group, namespace)
        return listing.answers(recorded, listed, lambda cloud_id, body: self._attributes(cloud_id, body, sku))

    def _attributes(self, cloud_id: str, body: dict[str, Any], sku: _NamespaceSku) -> dict[str, Any]:
        """The attributes a GET (or list) body describes (``sku`` is asked only for a partitioned queue)."""
        parsed = arm_ids.parse(cloud_id)
        props = body.get("properties") or {}
        attributes: dict[str, Any] = {
            "name": parsed.name,
            "namespace": parsed.name_of("namespaces"),
            "resource_group": parsed.resource_group or "",
        }
        for prop, wire in WIRE_NAMES.items():
            value = props.get(wire)
            attributes[prop] = bool(value) if prop in BOOLEANS else (value if value != "" else None)
        size = attributes["max_size_mb"]
        if attributes["enable_partitioning"] and isinstance(size, int) and sku.get() != "Premium":
            attributes["max_size_mb"] = size // PARTITIONS
        attributes["id"] = cloud_id
        return self.normalise(attributes)

    def create(self, ctx: ResourceContext, spec: ServiceBusQueueSpec) -> dict[str, Any]:
        return self._put(ctx, spec, "creating", {})

    def update(
        self, ctx: ResourceContext, spec: ServiceBusQueueSpec, observed: dict[str, Any], changes: list[Any]
    ) -> dict[str, Any]:
        return self._put(ctx, spec, "updating", observed)

    def delete(self, ctx: ResourceContext, cloud_id: str, attributes: dict[str, Any]) -> None:
        parsed = arm_ids.parse(cloud_id)
        client = ctx.session.mgmt("servicebus")
        ignore_not_found(f"deleting queue {parsed.name}", lambda: client.queues.delete(
            parsed.resource_group or "", parsed.name_of("namespaces"), parsed.name))

    def _put(self, ctx: ResourceContext, spec: ServiceBusQueueSpec, verb: str,
             observed: Mapping[str, Any]) -> dict[str, Any]:
        """One whole-queue PUT of the spec. An unmanaged duration (null in the spec) keeps
        ``observed``'s value: a PUT without it would reset it to the service default, a change
        no plan showed. An unset forwarding target is sent as absent (no forwarding)."""
        data = spec.model_dump()
        properties: dict[str, Any] = {}
        for prop, wire in WIRE_NAMES.items():
            value = data[prop]
            if value is None and prop in UNMANAGED_WHEN_NULL:
                value = observed.get(prop)
            if value is None:
                continue  # unset: the service default (for a forwarding target: none)
            properties[wire] = canonical_duration(value) if prop in DURATIONS else value
        client = ctx.session.mgmt("servicebus")
        with azure_errors(f"{verb} queue {spec.name} in namespace {spec.namespace}"):
            client.queues.create_or_update(spec.resource_group, spec.namespace, spec.name, {"properties": properties})
        return visible_after_write(self.read(ctx, self.identify(ctx, spec)), f"queue {spec.name}")


class _NamespaceSku:
    """The SKU of a queue's namespace, read (one GET) the first time it is asked for, then kept."""

    def __init__(self, ctx: ResourceContext, group: str, namespace: str) -> None:
        self._ctx, self._group, self._namespace = ctx, group, namespace
        self._sku: str | None = None
        self._read = False

    def get(self) -> str | None:
        if not self._read:
            client = self._ctx.session.mgmt("servicebus")
            found = read_or_none(f"reading namespace {self._namespace}",
                                 lambda: client.namespaces.get(self._group, self._namespace))
            self._sku = ((found.as_dict().get("sku") or {}).get("name")) if found is not None else None
            self._read = True
        return self._sku
