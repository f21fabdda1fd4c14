from __future__ import annotations

import re
from html.parser import HTMLParser

from modelinfra.plans.diff import AttributeChange
from modelinfra.views import drift_markdown
from modelinfra.views.drift_markdown import MAX_BYTES, escape, render
from modelinfra.views.drift_report import render_report
from tests.views import (
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


def cells(row: str) -> list[str]:
    """Split a Markdown table row on its unescaped pipes (a backslash escapes the next char)."""
    out, current, i = [], "", 0
    while i < len(row):
        ch = row[i]
        if ch == "\\" and i + 1 < len(row):
            current += row[i:i + 2]
            i += 2
            continue
        if ch == "|":
            out.append(current.strip())
            current = ""
        else:
            current += ch
        i += 1
    out.append(current.strip())
    assert out[0] == "" and out[-1] == "", f"row must start and end with a pipe: {row!r}"
    return out[1:-1]


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def section(md: str, heading_start: str) -> str:
    """The text from the heading line starting with ``heading_start`` to the next heading."""
    start = md.index(heading_start)
    body = md.index("\n", start)
    nxt = re.search(r"^#{1,4} ", md[body:], re.MULTILINE)
    return md[start:body + nxt.start()] if nxt else md[start:]


def table_rows(text: str) -> list[list[str]]:
    return [cells(line) for line in text.splitlines() if line.startswith("|")]


def test_no_drift_has_a_no_drift_headline_and_counts_but_no_resource_sections():
    md = render(report(in_sync("rg"), in_sync("other")))
    assert md.startswith("## :white_check_mark: No drift in stack `model-snapshots`")
    counts = {row[0]: row[1] for row in table_rows(md)[2:]}
    assert counts["In sync"] == "2"
    assert counts["Modified outside modelinfra"] == "0"
    assert "Drifted resources" not in md
    assert "####" not in md


def test_drift_headline_and_summary_table_count_each_status():
    md = render(mixed_report())
    assert md.startswith("## :warning: Drift detected in stack `model-snapshots`")
    assert "2 resources changed outside modelinfra (1 modified, 1 deleted)" in md
    rows = table_rows(section(md, "## :warning:"))
    assert rows[0] == ["Status", "Resources"]
    assert {r[0]: int(r[1]) for r in rows[2:]} == {
        "Modified outside modelinfra": 1, "Deleted outside modelinfra": 1, "In sync": 2,
        "Not created yet": 1, "Spec changes not yet applied (not drift)": 2,
    }


def test_modified_resource_gets_a_table_of_every_changed_path():
    md = render(mixed_report())
    text = section(md, "#### `account`")
    assert "modified outside modelinfra (3 attributes)" in text.splitlines()[0]
    rows = table_rows(text)
    assert rows[0] == ["Attribute", "Last applied", "Now"]
    assert rows[2:] == [
        ["`allow_blob_public_access`", "false", "true"],
        ["`min_tls_version`", '"TLS1\\_2"', '"TLS1\\_0"'],
        ["`tags.team`", '"ml"', '"data"'],
    ]


def test_deleted_resource_has_its_own_section_without_a_table():
    text = section(render(mixed_report()), "#### `bucket`")
    assert "deleted outside modelinfra" in text.splitlines()[0]
    assert "`arn:aws:s3:::bucket`" in text
    assert table_rows(text) == []


def test_in_sync_and_not_created_resources_get_no_drift_section():
    md = render(mixed_report())
    headings = re.findall(r"^#### `([a-z_-]+)`", md, re.MULTILINE)
    assert headings == ["account", "bucket"]


def test_pending_spec_changes_are_listed_separately_as_not_drift():
    md = render(mixed_report())
    drift_part = section(md, "### Drifted resources") + section(md, "#### `account`") + section(md, "#### `bucket`")
    assert "`public_access`" not in drift_part and "container" not in drift_part
    text = section(md, "### Spec changes not yet applied (not drift)")
    items = [line for line in text.splitlines() if line.startswith("- ")]
    assert items == [
        "- `container` (`azure.blob_container`): update: `public_access`",
        "- `snapshot` (`azure.blob`): create: `name`",
    ]


def test_only_pending_changes_is_still_no_drift():
    md = render(report(pending(), not_created()))
    assert md.startswith("## :white_check_mark: No drift")
    assert "### Spec changes not yet applied (not drift)" in md
    assert "### Drifted resources" not in md


def test_pipes_backticks_and_markup_in_values_cannot_break_the_table():
    nasty = "a|b`c`<script>x</script>\n| injected | row |"
    md = render(report(modified(changes=[
        AttributeChange("tags.x|y", "ok", nasty),
        AttributeChange("metadata.note", "`code`", "*bold* _it_ [link](http://x) ~~s~~ $x$"),
    ])))
    rows = table_rows(section(md, "#### `account`"))[2:]
    assert len(rows) == 2, "a newline in a value must not start a new table row"
    assert all(len(r) == 3 for r in rows)
    by_path = {unescape(r[0]): r for r in rows}
    assert unescape(by_path["tags.x|y"][2]) == '"a|b`c`<script>x</script>\\n| injected | row |"'
    for row in rows:
        for value in row[1:]:
            assert not re.search(r"(?<!\\)[`<>*_\[\]~$]", value), value
    assert "<script>" not in md


class _Cells(HTMLParser):
    """Text of each ``<td>`` per ``<tr>``, and every tag seen, from rendered HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.tags: set[str] = set()
        self._in_td = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.add(tag)
        if tag == "tr":
            self.rows.append([])
        elif tag == "td":
            self._in_td = True
            self.rows[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._in_td = False

    def handle_data(self, data: str) -> None:
        if self._in_td:
            self.rows[-1][-1] += data


def test_a_gfm_renderer_shows_nasty_values_verbatim_in_their_cells():
    from markdown_it import MarkdownIt

    before = "x\\|y`z`"
    after = "a|b`c`<script>alert(1)</script> *no* _markup_ [l](u) ~~s~~"
    md = render(report(modified(changes=[AttributeChange("tags.a|b", before, after)])))
    html = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(md)
    parser = _Cells()
    parser.feed(html)
    body = [r for r in parser.rows if r and r[0] == "tags.a|b"]
    assert body == [["tags.a|b", f'"{before.replace(chr(92), chr(92) * 2)}"', f'"{after}"']]
    assert not parser.tags & {"script", "em", "strong", "a", "s", "del"}


def test_escape_flattens_line_breaks_and_escapes_backslashes_first():
    assert escape("a\\|b") == "a\\\\\\|b"
    assert escape("x\r\ny") == "x y"
    assert escape("`|`") == "\\`\\|\\`"


def test_long_values_are_cut_short():
    md = render(report(modified(changes=[AttributeChange("metadata.blob", "x" * 5000, "y")])))
    row = table_rows(section(md, "#### `account`"))[2]
    assert len(row[1]) < drift_markdown.MAX_VALUE_CHARS + 100
    assert "more characters" in row[1]


def test_a_resource_with_very_many_changes_shows_the_first_rows_and_says_how_many_more():
    changes = [AttributeChange(f"tags.k{i:04d}", "a", "b") for i in range(250)]
    text = section(render(report(modified(changes=changes))), "#### `account`")
    assert len(table_rows(text)) == 2 + drift_markdown.MAX_ROWS_PER_RESOURCE
    assert f"and {250 - drift_markdown.MAX_ROWS_PER_RESOURCE} more changed attributes not shown" in text


def test_huge_report_stays_under_the_step_summary_limit_and_says_what_was_omitted():
    wide = "漢字" * 150  # multi-byte: the limit is in bytes, not characters
    drifted = [
        modified(f"res{i:05d}", line=i + 1, changes=[AttributeChange(f"tags.k{j}", wide, f"{wide}{j}") for j in range(4)])
        for i in range(400)
    ]
    rpt = report(*drifted, pending("late-pending"))
    md = render(rpt)
    size = len(md.encode("utf-8"))
    assert size <= MAX_BYTES < 1024 * 1024
    assert size > MAX_BYTES - 20_000, "the budget should be used, not left mostly empty"
    shown = re.findall(r"^#### `(res\d+)`", md, re.MULTILINE)
    assert 0 < len(shown) < 400
    assert shown == [f"res{i:05d}" for i in range(len(shown))], "sections are kept in order, whole"
    last = section(md, f"#### `{shown[-1]}`")
    assert len(table_rows(last)) == 2 + 4, "the last section shown is complete"
    omitted = 400 - len(shown)
    assert md.rstrip().splitlines()[-1].startswith(
        f"> **Note:** {omitted} drifted resources and 1 pending spec change omitted")
    assert "late-pending" not in md


def test_report_just_under_the_limit_has_no_omission_note():
    md = render(report(modified(), deleted()))
    assert "omitted" not in md


def test_dispatch_uses_the_markdown_renderer():
    rpt = mixed_report()
    assert render_report(rpt, "markdown") == render(rpt)


def test_not_created_alone_is_listed_as_pending_create():
    md = render(report(not_created()))
    assert "- `snapshot` (`azure.blob`): create: `name`" in md


def test_unmanaged_resources_get_a_table_and_count_as_drift():
    md = render(with_unmanaged(report(in_sync()), unmanaged("stray"), unmanaged("a|b", address=None)))
    assert md.startswith("## :warning: Drift detected")
    assert "0 resources changed outside modelinfra (0 modified, 0 deleted); 2 unmanaged resources found." in md
    counts = {r[0]: r[1] for r in table_rows(section(md, "## :warning:"))[2:]}
    assert counts["Unmanaged (not in the spec)"] == "2"
    rows = table_rows(section(md, "### Unmanaged resources"))
    assert rows[0] == ["Name", "Type", "Cloud id", "`modelinfra-address` tag"]
    assert rows[2] == ["`stray`", "`azure.managed_disk`",
                       "`/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/stray`", "`old-disk`"]
    assert len(rows[3]) == 4 and unescape(rows[3][0]) == "a|b" and rows[3][3] == ""


def test_without_the_unmanaged_check_there_is_no_unmanaged_row():
    md = render(report(in_sync()))
    assert "Unmanaged" not in md
