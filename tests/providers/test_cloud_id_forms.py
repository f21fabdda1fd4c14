"""Every type names the CLOUD_ID form ``import`` takes, and accepts the forms users have."""

from __future__ import annotations

import pytest

from modelinfra.providers.registry import HANDLERS, handler_for


@pytest.mark.parametrize("type_name", sorted(HANDLERS))
def test_every_type_names_its_cloud_id_form(type_name: str):
    assert handler_for(type_name).cloud_id_form


@pytest.mark.parametrize(
    ("type_name", "given", "expected"),
    [
        ("aws.s3_bucket", "ml-models", "ml-models"),
        ("aws.s3_bucket", "arn:aws:s3:::ml-models", "ml-models"),
        ("aws.s3_bucket", "s3://ml-models", "ml-models"),
        ("aws.s3_object", "ml-models/a/b.bin", "ml-models/a/b.bin"),
        ("aws.s3_object", "arn:aws:s3:::ml-models/a/b.bin", "ml-models/a/b.bin"),
        ("aws.backup_vault", "arn:aws:backup:us-east-1:123456789012:backup-vault:main", "main"),
        ("azure.storage_account",
         "/SUBSCRIPTIONS/s/resourcegroups/rg/providers/microsoft.storage/storageaccounts/acct",
         "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct"),
        ("azure.blob",
         "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a/blobServices/default"
         "/containers/c/blobs/dir/m.bin",
         "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a/blobServices/default"
         "/containers/c/blobs/dir/m.bin"),
    ],
)
def test_user_forms_are_accepted(type_name: str, given: str, expected: str):
    assert handler_for(type_name).parse_cloud_id(given) == expected


@pytest.mark.parametrize(
    ("type_name", "given"),
    [
        ("aws.s3_bucket", "arn:aws:s3:::ml-models/key"),
        ("aws.s3_bucket", "Not_A_Bucket"),
        ("aws.s3_object", "ml-models"),
        ("aws.s3_object", "arn:aws:iam::123:role/x"),
        ("azure.storage_account", "acct"),
        ("azure.storage_account", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/d"),
    ],
)
def test_other_forms_are_refused_naming_the_expected_one(type_name: str, given: str):
    handler = handler_for(type_name)
    with pytest.raises(ValueError, match="expected") as caught:
        handler.parse_cloud_id(given)
    assert handler.cloud_id_form in str(caught.value)
