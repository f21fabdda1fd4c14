"""The JSON Schema of a spec file, generated from the pydantic models (``modelinfra schema``).

Resource ``properties`` are constrained per ``type`` (if/then on the type name) by each handler's
``spec_model``; every property also accepts an expression string (``${...}``), whose value is only
checked after evaluation by ``validate``. The committed ``schemas/modelinfra.schema.json`` (and, for
a module's ``module.yaml``, ``schemas/module.schema.json``) must equal this output (a test checks it).

Every property carries a one-line ``description`` (an editor's hover): taken from the models'
attribute docstrings or ``Field(description=...)``, whitespace folded and RST double backticks made
single; a property the handler replaces on change says so.
"""

from __future__ import annotations

from typing import Any

from modelinfra.providers.registry import handler_for, known_types
from modelinfra.spec.model import ModuleDocument, SpecDocument

SCHEMA_ID = "https://modelinfra.dev/schemas/modelinfra.schema.json"
MODULE_SCHEMA_ID = "https://modelinfra.dev/schemas/module.schema.json"
EXPRESSION = {"type": "string", "pattern": r"\$\{[^}]+\}"}
FORCES_REPLACEMENT = "Changing it replaces the resource."


def spec_schema(module: bool = False) -> dict[str, Any]:
    """The schema of a spec file; with ``module``, of a local module's ``module.yaml``
    (``modelinfra schema --module``, committed as ``schemas/module.schema.json``)."""
    schema = (ModuleDocument if module else SpecDocument).model_json_schema()
    defs = schema.setdefault("$defs", {})
    branches = []
    for type_name in known_types():
        handler = handler_for(type_name)
        sub = handler.spec_model.model_json_schema(ref_template="#/$defs/{model}")
        for name, definition in sub.pop("$defs", {}).items():
            defs.setdefault(name, definition)
        for name, prop in list(sub.get("properties", {}).items()):
            hoisted = {k: prop.pop(k) for k in ("title", "description", "default") if k in prop}
            if name in handler.force_new and "description" in hoisted:
                hoisted["description"] = with_replacement_note(hoisted["description"])
            sub["properties"][name] = {**hoisted, "anyOf": [prop, EXPRESSION]}
        key = "props_" + type_name.replace(".", "_")
        defs[key] = sub
        branches.append({
            "if": {"properties": {"type": {"const": type_name}}, "required": ["type"]},
            "then": {"properties": {"properties": {
                "$ref": f"#/$defs/{key}", "description": f"Properties of a `{type_name}`."}}},
        })
    resource = defs["ResourceDecl"]
    type_description = resource["properties"]["type"].get("description")
    resource["properties"]["type"] = {"enum": known_types(), "title": "Type", "type": "string",
                                      **({"description": type_description} if type_description else {})}
    resource["allOf"] = branches
    data = defs["DataDecl"]
    data_type_description = data["properties"]["type"].get("description")
    data["properties"]["type"] = {"enum": [t for t in known_types() if handler_for(t).lookup_keys] or known_types(),
                                  "title": "Type", "type": "string",
                                  **({"description": data_type_description} if data_type_description else {})}
    _tidy_descriptions(schema)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = MODULE_SCHEMA_ID if module else SCHEMA_ID
    schema["title"] = "modelinfra module (module.yaml)" if module else "modelinfra spec"
    return schema


def with_replacement_note(description: str) -> str:
    """``description`` saying that a change replaces the resource, unless it says so already."""
    return description if "replac" in description.lower() else f"{description.rstrip()} {FORCES_REPLACEMENT}"


def one_line(text: str) -> str:
    """A docstring as one line of Markdown: whitespace folded, RST ````code```` as ```code```."""
    return " ".join(text.split()).replace("``", "`")


def _tidy_descriptions(node: Any) -> None:
    """Fold docstring whitespace to one line and write ``code`` with single backticks (Markdown)."""
    if isinstance(node, list):
        for item in node:
            _tidy_descriptions(item)
    elif isinstance(node, dict):
        if isinstance(node.get("description"), str):
            node["description"] = one_line(node["description"])
        for value in node.values():
            _tidy_descriptions(value)
