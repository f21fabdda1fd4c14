from modelinfra.plans.action import Action
from modelinfra.plans.diff import AttributeChange
from modelinfra.plans.plan import DriftEntry, OutputChange, Plan, ResourceChange
from modelinfra.values import UNKNOWN
from modelinfra.views.human import render_outputs, render_plan, render_value


def plan(changes, drift=(), outputs=()) -> str:
    p = Plan("s", "s.yaml", "d", None, 0, {}, list(changes), list(drift), list(outputs))
    return render_plan(p).plain


def test_each_action_uses_terraforms_symbols_and_summary():
    text = plan([
        ResourceChange("a", "aws.s3_bucket", Action.CREATE, None, {"name": "x", "arn": UNKNOWN}),
        ResourceChange("b", "aws.s3_bucket", Action.UPDATE, {}, {}, [AttributeChange("versioning", False, True)]),
        ResourceChange("c", "azure.storage_account", Action.DELETE_THEN_CREATE, {}, {},
                       [AttributeChange("name", "old", "new", True)], cloud_id="/x"),
        ResourceChange("d", "aws.s3_bucket", Action.DELETE, {"name": "gone"}, None),
    ])
    assert '  + resource "aws.s3_bucket" "a" {' in text and '+ arn  = (known after apply)' in text
    assert "~ versioning = false -> true" in text
    assert '-/+ resource "azure.storage_account" "c"' in text
    assert '~ name = "old" -> "new" # forces replacement' in text
    assert "# d will be destroyed" in text and '- name = "gone"' in text
    assert text.rstrip().endswith("Plan: 2 to add, 1 to change, 2 to destroy.")


def test_no_changes_and_drift_section():
    text = plan([], drift=[DriftEntry("b", "aws.s3_bucket", "modified", [AttributeChange("tags.team", "ml", "x")]),
                           DriftEntry("c", "aws.s3_bucket", "deleted")])
    assert "Note: objects have changed outside of modelinfra" in text
    assert '~ tags.team = "ml" -> "x"' in text and "# c has been deleted outside modelinfra" in text
    assert "No changes. Your infrastructure matches the configuration." in text


def test_output_changes_show_before_and_after_and_hide_sensitive_values():
    text = plan([ResourceChange("a", "aws.s3_bucket", Action.UPDATE, {}, {}, [AttributeChange("x", 1, 2)])],
                outputs=[OutputChange("v", Action.UPDATE, None, "new"),
                         OutputChange("secret", Action.CREATE, "(sensitive)", "(sensitive)", True)])
    assert '  ~ v      = null -> "new"\n' in text, "output names are aligned"
    assert "  + secret = (sensitive value)\n" in text


def test_an_adoption_is_a_change_even_without_cloud_actions():
    adopted = ResourceChange("rg", "azure.resource_group", Action.NOOP, {"name": "x"}, {"name": "x"},
                             reason="adopting a resource whose create was interrupted")
    p = Plan("s", "s.yaml", "d", None, 0, {}, [adopted])
    assert p.has_changes
    assert "# rg will be adopted into state (adopting a resource whose create was interrupted)" in render_plan(p).plain


def test_nested_values_print_as_nested_blocks_and_unknowns_never_look_like_strings():
    text = plan([ResourceChange("a", "aws.s3_bucket", Action.CREATE, None, {
        "name": "x", "tags": {"team": "ml", "cost-center": "42"},
        "lifecycle_rules": [{"id": "r", "days": 30}], "ids": [UNKNOWN]})])
    assert (
        '      + tags            = {\n'
        '            cost-center = "42"\n'
        '            team        = "ml"\n'
        '        }\n') in text, text
    assert '      + lifecycle_rules = [\n            {\n                days = 30\n                id   = "r"\n' in text
    assert "            (known after apply),\n" in text
    assert render_value([UNKNOWN, "a"]) == '[(known after apply), "a"]'


def test_outputs_are_quoted_and_aligned_as_apply_prints_them():
    assert render_outputs({"url": "https://x", "size_bytes": 3, "names": ["a"]}) == (
        'names      = [\n    "a",\n]\nsize_bytes = 3\nurl        = "https://x"\n')
