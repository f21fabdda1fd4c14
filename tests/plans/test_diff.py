from modelinfra.plans.diff import AttributeChange, diff_attributes, path_matches
from modelinfra.values import UNKNOWN


def test_equal_attributes_have_no_changes():
    assert diff_attributes({"a": 1, "t": {"x": "1"}}, {"a": 1, "t": {"x": "1"}, "extra": 5}) == []


def test_nested_changes_are_dotted_paths():
    changes = diff_attributes({"t": {"x": "2"}, "r": [{"s": 1}]}, {"t": {"x": "1"}, "r": [{"s": 2}]})
    assert changes == [AttributeChange("r[0].s", 2, 1), AttributeChange("t.x", "1", "2")]


def test_added_and_removed_keys_show_none_on_the_missing_side():
    changes = diff_attributes({"tags": {"a": "1", "c": "3"}}, {"tags": {"b": "2", "c": "3"}})
    assert changes == [AttributeChange("tags.a", None, "1"), AttributeChange("tags.b", "2", None)]


def test_none_in_desired_is_unmanaged_but_not_for_drift():
    assert diff_attributes({"kms": None}, {"kms": "key"}) == []
    assert diff_attributes({"kms": None}, {"kms": "key"}, none_is_unmanaged=False) == [
        AttributeChange("kms", "key", None)
    ]


def test_ignore_changes_and_force_new_match_path_prefixes():
    changes = diff_attributes({"name": "b", "tags": {"x": "2"}}, {"name": "a", "tags": {"x": "1"}},
                              ignore=["tags"], force_new=["name"])
    assert changes == [AttributeChange("name", "a", "b", True)]


def test_unknown_is_always_a_change():
    assert diff_attributes({"id": UNKNOWN}, {"id": "x"}) == [AttributeChange("id", "x", UNKNOWN)]


def test_path_matching():
    assert path_matches("tags.team", "tags") and path_matches("rules[0].x", "rules")
    assert not path_matches("tagsx", "tags")
