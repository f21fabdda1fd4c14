from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from modelinfra.plans.diff import AttributeChange
from modelinfra.views.drift_junit import render, xml_text
from modelinfra.views.drift_report import render_report
from tests.views import (
    GENERATED_AT,
    SPEC,
    deleted,
    in_sync,
    mixed_report,
    modified,
    not_created,
    pending,
    report,
    unmanaged,
    with_unmanaged,
)

# The shape of the common Jenkins/Surefire junit-10.xsd: per element, the attributes it allows,
# those it requires, and the child elements it allows.
_SUREFIRE_TIME = re.compile(r"(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?")
_RESULT = {"allowed": {"type", "message"}, "required": set(), "children": set()}
JUNIT_10_SHAPE: dict[str, dict[str, set[str]]] = {
    "testsuites": {"allowed": {"name", "time", "tests", "failures", "errors"}, "required": set(),
                   "children": {"testsuite"}},
    "testsuite": {"allowed": {"name", "tests", "failures", "errors", "group", "time", "skipped", "timestamp",
                              "hostname", "id", "package", "file", "log", "url"},
                  "required": {"name", "tests", "failures", "errors"},
                  "children": {"testsuite", "properties", "testcase", "system-out", "system-err"}},
    "properties": {"allowed": set(), "required": set(), "children": {"property"}},
    "property": {"allowed": {"name", "value"}, "required": {"name", "value"}, "children": set()},
    "testcase": {"allowed": {"name", "time", "classname", "group"}, "required": {"name"},
                 "children": {"skipped", "error", "failure", "rerunFailure", "rerunError", "flakyFailure",
                              "flakyError", "system-out", "system-err"}},
    "failure": _RESULT, "error": _RESULT, "skipped": _RESULT,
    "system-out": {"allowed": set(), "required": set(), "children": set()},
    "system-err": {"allowed": set(), "required": set(), "children": set()},
}


def assert_junit_shape(root: ET.Element) -> None:
    """Check ``root`` against the junit-10.xsd shape: element names and nesting, allowed and
    required attributes, ``time`` spelling, and count attributes that agree with the children
    (a testsuite's ``tests``/``failures``/``errors``/``skipped`` count its testcases; the
    ``testsuites`` totals add up its suites). Raises AssertionError naming the first problem."""
    assert root.tag == "testsuites", f"root is <{root.tag}>, expected <testsuites>"
    _check_element(root)
    suites = root.findall("testsuite")
    for name in ("tests", "failures", "errors"):
        if name in root.attrib:
            total = sum(int(s.get(name, "0")) for s in suites)
            assert int(root.get(name)) == total, f"<testsuites {name}={root.get(name)}> but suites add up to {total}"
    for suite in root.iter("testsuite"):
        cases = suite.findall("testcase")
        expected = {
            "tests": len(cases),
            "failures": sum(1 for c in cases if c.find("failure") is not None),
            "errors": sum(1 for c in cases if c.find("error") is not None),
            "skipped": sum(1 for c in cases if c.find("skipped") is not None),
        }
        for name, count in expected.items():
            if name in suite.attrib:
                assert suite.get(name, "").isdigit(), f"<testsuite {name}={suite.get(name)!r}> is not a count"
                assert int(suite.get(name)) == count, f"<testsuite {name}={suite.get(name)}> but {count} counted"


def _check_element(element: ET.Element) -> None:
    shape = JUNIT_10_SHAPE.get(element.tag)
    assert shape is not None, f"<{element.tag}> is not a junit-10.xsd element"
    extra = set(element.attrib) - shape["allowed"]
    assert not extra, f"<{element.tag}> has attributes the schema does not allow: {sorted(extra)}"
    missing = shape["required"] - set(element.attrib)
    assert not missing, f"<{element.tag}> lacks required attributes: {sorted(missing)}"
    if "time" in element.attrib:
        assert _SUREFIRE_TIME.fullmatch(element.get("time")), f"<{element.tag} time={element.get('time')!r}>"
    for child in element:
        assert child.tag in shape["children"], f"<{child.tag}> is not allowed inside <{element.tag}>"
        _check_element(child)


def parse(xml: str) -> ET.Element:
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return ET.fromstring(xml.encode("utf-8"))


def cases(root: ET.Element) -> dict[str, ET.Element]:
    return {c.get("name"): c for c in root.iter("testcase")}


def test_mixed_report_has_the_junit_10_shape_with_consistent_counts():
    root = parse(render(mixed_report()))
    assert_junit_shape(root)
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "modelinfra.model-snapshots"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("5", "2", "0", "1")
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("5", "2", "0")
    assert suite.get("timestamp") == GENERATED_AT


def test_one_testcase_per_resource_named_by_address_with_the_stack_as_classname():
    root = parse(render(mixed_report()))
    testcases = list(root.iter("testcase"))
    assert [c.get("name") for c in testcases] == ["account", "bucket", "container", "rg", "snapshot"]
    assert {c.get("classname") for c in testcases} == {"modelinfra.model-snapshots"}


def test_modified_resource_fails_with_type_drift_naming_each_path_and_before_after():
    failure = cases(parse(render(mixed_report())))["account"].find("failure")
    assert failure.get("type") == "drift"
    message = failure.get("message")
    assert "modified outside modelinfra" in message
    for path in ("allow_blob_public_access", "min_tls_version", "tags.team"):
        assert path in message
    body = failure.text.splitlines()
    assert "  allow_blob_public_access: false -> true" in body
    assert '  min_tls_version: "TLS1_2" -> "TLS1_0"' in body
    assert '  tags.team: "ml" -> "data"' in body


def test_deleted_resource_fails_with_type_drift():
    failure = cases(parse(render(mixed_report())))["bucket"].find("failure")
    assert failure.get("type") == "drift"
    assert "deleted outside modelinfra" in failure.get("message")
    assert "arn:aws:s3:::bucket" in failure.text


def test_not_created_is_skipped_and_in_sync_passes():
    by_name = cases(parse(render(mixed_report())))
    assert by_name["snapshot"].find("skipped") is not None
    assert by_name["snapshot"].find("failure") is None
    assert list(by_name["rg"]) == []


def test_pending_spec_changes_are_not_failures_but_go_to_system_out():
    case = cases(parse(render(mixed_report())))["container"]
    assert case.find("failure") is None and case.find("skipped") is None
    out = case.find("system-out").text
    assert "not drift" in out and 'public_access: "none" -> "blob"' in out


def test_no_drift_report_has_no_failures():
    root = parse(render(report(in_sync("a"), in_sync("b"), pending())))
    assert_junit_shape(root)
    assert root.find("testsuite").get("failures") == "0"
    assert root.find("testsuite").find("properties/property[@name='drift']").get("value") == "false"


def test_empty_report_is_a_valid_empty_suite():
    root = parse(render(report()))
    assert_junit_shape(root)
    assert root.find("testsuite").get("tests") == "0"


def test_markup_quotes_and_control_characters_are_escaped_and_parse_back():
    nasty = 'a<b>&"c"\']]> \x00\x1b\ud800 end'
    rpt = report(modified(changes=[AttributeChange(f"metadata.{nasty}", "x", nasty)]),
                 stack="weird-stack", spec='dir/a&b "<x>".yaml')
    root = parse(render(rpt))
    assert_junit_shape(root)
    failure = root.find("testsuite/testcase/failure")
    assert "metadata.a<b>&\"c\"']]>" in failure.get("message")
    assert "\\u0000\\u001b\\ud800" in failure.get("message")
    assert 'a<b>&\\"c\\"\']]> ' in failure.text
    assert root.find("testsuite").get("file") == 'dir/a&b "<x>".yaml'


@pytest.mark.parametrize("text, expected", [
    ("plain", "plain"),
    ("tab\tnewline\ncr\r", "tab\tnewline\ncr\r"),
    ("\x00\x08\x0b\x0c\x1f", "\\u0000\\u0008\\u000b\\u000c\\u001f"),
    ("\ufffe", "\\ufffe"),
])
def test_xml_text_replaces_only_characters_xml_cannot_carry(text, expected):
    assert xml_text(text) == expected


def test_the_shape_check_rejects_inconsistent_counts_and_unknown_attributes():
    good = render(report(modified(), deleted(), not_created()))
    with pytest.raises(AssertionError, match="failures"):
        assert_junit_shape(ET.fromstring(good.replace('failures="2" errors="0" skipped', 'failures="1" errors="0" skipped')))
    with pytest.raises(AssertionError, match="skipped"):
        assert_junit_shape(ET.fromstring(good.replace('skipped="1"', 'skipped="0"')))
    with pytest.raises(AssertionError, match="not allow"):
        assert_junit_shape(ET.fromstring(good.replace("<testsuites ", '<testsuites skipped="1" ')))
    with pytest.raises(AssertionError, match="required"):
        assert_junit_shape(ET.fromstring(good.replace(' name="account"', "")))
    with pytest.raises(AssertionError, match="not allowed inside"):
        assert_junit_shape(ET.fromstring(good.replace("<properties>", "<properties><failure/>")))


def test_dispatch_uses_the_junit_renderer():
    rpt = report(modified(), spec=SPEC)
    assert render_report(rpt, "junit") == render(rpt)


def test_each_unmanaged_resource_is_a_failing_testcase_of_type_unmanaged():
    rpt = with_unmanaged(report(in_sync()), unmanaged("stray"), unmanaged("other", address=None))
    root = ET.fromstring(render(rpt))
    assert_junit_shape(root)
    suite = root.find("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("3", "2")
    case = suite.findall("testcase")[2]
    assert case.get("name") == ("unmanaged: azure.managed_disk "
                                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/other")
    failure = case.find("failure")
    assert failure.get("type") == "unmanaged"
    assert "modelinfra-address" not in failure.text
    stray = suite.findall("testcase")[1].find("failure")
    assert "tagged modelinfra-address=old-disk" in stray.text
    assert "cloud id: /subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/stray" in stray.text
