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


DATA_SOURCE_TYPES = ("azure.resource_group", "azure.storage_account", "azure.managed_disk", "azure.ml_workspace",
                     "azure.servicebus_namespace", "aws.s3_bucket", "aws.backup_vault")


@pytest.mark.parametrize("type_name", known_types())
def test_lookup_keys_are_readable_properties(type_name):
    handler = handler_for(type_name)
    assert set(handler.lookup_keys) <= set(handler.spec_model.model_fields)
    assert not set(handler.lookup_keys) & set(handler.write_only), "a lookup key must be readable"


def test_the_issue_15_types_can_be_data_sources():
    assert all(handler_for(type_name).lookup_keys for type_name in DATA_SOURCE_TYPES)
