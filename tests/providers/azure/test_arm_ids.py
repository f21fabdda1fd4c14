from __future__ import annotations

import pytest

from modelinfra.providers.azure import arm_ids

SUB = "00000000-0000-0000-0000-000000000000"


def test_resource_id_builds_canonical_keywords_and_keeps_name_casing() -> None:
    built = arm_ids.resource_id(SUB, "My-RG", "Microsoft.Storage", "storageAccounts", "acct",
                                "blobServices", "default", "containers", "c1")
    assert built == (f"/subscriptions/{SUB}/resourceGroups/My-RG/providers/Microsoft.Storage/storageAccounts/acct"
                     "/blobServices/default/containers/c1")


def test_parse_accepts_any_casing_and_round_trips() -> None:
    raw = f"/SUBSCRIPTIONS/{SUB}/RESOURCEGROUPS/My-RG/PROVIDERS/Microsoft.Compute/disks/d1/"
    parsed = arm_ids.parse(raw)
    assert (parsed.subscription_id, parsed.resource_group, parsed.namespace) == (SUB, "My-RG", "Microsoft.Compute")
    assert parsed.types == ("disks",) and parsed.name == "d1" and parsed.name_of("DISKS") == "d1"
    assert str(parsed) == f"/subscriptions/{SUB}/resourceGroups/My-RG/providers/Microsoft.Compute/disks/d1"


def test_parse_resource_group_and_subscription_level_ids() -> None:
    assert arm_ids.parse(arm_ids.resource_group_id(SUB, "rg")).name == "rg"
    sub_level = arm_ids.parse(f"/subscriptions/{SUB}/providers/Microsoft.Storage/storageAccounts/a")
    assert sub_level.resource_group is None and sub_level.name == "a"


@pytest.mark.parametrize("bad", ["", "/", "not-an-id", "/subscriptions/", f"/subscriptions/{SUB}/providers/X",
                                 f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/disks"])
def test_parse_rejects_malformed_ids(bad: str) -> None:
    with pytest.raises(ValueError, match="not an Azure resource id"):
        arm_ids.parse(bad)


def test_same_compares_case_insensitively() -> None:
    a = f"/subscriptions/{SUB}/resourceGroups/RG/providers/Microsoft.Compute/disks/D"
    assert arm_ids.same(a, a.lower() + "/")
    assert not arm_ids.same(a, a.replace("/D", "/E"))
    assert arm_ids.canonical(a) == a.lower()


def test_check_arm_id_checks_the_type() -> None:
    disk = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/disks/d"
    assert arm_ids.check_arm_id(disk, namespace="microsoft.compute", type_name="Disks") == disk
    with pytest.raises(ValueError, match="disks"):
        arm_ids.check_arm_id(disk.replace("disks", "snapshots"), namespace="Microsoft.Compute", type_name="disks")
