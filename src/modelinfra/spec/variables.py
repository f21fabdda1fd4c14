"""Variable values: where each comes from, and the one-line problems of a bad one.

Precedence, lowest first (as Terraform's): the declaration's ``default`` < ``MODELINFRA_VAR_<name>``
in the environment < ``--var-file FILE`` (in the order given) < ``--var name=value``. Strings from
``--var`` and the environment are typed like the default (JSON number/bool/list/map); values from a
var file keep their YAML type. A ``MODELINFRA_VAR_*`` naming no declared variable is a warning
(logged on ``modelinfra.spec``); a ``--var`` or var-file entry naming none is an error.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from modelinfra.errors import Problem
from modelinfra.spec.loader import Document
from modelinfra.spec.model import SpecDocument
from modelinfra.spec.suggest import did_you_mean

ENV_PREFIX = "MODELINFRA_VAR_"
log = logging.getLogger("modelinfra.spec")


class Assigned(dict[str, Any]):
    """Values set on the command line (``--var``, ``--var-file``); ``origins[name]`` says where
    each came from (``--var`` when not recorded)."""

    def __init__(self, values: Mapping[str, Any] | None = None, origins: Mapping[str, str] | None = None):
        super().__init__(values or {})
        self.origins: dict[str, str] = dict(origins or {})

    def origin(self, name: str) -> str:
        return self.origins.get(name, "--var")


def resolve(
    doc: Document, model: SpecDocument, assigned: Mapping[str, Any], environ: Mapping[str, str],
    problems: list[Problem],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Every declared variable's value and where it came from (``--var``, ``MODELINFRA_VAR_x``,
    ``--var-file F``, ``default``); problems for unset and unknown ones are appended."""
    assigned = assigned if isinstance(assigned, Assigned) else Assigned(assigned)
    declared = model.variables
    for name in assigned:
        if name not in declared:
            problems.append(doc.problem(("variables",), f"{assigned.origin(name)} {name}: no such variable is "
                                        f"declared{did_you_mean(name, declared)}"))
    for key in sorted(environ):
        name = key[len(ENV_PREFIX):]
        if key.startswith(ENV_PREFIX) and name not in declared:
            log.warning("%s is set but %s declares no variable %r%s; it is ignored.",
                        key, doc.display_name, name, did_you_mean(name, declared))
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for name, decl in declared.items():
        if name in assigned:
            values[name], origins[name] = _coerce(assigned[name], decl.default), assigned.origin(name)
        elif f"{ENV_PREFIX}{name}" in environ:
            values[name], origins[name] = _coerce(environ[f"{ENV_PREFIX}{name}"], decl.default), ENV_PREFIX + name
        elif "default" in decl.model_fields_set:  # an explicit `default: null` is a valid (unset) value
            values[name], origins[name] = decl.default, "default"
        else:
            problems.append(doc.problem(("variables", name), f"variable {name} has no value; pass --var {name}=VALUE, "
                                        f"set {ENV_PREFIX}{name} or give it a default"))
    return values, origins


def _coerce(raw: Any, default: Any) -> Any:
    """A ``--var`` string, typed like the variable's default (number/bool/list/map)."""
    if not isinstance(raw, str) or isinstance(default, str) or default is None:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw
