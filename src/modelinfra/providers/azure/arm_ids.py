"""Azure Resource Manager resource ids: build them from names, parse them, compare them.

An ARM id is ``/subscriptions/{sub}[/resourceGroups/{rg}][/providers/{Namespace}/{type}/{name}
[/{childType}/{childName}]...]``. Azure treats every segment case-insensitively and may answer
with a casing other than the one a resource was created with (resource-group names in ids
returned by Compute are a common example). Hence:

- ``resource_id`` / ``resource_group_id`` build ids deterministically from names (what
  ``identify`` returns), with the canonical keyword spelling (``subscriptions``,
  ``resourceGroups``, ``providers``) and the caller's casing for everything else;
- ``parse`` accepts any casing and returns the names as written in the id;
- ``canonical`` is the comparison key (lower case, no trailing slash) and ``same`` compares two
  ids with it. Never compare ids with ``==``.

Pure functions, no SDK; shared by every azure handler.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ArmId:
    """A parsed ARM id. ``types``/``names`` are the resource type chain below ``namespace``
    (``("storageAccounts", "blobServices", "containers")`` / ``("acct", "default", "c")``)."""

    subscription_id: str
    resource_group: str | None = None
    namespace: str | None = None
    types: tuple[str, ...] = ()
    names: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The last name in the id: the resource's own name (the group's for a group id)."""
        if self.names:
            return self.names[-1]
        return self.resource_group or self.subscription_id

    def name_of(self, type_name: str) -> str:
        """The name paired with ``type_name`` (case-insensitive); ``KeyError`` if absent."""
        for kind, name in zip(self.types, self.names, strict=True):
            if kind.lower() == type_name.lower():
                return name
        raise KeyError(type_name)

    def __str__(self) -> str:
        if self.namespace is None:
            if self.resource_group is None:
                return f"/subscriptions/{self.subscription_id}"
            return resource_group_id(self.subscription_id, self.resource_group)
        pairs = [part for pair in zip(self.types, self.names, strict=True) for part in pair]
        return resource_id(self.subscription_id, self.resource_group, self.namespace, *pairs)


def resource_group_id(subscription_id: str, resource_group: str) -> str:
    return f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"


def resource_id(subscription_id: str, resource_group: str | None, namespace: str, *type_name_pairs: str) -> str:
    """``resource_id(sub, "rg", "Microsoft.Storage", "storageAccounts", "acct")``; further
    ``type, name`` pairs address child resources. ``resource_group=None`` for subscription-level
    resources."""
    if not type_name_pairs or len(type_name_pairs) % 2:
        raise ValueError("resource_id needs type/name pairs")
    if any(not part or "/" in part for part in type_name_pairs):
        raise ValueError(f"invalid type/name segment in {type_name_pairs!r}")
    scope = f"/subscriptions/{subscription_id}"
    if resource_group is not None:
        scope = resource_group_id(subscription_id, resource_group)
    return f"{scope}/providers/{namespace}/" + "/".join(type_name_pairs)


def parse(arm_id: str) -> ArmId:
    """Parse an ARM id in any casing; ``ValueError`` with a user-facing message when malformed."""
    parts = [p for p in arm_id.strip().strip("/").split("/")]
    if len(parts) < 2 or parts[0].lower() != "subscriptions" or not parts[1] or "" in parts:
        raise ValueError(f"{arm_id!r} is not an Azure resource id (expected /subscriptions/<id>/...)")
    subscription_id, rest = parts[1], parts[2:]
    resource_group = None
    if len(rest) >= 2 and rest[0].lower() == "resourcegroups":
        resource_group, rest = rest[1], rest[2:]
    if not rest:
        return ArmId(subscription_id, resource_group)
    if rest[0].lower() != "providers" or len(rest) < 4 or len(rest) % 2:
        raise ValueError(f"{arm_id!r} is not an Azure resource id (expected .../providers/<Namespace>/<type>/<name>)")
    namespace, pairs = rest[1], rest[2:]
    return ArmId(subscription_id, resource_group, namespace, tuple(pairs[0::2]), tuple(pairs[1::2]))


def is_arm_id(value: str) -> bool:
    try:
        parse(value)
    except ValueError:
        return False
    return True


def canonical(arm_id: str) -> str:
    """The comparison key of an id: lower case, one leading slash, no trailing slash."""
    return "/" + arm_id.strip().strip("/").lower()


def same(a: str | None, b: str | None) -> bool:
    """True when two ids name the same resource (ARM ids are case-insensitive)."""
    if a is None or b is None:
        return a is b
    return canonical(a) == canonical(b)


def normalise_attributes(attributes: dict[str, Any], *, id_keys: tuple[str, ...] = ()) -> dict[str, Any]:
    """Canonical form of a tracked resource's attributes for diffing: ``location`` in ARM's short
    form (``West US`` -> ``westus``) and every id-valued attribute in ``id_keys`` as ``canonical``
    (lower case). Applied to desired and observed alike, so casing never shows as a diff."""
    out = dict(attributes)
    location = out.get("location")
    if isinstance(location, str):
        out["location"] = location.replace(" ", "").lower()
    for key in id_keys:
        value = out.get(key)
        if isinstance(value, str) and is_arm_id(value):
            out[key] = canonical(value)
    return out


def check_arm_id(value: str, *, namespace: str | None = None, type_name: str | None = None) -> str:
    """``value`` if it parses (and, when given, is of ``namespace/type_name``), else ``ValueError``."""
    parsed = parse(value)
    if namespace is not None and (parsed.namespace or "").lower() != namespace.lower():
        raise ValueError(f"{value!r} is not a {namespace} resource id")
    if type_name is not None and (not parsed.types or parsed.types[-1].lower() != type_name.lower()):
        raise ValueError(f"{value!r} is not the id of a {namespace or ''}/{type_name}".replace(" /", " "))
    return value
