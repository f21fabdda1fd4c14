"""Saved plans (``plan --out FILE``): the ``plan --json`` document plus what apply needs to
re-derive it (spec path, digest, non-sensitive variables).

Written atomically (temp file, fsync, rename) with mode 0600, like state. Holds no secret:
sensitive variables are omitted (apply needs them again through ``--var`` or the environment,
and the digest check proves they are the same).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from modelinfra.errors import PlanError
from modelinfra.fileio import atomic_write_text
from modelinfra.plans.action import Action
from modelinfra.plans.plan import DataRead, DriftEntry, OutputChange, Plan, ResourceChange, change_from_json
from modelinfra.values import UNKNOWN

KIND = "modelinfra-plan"


def write_planfile(plan: Plan, path: Path) -> None:
    document = plan.to_json()
    document["kind"] = KIND
    document["spec_path"] = plan.spec_path
    document["spec_digest"] = plan.spec_digest
    document["variables"] = {k: v for k, v in plan.variables.items() if k not in plan.sensitive_variables}
    atomic_write_text(path, json.dumps(document, indent=2, sort_keys=True, default=str) + "\n")


def is_planfile(path: Path) -> bool:
    """True when ``path`` looks like a saved plan rather than a YAML spec."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096).lstrip()
    except OSError:
        return False
    return head.startswith(b"{") and KIND.encode() in head or path.suffix in (".plan", ".tfplan")


def read_planfile(path: Path) -> Plan:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PlanError(f"{path}: cannot read the plan file ({exc.strerror or exc})") from None
    except ValueError:  # not JSON (or not UTF-8): a plan file is what `plan --out FILE` wrote
        raise PlanError(f"{path}: not a modelinfra plan file (not JSON); save one with "
                        "`modelinfra plan SPEC --out FILE`") from None
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise PlanError(f"{path}: not a modelinfra plan file")
    if data.get("format_version") != "1.0":
        raise PlanError(f"{path}: unsupported plan format {data.get('format_version')!r}")
    changes = []
    for item in data["resource_changes"]:
        change = item["change"]
        changes.append(ResourceChange(
            address=item["address"],
            type=item["type"],
            action=Action.from_json_actions(change["actions"]),
            before=change.get("before"),
            after=_with_unknowns(change.get("after"), change.get("after_unknown")),
            changes=[change_from_json(c) for c in change.get("attribute_changes", [])],
            cloud_id=item.get("cloud_id"),
            reason=item.get("reason"),
            previous_address=item.get("previous_address"),
            importing=(change.get("importing") or {}).get("id"),
            sensitive_keys=sorted(change["after_sensitive"]) if isinstance(change.get("after_sensitive"), dict)
            else [],
        ))
    drift = [DriftEntry(d["address"], d["type"], d["status"], [change_from_json(c) for c in d["changes"]])
             for d in data.get("resource_drift", [])]
    outputs = [OutputChange(name, Action.from_json_actions(o["actions"]), o.get("before"),
                            UNKNOWN if o.get("after_unknown") else o.get("after"), o.get("after_sensitive", False))
               for name, o in data.get("output_changes", {}).items()]
    return Plan(
        stack=data["stack"], spec_path=data["spec_path"], spec_digest=data["spec_digest"],
        lineage=data.get("lineage"), serial=data.get("serial", 0), variables=data.get("variables", {}),
        resource_changes=changes, resource_drift=drift, output_changes=outputs,
        destroy=bool(data.get("destroy")), targets=list(data.get("targets", [])),
        data_sources=[DataRead.from_json(d) for d in data.get("data_sources", [])],
        refresh_only=bool(data.get("refresh_only")),
    )


def _with_unknowns(after: Any, mask: Any) -> Any:
    if mask is True:
        return UNKNOWN
    if isinstance(after, dict) and isinstance(mask, dict):
        merged = dict(after)
        for key, sub in mask.items():
            merged[key] = _with_unknowns(after.get(key), sub)
        return merged
    return after
