"""``Microsoft.ServiceBus``: namespaces, their authorization rules, and queues.

Wire shapes follow the REST spec azure-mgmt-servicebus 10 speaks (api-version 2026-01-01; older
stable versions accepted), ``properties`` nested:

- namespaces: PUT 202 + ``Azure-AsyncOperation`` (LRO), GET, PATCH 200, DELETE 202 (LRO; 204 when
  missing). Names are 6-50 letters, digits and hyphens, start with a letter, end with a letter or
  digit (400 ``InvalidNamespaceName``) and are globally unique (409 ``NamespaceNameNotAvailable``).
  ``sku.name`` is Basic, Standard or Premium (``sku.tier`` follows it); ``minimumTlsVersion``
  1.0/1.1/1.2 (default 1.2); ``disableLocalAuth`` default false; computed ``serviceBusEndpoint``,
  ``createdAt``, ``updatedAt``, ``metricId``, ``status``.
- ``AuthorizationRules/RootManageSharedAccessKey`` (rights Listen, Manage, Send) is created with
  the namespace. Every rule gets random key material when created; POST ``listKeys`` returns
  ``primaryKey``/``secondaryKey`` and the matching connection strings; POST ``regenerateKeys``
  (``{"keyType": "PrimaryKey"|"SecondaryKey"}``) replaces one. Keys are never part of a GET body.
- queues: PUT 200 (create and update), GET, DELETE 200 (204 when missing); defaults as the
  service fills them. ``lockDuration`` PT5S..PT5M, ``maxDeliveryCount`` >= 1, ``maxSizeInMegabytes``
  1024..5120 in 1 GB steps (Premium: up to 81920). A Basic namespace rejects
  ``requiresDuplicateDetection``, ``requiresSession``, ``forwardTo`` and
  ``forwardDeadLetteredMessagesTo`` (400); a Premium one rejects ``enableExpress`` (400).
  ``requiresDuplicateDetection``, ``requiresSession`` and ``enablePartitioning`` cannot change on an
  existing queue (400). ``autoDeleteOnIdle`` is at least PT5M, ``duplicateDetectionHistoryTimeWindow``
  PT20S..P7D (400). A forwarding destination must be an existing queue of the namespace, not the
  queue itself (400). A partitioned queue in a Basic or Standard namespace has 16 partitions and
  answers ``maxSizeInMegabytes`` as 16 times the size asked for. Durations are answered in
  canonical ISO 8601 form (``PT60S`` -> ``PT1M``).
"""

from __future__ import annotations

import base64
import re
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

from modelinfra.sandbox.arm.bodies import get_path
from modelinfra.sandbox.arm.errors import bad_request, conflict
from modelinfra.sandbox.arm.lro import utc_now_iso
from modelinfra.sandbox.arm.resource_type import Family, Lro, RequestContext, ResourceType
from modelinfra.sandbox.arm.store import Record

API_VERSIONS = ("2026-01-01", "2025-05-01-preview", "2024-01-01", "2022-10-01-preview", "2021-11-01")
NAMESPACE_TYPE = "Microsoft.ServiceBus/Namespaces"
RULE_TYPE = "Microsoft.ServiceBus/Namespaces/AuthorizationRules"
QUEUE_TYPE = "Microsoft.ServiceBus/Namespaces/Queues"
ROOT_RULE = "RootManageSharedAccessKey"
SKUS = ("Basic", "Standard", "Premium")
TLS_VERSIONS = ("1.0", "1.1", "1.2")
PARTITIONS = 16  # a partitioned queue outside Premium: 16 brokers, each with the requested size
MAX_TIMESPAN = "P10675199DT2H48M5.4775807S"  # TimeSpan.MaxValue: the service's "never"

TICKS_PER_SECOND = 10_000_000  # .NET TimeSpan resolution: 100 ns
_TIMESPAN = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")
_NAMESPACE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{4,48}[A-Za-z0-9]$")
_NS_PATH = "resourceGroups/{resourceGroupName}/providers/Microsoft.ServiceBus/namespaces/{namespaceName}"


# -- durations (the service's own: .NET TimeSpan ticks, answered as XmlConvert writes them) -------
def timespan_ticks(text: str) -> int | None:
    """``PnDTnHnMn.nS`` in 100 ns ticks; None when ``text`` is no such duration."""
    match = _TIMESPAN.match(text)
    if match is None or text in ("P", "PT") or text.endswith("T"):
        return None
    days, hours, minutes, seconds = match.groups()
    try:
        fraction = Decimal(seconds or 0) * TICKS_PER_SECOND
    except InvalidOperation:
        return None
    whole = ((int(days or 0) * 24 + int(hours or 0)) * 60 + int(minutes or 0)) * 60 * TICKS_PER_SECOND
    return whole + int(fraction)


def timespan_text(ticks: int) -> str:
    """Canonical spelling: zero units left out, up to 7 fraction digits (``PT1M``, ``P14D``, ``PT0S``)."""
    seconds, rest = divmod(ticks, TICKS_PER_SECOND)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    clock = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M")) if n)
    if seconds or rest:
        clock += f"{seconds}.{rest:07d}".rstrip("0").rstrip(".") + "S"
    text = (f"P{days}D" if days else "P") + (f"T{clock}" if clock else "")
    return "PT0S" if text == "P" else text


# -- namespaces ------------------------------------------------------------------------------------
def _validate_namespace(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    name = body["name"]
    if not _NAMESPACE_NAME.match(name) or name.lower().endswith(("-sb", "-mgmt")):
        raise bad_request("InvalidNamespaceName",
                          f"The specified namespace name '{name}' is invalid: 6-50 letters, digits and hyphens, "
                          "starting with a letter and ending with a letter or digit (not -sb or -mgmt).")
    if ctx.store.name_taken(NAMESPACE_TYPE, body):
        raise conflict("NamespaceNameNotAvailable", f"The namespace name '{name}' is already in use.")
    sku = get_path(body, "sku.name")
    if sku not in SKUS:
        raise bad_request("InvalidSku", f"The sku '{sku}' is not valid; use one of {', '.join(SKUS)}.")
    tls = get_path(body, "properties.minimumTlsVersion")
    if tls not in TLS_VERSIONS:
        raise bad_request("InvalidMinimumTlsVersion",
                          f"minimumTlsVersion '{tls}' is invalid; use one of {', '.join(TLS_VERSIONS)}.")


def _normalize_namespace(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    sku = body["sku"]
    sku["tier"] = sku["name"]
    if sku["name"] == "Premium":
        sku.setdefault("capacity", 1)
    else:
        sku.pop("capacity", None)
    props = body.setdefault("properties", {})
    now = utc_now_iso()
    props.setdefault("createdAt", now)
    props["updatedAt"] = now
    props["serviceBusEndpoint"] = f"https://{body['name']}.servicebus.windows.net:443/"
    props["metricId"] = f"{ctx.subscription_id}:{body['name'].lower()}"
    props["status"] = "Active"


def _create_root_rule(ctx: RequestContext, namespace: dict[str, Any]) -> None:
    rule_id = f"{namespace['id']}/AuthorizationRules/{ROOT_RULE}"
    body = {"id": rule_id, "name": ROOT_RULE, "type": RULE_TYPE, "location": namespace.get("location"),
            "properties": {"rights": ["Listen", "Manage", "Send"]}}
    ctx.store.put(Record(rule_id, RULE, body, extra={"keys": _new_keys()}))


# -- authorization rules ---------------------------------------------------------------------------
def _new_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _new_keys() -> dict[str, str]:
    return {"PrimaryKey": _new_key(), "SecondaryKey": _new_key()}


def _validate_rule(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    rights = get_path(body, "properties.rights")
    if not isinstance(rights, list) or not rights or any(r not in ("Listen", "Manage", "Send") for r in rights):
        raise bad_request("InvalidRights", "properties.rights must list some of Listen, Manage, Send.")
    if "Manage" in rights and not {"Listen", "Send"} <= set(rights):
        raise bad_request("InvalidRights", "The Manage right requires Listen and Send.")


def _keys(ctx: RequestContext, rule_id: str) -> dict[str, str]:
    """The rule's key material, kept beside the stored body (never in it), made on first use."""
    record = ctx.store.get(rule_id)
    assert record is not None  # the engine checked the rule exists
    return record.extra.setdefault("keys", _new_keys())


def _create_rule(ctx: RequestContext, body: dict[str, Any]) -> None:
    _keys(ctx, body["id"])


def _access_keys(ctx: RequestContext, rule: dict[str, Any]) -> dict[str, Any]:
    keys = _keys(ctx, rule["id"])
    namespace = rule["id"].split("/")[8]
    endpoint = f"Endpoint=sb://{namespace}.servicebus.windows.net/;SharedAccessKeyName={rule['name']};SharedAccessKey="
    return {"keyName": rule["name"],
            "primaryKey": keys["PrimaryKey"], "secondaryKey": keys["SecondaryKey"],
            "primaryConnectionString": endpoint + keys["PrimaryKey"],
            "secondaryConnectionString": endpoint + keys["SecondaryKey"]}


def _list_keys(ctx: RequestContext, rule: dict[str, Any], request: Any) -> tuple[int, Any]:
    return 200, _access_keys(ctx, rule)


def _regenerate_keys(ctx: RequestContext, rule: dict[str, Any], request: Any) -> tuple[int, Any]:
    key_type = request.get("keyType") if isinstance(request, dict) else None
    if key_type not in ("PrimaryKey", "SecondaryKey"):
        raise bad_request("InvalidKeyType", "keyType must be PrimaryKey or SecondaryKey.")
    _keys(ctx, rule["id"])[key_type] = request.get("key") or _new_key()
    return 200, _access_keys(ctx, rule)


# -- queues ----------------------------------------------------------------------------------------
def _namespace_of(ctx: RequestContext, child_id: str) -> dict[str, Any]:
    record = ctx.store.get(child_id.rsplit("/", 2)[0])
    assert record is not None  # the engine checked ancestors
    return record.body


def _duration(props: dict[str, Any], key: str) -> int:
    """``props[key]`` in ticks; 400 ``InvalidDuration`` when it is not an ISO 8601 duration."""
    ticks = timespan_ticks(str(props.get(key)))
    if ticks is None:
        raise bad_request("InvalidDuration", f"{key} '{props.get(key)}' is not a valid ISO 8601 duration.")
    return ticks


def _validate_queue(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    props = body.setdefault("properties", {})
    namespace = _namespace_of(ctx, body["id"])
    sku = get_path(namespace, "sku.name")
    lock = _duration(props, "lockDuration")
    if not 5 * TICKS_PER_SECOND <= lock <= 300 * TICKS_PER_SECOND:
        raise bad_request("InvalidLockDuration", "lockDuration must be between PT5S and PT5M.")
    for key in ("defaultMessageTimeToLive", "autoDeleteOnIdle", "duplicateDetectionHistoryTimeWindow"):
        _duration(props, key)
    count = props.get("maxDeliveryCount")
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise bad_request("InvalidMaxDeliveryCount", "maxDeliveryCount must be a positive integer.")
    size = props.get("maxSizeInMegabytes")
    top = 81920 if sku == "Premium" else 5120
    if not isinstance(size, int) or size % 1024 or not 1024 <= size <= top:
        raise bad_request("InvalidMaxSize", f"maxSizeInMegabytes {size} is invalid for a {sku} namespace: use a "
                          f"multiple of 1024 between 1024 and {top}.")
    if props.get("requiresDuplicateDetection") and sku == "Basic":
        raise bad_request("BadRequest",
                          "SubCode=40000. The property 'RequiresDuplicateDetection' cannot be set when creating a "
                          f"Queue because the namespace '{namespace['name']}' is using 'Basic' tier.")
    if sku == "Basic":
        for key, label in (("requiresSession", "RequiresSession"), ("forwardTo", "ForwardTo"),
                           ("forwardDeadLetteredMessagesTo", "ForwardDeadLetteredMessagesTo")):
            if props.get(key):
                raise bad_request("BadRequest", f"SubCode=40000. The property '{label}' cannot be set when creating "
                                  f"a Queue because the namespace '{namespace['name']}' is using 'Basic' tier.")
    if sku == "Premium" and props.get("enableExpress"):
        raise bad_request("BadRequest", "SubCode=40000. Express entities are not supported in a Premium namespace "
                          f"('{namespace['name']}').")
    if _duration(props, "autoDeleteOnIdle") < 300 * TICKS_PER_SECOND:
        raise bad_request("BadRequest", "SubCode=40000. The value supplied for AutoDeleteOnIdle must be at least "
                          "5 minutes.")
    if not 20 * TICKS_PER_SECOND <= _duration(props, "duplicateDetectionHistoryTimeWindow") <= 7 * 86400 * TICKS_PER_SECOND:
        raise bad_request("BadRequest", "SubCode=40000. DuplicateDetectionHistoryTimeWindow must be between 20 "
                          "seconds and 7 days.")
    for key in ("forwardTo", "forwardDeadLetteredMessagesTo"):
        _check_forward_target(ctx, body, key, props.get(key))
    if existing is not None:
        for key in ("requiresDuplicateDetection", "requiresSession", "enablePartitioning"):
            if bool(get_path(existing, f"properties.{key}")) != bool(props.get(key)):
                raise bad_request("BadRequest", f"SubCode=40000. The value for the '{key}' property of an existing "
                                  "Queue cannot be changed.")


def _check_forward_target(ctx: RequestContext, body: dict[str, Any], key: str, target: Any) -> None:
    """Auto-forwarding needs the destination to exist when the source is written (and not be itself)."""
    if target in (None, ""):
        return
    if not isinstance(target, str):
        raise bad_request("BadRequest", f"SubCode=40000. {key} must be the name of a queue or topic.")
    if target.lower() == body["name"].lower():
        raise bad_request("BadRequest", f"SubCode=40000. The entity '{body['name']}' cannot forward to itself.")
    namespace_id = body["id"].rsplit("/", 2)[0]
    if ctx.store.get(f"{namespace_id}/queues/{target}") is None:
        raise bad_request("BadRequest", f"SubCode=40000. The entity '{target}' named by {key} does not exist in "
                          f"namespace '{namespace_id.rsplit('/', 1)[1]}'.")


def _normalize_queue(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    props = body["properties"]
    for key in ("lockDuration", "defaultMessageTimeToLive", "autoDeleteOnIdle", "duplicateDetectionHistoryTimeWindow"):
        props[key] = timespan_text(_duration(props, key))
    now = utc_now_iso()
    props.setdefault("createdAt", now)
    props["updatedAt"] = now
    props.setdefault("accessedAt", "0001-01-01T00:00:00")
    sku = get_path(_namespace_of(ctx, body["id"]), "sku.name")
    if props.get("enablePartitioning") and sku != "Premium":
        props["maxSizeInMegabytes"] = props["maxSizeInMegabytes"] * PARTITIONS
    props.setdefault("maxMessageSizeInKilobytes", 1024 if sku == "Premium" else 256)
    for key, value in (("messageCount", 0), ("sizeInBytes", 0), ("status", "Active")):
        props.setdefault(key, value)
    props["countDetails"] = {"activeMessageCount": 0, "deadLetterMessageCount": 0, "scheduledMessageCount": 0,
                             "transferMessageCount": 0, "transferDeadLetterMessageCount": 0}


NAMESPACE = ResourceType(
    type=NAMESPACE_TYPE,
    path=_NS_PATH,
    api_versions=API_VERSIONS,
    put_lro=Lro("async"),
    delete_lro=Lro("async"),
    defaults={"tags": {}, "sku": {"name": "Standard"},
              "properties": {"minimumTlsVersion": "1.2", "disableLocalAuth": False, "publicNetworkAccess": "Enabled",
                             "zoneRedundant": False}},
    preserve=("properties.createdAt",),
    validate=_validate_namespace,
    normalize=_normalize_namespace,
    on_create=_create_root_rule,
)

RULE = ResourceType(
    type=RULE_TYPE,
    path=_NS_PATH + "/AuthorizationRules/{authorizationRuleName}",
    parent=NAMESPACE_TYPE,
    api_versions=API_VERSIONS,
    requires_location=False,
    provisioning_state=False,
    put_status=(200, 200),
    patch=False,
    delete_status=200,
    validate=_validate_rule,
    on_create=_create_rule,
    actions={"listkeys": _list_keys, "regeneratekeys": _regenerate_keys},
)

QUEUE = ResourceType(
    type=QUEUE_TYPE,
    path=_NS_PATH + "/queues/{queueName}",
    parent=NAMESPACE_TYPE,
    api_versions=API_VERSIONS,
    requires_location=False,
    provisioning_state=False,
    put_status=(200, 200),
    patch=False,
    delete_status=200,
    defaults={"properties": {
        "lockDuration": "PT1M", "maxSizeInMegabytes": 1024, "requiresDuplicateDetection": False,
        "requiresSession": False, "defaultMessageTimeToLive": MAX_TIMESPAN, "deadLetteringOnMessageExpiration": False,
        "duplicateDetectionHistoryTimeWindow": "PT10M", "maxDeliveryCount": 10, "enableBatchedOperations": True,
        "autoDeleteOnIdle": MAX_TIMESPAN, "enablePartitioning": False, "enableExpress": False,
    }},
    preserve=("properties.createdAt",),
    validate=_validate_queue,
    normalize=_normalize_queue,
)

FAMILY = Family(name="servicebus", types=(NAMESPACE, RULE, QUEUE))
