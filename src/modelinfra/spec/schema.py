"""The JSON Schema of a spec file, generated from the pydantic models (``modelinfra schema``).

Resource ``properties`` are constrained per ``type`` (if/then on the type name) by each handler's
``spec_model``; every property also accepts an expression string (``${...}``), whose value is only
checked after evaluation by ``validate``. The committed ``schemas/modelinfra.schema.json`` must equal
this output (a test checks it).
"""

from __future__ import annotations

from typing import Any

from modelinfra.providers.registry import handler_for, known_types
from modelinfra.spec.model import SpecDocument

SCHEMA_ID = "https://modelinfra.dev/schemas/modelinfra.schema.json"
EXPRESSION = {"type": "string", "pattern": r"\$\{[^}]+\}"}


def spec_schema() -> dict[str, Any]:
    schema = SpecDocument.model_json_schema()
    defs = schema.setdefault("$defs", {})
    branches = []
    for type_name in known_types():
        model = handler_for(type_name).spec_model
        sub = model.model_json_schema(ref_template="#/$defs/{model}")
        for name, definition in sub.pop("$defs", {}).items():
            defs.setdefault(name, definition)
        for name, prop in list(sub.get("properties", {}).items()):
            sub["properties"][name] = {"anyOf": [prop, EXPRESSION]}
        key = "props_" + type_name.replace(".", "_")
        defs[key] = sub
        branches.append({
            "if": {"properties": {"type": {"const": type_name}}, "required": ["type"]},
            "then": {"properties": {"properties": {"$ref": f"#/$defs/{key}"}}},
        })
    resource = defs["ResourceDecl"]
    resource["properties"]["type"] = {"enum": known_types(), "title": "Type", "type": "string"}
    resource["allOf"] = branches
    data = defs["DataDecl"]
    data["properties"]["type"] = {"enum": [t for t in known_types() if handler_for(t).lookup_keys] or known_types(),
                                  "title": "Type", "type": "string"}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "modelinfra spec"
    return schema
