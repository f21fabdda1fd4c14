"""Every registered handler declares a consistent vocabulary."""

import pytest

from modelinfra.providers.registry import handler_for, known_types


@pytest.mark.parametrize("type_name", known_types())
def test_attribute_names_do_not_clash(type_name):
    handler = handler_for(type_name)
    fields = set(handler.spec_model.model_fields)
    assert not set(handler.write_only) & set(handler.computed), "an input and an output may not share a name"
    assert not set(handler.computed) & fields, "a computed attribute must not shadow a property"
    assert set(handler.write_only) <= fields and set(handler.force_new) <= fields
    assert set(handler.sensitive) <= set(handler.computed)
    assert handler.type_name == type_name and handler.cloud == type_name.split(".")[0]
