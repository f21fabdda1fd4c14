import pytest

from modelinfra.spec.expressions import ExpressionError, Reference, evaluate, find_references, parse_reference
from modelinfra.values import UNKNOWN


def lookup(ref: Reference):
    table = {"var.env": "dev", "var.size": 8, "rg.name": "grp", "rg.id": UNKNOWN, "var.flag": True}
    return table[ref.text]


def test_whole_string_reference_keeps_the_type():
    assert evaluate("${var.size}", lookup) == 8
    assert evaluate({"a": ["${var.flag}"]}, lookup) == {"a": [True]}


def test_embedded_reference_interpolates_text():
    assert evaluate("models${var.env}-${var.size}", lookup) == "modelsdev-8"


def test_any_unknown_part_makes_the_string_unknown():
    assert evaluate("${rg.id}", lookup) is UNKNOWN
    assert evaluate("x-${rg.id}", lookup) is UNKNOWN


def test_double_dollar_escapes_a_literal():
    assert evaluate("$${not.a.ref} ${var.env}", lookup) == "${not.a.ref} dev"


@pytest.mark.parametrize("inner", ["", "rg", "env.a.b", "each.key.x", "a b.c", "1x.y"])
def test_malformed_references_are_errors(inner):
    with pytest.raises(ExpressionError):
        parse_reference(inner)


def test_find_references_reports_paths_and_errors():
    found = list(find_references({"a": ["x ${rg.name}"], "b": "${}"}))
    assert found[0][0] == ("a", 0) and found[0][1] == Reference("resource", "rg", ("name",), "rg.name")
    assert found[1][0] == ("b",) and isinstance(found[1][1], ExpressionError)


def test_a_bare_resource_name_inside_a_call_suggests_that_name_with_an_attribute():
    found = [ref for _, ref in find_references({"x": "${upper(bucket)}"})]
    assert len(found) == 1 and isinstance(found[0], ExpressionError)
    assert str(found[0]).endswith("a resource reference needs an attribute, e.g. ${bucket.id}")


def test_an_unclosed_expression_is_found_and_an_escaped_one_is_not():
    found = [ref for _, ref in find_references({"a": "x-${var.env", "b": "$${literal", "c": "${var.env}"})]
    errors = [str(e) for e in found if isinstance(e, ExpressionError)]
    assert errors == ["unclosed expression '${var.env' (at character 3 of the string): add the closing '}', "
                      "or write $${ for a literal ${"]
