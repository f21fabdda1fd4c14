"""A plan in Terraform's JSON plan representation (``show -json`` of a plan file), for the tools
that read it: checkov ``--framework terraform_plan``, trivy, OPA/conftest, infracost.

``render(plan) -> dict`` fills ``format_version`` ("1.2"), ``terraform_version``,
``planned_values``, ``resource_changes``, ``prior_state``, ``configuration``, ``variables`` and
``output_changes``. Each modelinfra resource becomes the Terraform resource(s) a user would have
written (``tfmap_aws`` / ``tfmap_azure``; a type with no mapping falls back to
``modelinfra_<cloud>_<kind>``). Invariants:

- Addresses keep the modelinfra names: ``account`` -> ``azurerm_storage_account.account``;
  ``module.m.x`` -> ``module.m.azurerm_...x`` (in ``child_modules``); ``model["a"]`` ->
  ``aws_s3_object.model["a"]`` with ``index`` "a".
- Every attribute a mapper does not translate is kept under the block's ``modelinfra`` key
  (with the modelinfra type and address), never dropped.
- Values only known after apply are absent from ``after`` and true in ``after_unknown``; secrets
  are already redacted in the plan and flagged in ``before_sensitive`` / ``after_sensitive``.
- A sub-resource of an update (e.g. ``aws_s3_bucket_versioning``) is ``no-op`` when its own
  values do not change; create, delete and replace apply to every block of the resource.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from modelinfra.plans.action import Action
from modelinfra.plans.address import parse_address as split_address
from modelinfra.plans.plan import Plan, ResourceChange, _unknown_mask
from modelinfra.plans.plan import _known_only as _known
from modelinfra.values import SENSITIVE_MASK, is_redacted
from modelinfra.views import tfmap_aws, tfmap_azure
from modelinfra.views.tfmap_base import Mapper, TfBlock, generic, map_resource

FORMAT_VERSION = "1.2"
TERRAFORM_VERSION = "1.9.0"
PROVIDERS = {"aws": "registry.terraform.io/hashicorp/aws", "azurerm": "registry.terraform.io/hashicorp/azurerm",
             "modelinfra": "registry.terraform.io/modelinfra/modelinfra"}
MAPPERS: dict[str, Mapper] = {**tfmap_aws.MAPPERS, **tfmap_azure.MAPPERS}

@dataclass(frozen=True)
class TfAddress:
    module: str  # "" (root) or "module.a" / "module.a.module.b"
    name: str
    index: Any  # None, a str key or an int

    def of(self, tf_type: str) -> str:
        index = "" if self.index is None else f"[{_index_text(self.index)}]"
        prefix = f"{self.module}." if self.module else ""
        return f"{prefix}{tf_type}.{self.name}{index}"


def parse_address(address: str) -> TfAddress:
    parsed = split_address(address)
    return TfAddress(parsed.module, parsed.name, parsed.index)


def _index_text(index: Any) -> str:
    return str(index) if isinstance(index, int) else f'"{index}"'


def mapper_for(type_name: str) -> Mapper:
    return MAPPERS.get(type_name) or generic(type_name)


def provider_of(tf_type: str) -> str:
    return "azurerm" if tf_type.startswith("azurerm_") else "aws" if tf_type.startswith("aws_") else "modelinfra"


@dataclass
class _Pair:
    """One Terraform block of a modelinfra change: its values before and after (None if absent)."""

    address: TfAddress  # the block's own (the resource's, with the block's suffix)
    base: TfAddress  # the resource's: what ``refs`` point at
    type: str
    suffix: str
    before: TfBlock | None
    after: TfBlock | None
    change: ResourceChange


def _pairs(change: ResourceChange) -> list[_Pair]:
    """The blocks of one change, paired by (Terraform type, suffix): the after side's order first,
    then the blocks only the before side has (they are deleted)."""
    mapper = mapper_for(change.type)
    before = map_resource(mapper, change.type, change.address, change.before) if change.before is not None else []
    after = map_resource(mapper, change.type, change.address, change.after) if change.after is not None else []
    by_before = {(b.type, b.suffix): b for b in before}
    by_after = {(b.type, b.suffix): b for b in after}
    order = list(by_after) + [k for k in by_before if k not in by_after]
    base = parse_address(change.address)
    return [_Pair(_suffixed(base, suffix), base, t, suffix, by_before.get((t, suffix)), by_after.get((t, suffix)), change)
            for t, suffix in order]


def _suffixed(address: TfAddress, suffix: str) -> TfAddress:
    if not suffix:
        return address
    return TfAddress(address.module, f"{address.name}_{re.sub(r'[^A-Za-z0-9_-]', '_', suffix)}", address.index)


def render(plan: Plan) -> dict[str, Any]:
    pairs = [p for c in plan.resource_changes for p in _pairs(c)]
    return {
        "format_version": FORMAT_VERSION,
        "terraform_version": TERRAFORM_VERSION,
        "variables": {k: {"value": v} for k, v in sorted(plan.variables.items()) if k not in plan.sensitive_variables},
        "planned_values": {"root_module": _module_tree(
            (p.address, p.type, p.after) for p in pairs if p.after is not None)},
        "resource_changes": [_resource_change(p) for p in pairs],
        "output_changes": {o.name: o.to_json() for o in plan.output_changes},
        "prior_state": {"format_version": "1.0", "terraform_version": TERRAFORM_VERSION, "values": {
            "root_module": _module_tree((p.address, p.type, p.before) for p in pairs if p.before is not None)}},
        "configuration": {
            "provider_config": {name: {"name": name, "full_name": full} for name, full in PROVIDERS.items()
                                if any(provider_of(p.type) == name for p in pairs)},
            "root_module": _configuration(pairs),
        },
        "relevant_attributes": [],
        "applyable": plan.has_changes,
        "complete": True,
        "errored": False,
    }


def _resource_change(p: _Pair) -> dict[str, Any]:
    before = _known(p.before.values) if p.before else None
    after = _known(p.after.values) if p.after else None
    action = p.change.action
    if action is Action.UPDATE and p.before is not None and p.after is not None and before == after \
            and not _unknown_mask(p.after.values):
        actions = ["no-op"]
    elif action is Action.UPDATE and p.before is None:
        actions = ["create"]
    elif action is Action.UPDATE and p.after is None:
        actions = ["delete"]
    else:
        actions = action.json_actions
    out: dict[str, Any] = {
        **_identity(p.address, p.type),
        "change": {
            "actions": actions,
            "before": before,
            "after": after,
            "after_unknown": _unknown_mask(p.after.values) or {} if p.after else {},
            "before_sensitive": _sensitive(p.before),
            "after_sensitive": _sensitive(p.after),
        },
    }
    if action.is_replace:
        out["action_reason"] = "replace_because_cannot_update"
    if p.change.previous_address:
        out["previous_address"] = _suffixed(parse_address(p.change.previous_address), p.suffix).of(p.type)
    if p.change.importing:
        out["change"]["importing"] = {"id": p.change.importing}
    return out


def _identity(address: TfAddress, tf_type: str) -> dict[str, Any]:
    out: dict[str, Any] = {"address": address.of(tf_type)}
    if address.module:
        out["module_address"] = address.module
    out.update({"mode": "managed", "type": tf_type, "name": address.name})
    if address.index is not None:
        out["index"] = address.index
    out["provider_name"] = PROVIDERS[provider_of(tf_type)]
    return out


def _module_tree(items: Iterable[tuple[TfAddress, str, TfBlock]]) -> dict[str, Any]:
    """``root_module`` with ``resources`` and nested ``child_modules``, as Terraform lays them out."""
    root: dict[str, Any] = {"resources": []}
    modules: dict[str, dict[str, Any]] = {}
    for address, tf_type, block in items:
        resource = {**_identity(address, tf_type), "schema_version": 0, "values": _known(block.values),
                    "sensitive_values": _redacted_mask(block.values) or {}}
        resource.pop("module_address", None)
        _module(root, modules, address.module)["resources"].append(resource)
    return root


def _module(root: dict[str, Any], modules: dict[str, dict[str, Any]], path: str) -> dict[str, Any]:
    if not path:
        return root
    if path not in modules:
        parent = _module(root, modules, path.rsplit(".module.", 1)[0] if ".module." in path else "")
        modules[path] = {"address": path, "resources": []}
        parent.setdefault("child_modules", []).append(modules[path])
    return modules[path]


def _configuration(pairs: list[_Pair]) -> dict[str, Any]:
    """``configuration.root_module``: one entry per block (instances collapse to one), constants as
    ``constant_value`` and the blocks' links to their siblings as ``references``. A module's blocks
    sit under ``module_calls.<name>.module`` with addresses relative to the module, as Terraform
    writes them (checkov finds a child module's configuration there); their ``source`` is a
    placeholder, ``./modules/<name>``, as a plan does not record where a module came from."""
    root: dict[str, Any] = {"resources": []}
    seen: set[str] = set()
    for p in pairs:
        block = p.after or p.before
        assert block is not None
        key = TfAddress(p.address.module, p.address.name, None).of(p.type)
        if key in seen:
            continue
        seen.add(key)
        expressions: dict[str, Any] = {k: {"constant_value": v} for k, v in _known(block.values).items()}
        for attr, target in block.refs.items():
            ref = TfAddress("", p.base.name, None).of(target)
            expressions[attr] = {"references": [f"{ref}.id", ref]}
        _module_config(root, p.address.module)["resources"].append({
            "address": TfAddress("", p.address.name, None).of(p.type), "mode": "managed", "type": p.type,
            "name": p.address.name, "provider_config_key": provider_of(p.type), "expressions": expressions,
            "schema_version": 0})
    return root


def _module_config(root: dict[str, Any], path: str) -> dict[str, Any]:
    """The configuration block of module ``path`` ("module.a.module.b"), created on first use."""
    config = root
    for name in path.split(".")[1::2] if path else []:  # "module", name, "module", name ...
        call = config.setdefault("module_calls", {}).setdefault(
            name, {"source": f"./modules/{name}", "module": {"resources": []}})
        config = call["module"]
    return config


def _sensitive(block: TfBlock | None) -> Any:
    """Terraform's ``*_sensitive`` mask: true where the plan holds a redacted secret (found by
    value: the plan's sensitive keys are modelinfra names, the mapped ones differ)."""
    if block is None:
        return False
    return _redacted_mask(block.values) or {}


def _redacted_mask(value: Any) -> Any:
    if is_redacted(value) or value == SENSITIVE_MASK:
        return True
    if isinstance(value, dict):
        return {k: m for k, v in value.items() if (m := _redacted_mask(v)) not in (False, {})}
    return False
