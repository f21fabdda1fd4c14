"""The state model: the versioned JSON contract, its validation, and copies."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

import modelinfra.state
from modelinfra.errors import StateError
from modelinfra.state import ResourceState, State
from tests.state.conformance import sample_state


def document(**changes: Any) -> dict[str, Any]:
    data = sample_state("stack").to_json()
    data.update(changes)
    return data


def test_new_state_has_a_fresh_uuid4_lineage_and_serial_0():
    first, second = State.new("stack"), State.new("stack")
    assert first.lineage != second.lineage and uuid.UUID(first.lineage).version == 4
    assert (first.serial, first.version, first.resources, first.outputs) == (0, 1, {}, {})


def test_to_json_is_the_contract_shape_and_drops_sensitive_values():
    data = sample_state("stack").to_json()
    assert data["outputs"]["secret"] == {"sensitive": True}
    assert data["outputs"]["url"] == {"value": "https://b.s3.amazonaws.com/model.bin", "sensitive": False}
    assert data["resources"]["object"] == {
        "type": "aws.s3_object", "id": "b/model.bin", "attributes": {"size": 3, "sha256": "ab" * 32},
        "dependencies": ["bucket"], "status": "create_pending",
    }


def test_from_json_inverts_to_json():
    state = sample_state("stack")
    state.outputs["secret"] = {"sensitive": True}
    assert State.from_json(state.to_json()) == state


def test_copy_is_deep():
    state = sample_state("stack")
    clone = state.copy()
    clone.resources["bucket"].attributes["tags"]["team"] = "other"
    clone.outputs["nested"]["value"]["a"].append(3)
    assert state.resources["bucket"].attributes["tags"]["team"] == "ml"
    assert state.outputs["nested"]["value"]["a"] == [1, 2.5, None, True]


def test_resource_state_defaults_to_ready():
    assert ResourceState("aws.s3_bucket", "arn:aws:s3:::b", {}, []).status == "ready"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "must be a JSON object"),
        (document(version="1"), "no valid 'version'"),
        (document(version=0), "unsupported state version 0"),
        (document(version=2), "unsupported state version 2.*upgrade modelinfra"),
        (document(lineage="not-a-uuid"), "'lineage' must be a UUID"),
        (document(serial=-1), "'serial' must be >= 0"),
        (document(serial=True), "'serial' must be int, got a boolean"),
        (document(serial="3"), "'serial' must be int, got a string"),
        (document(extra=1), r"unknown keys \['extra'\]"),
        ({k: v for k, v in document().items() if k != "stack"}, "missing 'stack'"),
        (document(resources=[]), "'resources' must be dict, got an array"),
        (document(resources={"b": {"type": "t", "id": "i", "attributes": {}, "dependencies": [],
                                   "status": "gone"}}), "resource 'b' has status 'gone'"),
        (document(resources={"b": {"type": "t", "id": None, "attributes": {}, "dependencies": [],
                                   "status": "ready"}}), "resource 'b' 'id' must be str, got null"),
        (document(resources={"b": {"type": "t", "id": "i", "attributes": {}, "dependencies": [1],
                                   "status": "ready"}}), "'dependencies' must be a list of addresses"),
        (document(resources={"b": {"type": "t", "id": "i", "attributes": {}, "status": "ready"}}),
         "resource 'b' is missing 'dependencies'"),
        (document(outputs={"o": {"value": 1}}), "output 'o' is missing 'sensitive'"),
        (document(outputs={"o": {"sensitive": False}}), "output 'o' is missing 'value'"),
        (document(outputs={"o": 1}), "output 'o' must be an object"),
    ],
)
def test_from_json_rejects_malformed_content_saying_what_is_wrong(data: Any, message: str):
    with pytest.raises(StateError, match=message):
        State.from_json(data)


def test_a_stored_sensitive_value_is_dropped_on_read():
    data = document(outputs={"o": {"value": "leaked", "sensitive": True}})
    assert State.from_json(data).outputs == {"o": {"sensitive": True}}


def test_public_api_is_pinned():
    assert sorted(modelinfra.state.__all__) == sorted([
        "STATE_VERSION", "LocalBackend", "LockHeldError", "LockInfo", "ResourceState", "State",
        "StateBackend", "StateError", "StateLocker", "StateManager", "StateReader", "StateWriter",
    ])
    for name in modelinfra.state.__all__:
        assert getattr(modelinfra.state, name) is not None
