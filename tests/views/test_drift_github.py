from __future__ import annotations

import re
import shlex
from pathlib import Path
from urllib.parse import unquote

import pytest

from modelinfra.plans.diff import AttributeChange
from modelinfra.views.drift_github import (
    MAX_WARNINGS,
    annotation_file,
    command,
    escape_data,
    escape_property,
    render,
    render_for,
)
from modelinfra.views.drift_report import FORMATS, render_report
from tests.views import (
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

ROOT = Path(__file__).resolve().parents[2]
_COMMAND = re.compile(r"^::(?P<name>[a-z]+)(?: (?P<props>[^:]*))?::(?P<message>.*)$")


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """(name, properties, message) of one workflow command line, unescaped."""
    m = _COMMAND.match(line)
    assert m, f"not a workflow command: {line!r}"
    props = {}
    for item in (m["props"] or "").split(","):
        if item:
            key, _, value = item.partition("=")
            props[key] = unquote(value)
    return m["name"], props, unquote(m["message"])


def commands(output: str) -> list[tuple[str, dict[str, str], str]]:
    return [parse_command(line) for line in output.splitlines() if line.startswith("::")]


def test_escaping_follows_githubs_rules():
    assert escape_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b"
    assert escape_property("Drift: a,b\n%") == "Drift%3A a%2Cb%0A%25"
    assert command("warning", "m:1,2", file="a,b.yaml", line=3, title="T: x") == \
        "::warning file=a%2Cb.yaml,line=3,title=T%3A x::m:1,2"


def test_each_drifted_resource_is_a_warning_at_its_spec_line():
    out = render_for(mixed_report(), workspace=None)
    warnings = [c for c in commands(out) if c[0] == "warning"]
    assert [(p["file"], p["line"], p["title"]) for _, p, _ in warnings] == [
        (SPEC, "12", "Drift: account"), (SPEC, "30", "Drift: bucket"),
    ]
    account, bucket = (m for _, _, m in warnings)
    assert account.splitlines() == [
        "azure.storage_account account was modified outside modelinfra (last applied -> now):",
        "allow_blob_public_access: false -> true",
        'min_tls_version: "TLS1_2" -> "TLS1_0"',
        'tags.team: "ml" -> "data"',
    ]
    assert "deleted outside modelinfra" in bucket and "arn:aws:s3:::bucket" in bucket


def test_the_raw_warning_line_has_the_documented_form():
    line = render_for(report(deleted("bucket", line=30)), workspace=None).splitlines()[0]
    assert line.startswith(f"::warning file={SPEC},line=30,title=Drift%3A bucket::aws.s3_bucket bucket was deleted")


def test_pending_changes_and_not_created_resources_are_not_annotated():
    out = render_for(mixed_report(), workspace=None)
    titles = [p.get("title") for _, p, _ in commands(out)]
    assert "Drift: container" not in titles and "Drift: snapshot" not in titles


def test_at_most_ten_warnings_then_one_notice_naming_the_rest():
    rpt = report(*[modified(f"res{i:02d}", line=i + 1) for i in range(13)], in_sync())
    cmds = commands(render_for(rpt, workspace=None))
    warnings = [c for c in cmds if c[0] == "warning"]
    notices = [c for c in cmds if c[0] == "notice"]
    assert len(warnings) == MAX_WARNINGS == 10
    assert [p["title"] for _, p, _ in warnings] == [f"Drift: res{i:02d}" for i in range(10)]
    assert len(notices) == 1
    assert notices[0][2] == "and 3 more drifted resources: res10, res11, res12"
    assert cmds[-1][0] == "notice", "the notice comes after the warnings"


def test_exactly_ten_drifted_resources_need_no_overflow_notice():
    cmds = commands(render_for(report(*[deleted(f"b{i}") for i in range(10)]), workspace=None))
    assert [c[0] for c in cmds] == ["warning"] * 10


def test_overflow_notice_lists_a_bounded_number_of_names():
    rpt = report(*[deleted(f"b{i:04d}") for i in range(500)])
    (notice,) = [c for c in commands(render_for(rpt, workspace=None)) if c[0] == "notice"]
    assert notice[2].startswith("and 490 more drifted resources: b0010, b0011,")
    assert len(notice[2]) < 2000 and "b0499" not in notice[2]


def test_with_drift_the_summary_follows_as_a_plain_log_line():
    last = render_for(mixed_report(), workspace=None).splitlines()[-1]
    assert last.startswith("Drift detected in stack model-snapshots: 1 modified, 1 deleted")


def test_no_drift_emits_only_a_notice_with_the_summary_line():
    out = render_for(report(in_sync(), pending(), not_created()), workspace=None)
    assert out.count("\n") == 1
    name, props, message = parse_command(out.strip())
    assert (name, props) == ("notice", {})
    assert message.startswith("No drift in stack model-snapshots: 0 modified, 0 deleted outside modelinfra, 2 in sync")


def test_values_cannot_inject_workflow_commands():
    evil = "x\n::error::pwned\r\n::add-mask::y 100%"
    out = render_for(report(modified(changes=[AttributeChange(f"tags.{evil}", "a", evil)])), workspace=None)
    lines = out.splitlines()
    assert len(lines) == 2
    assert not any(line.startswith(("::error", "::add-mask")) for line in lines)
    name, _, message = parse_command(lines[0])
    assert name == "warning"
    assert '"x\\n::error::pwned\\r\\n::add-mask::y 100%"' in message


def test_spec_path_properties_are_escaped():
    out = render_for(report(deleted(), spec="specs/a,b:c.yaml"), workspace=None)
    assert "file=specs/a%2Cb%3Ac.yaml," in out
    assert parse_command(out.splitlines()[0])[1]["file"] == "specs/a,b:c.yaml"


@pytest.mark.parametrize("spec, workspace, expected", [
    ("examples/a.yaml", "/home/runner/work/r/r", "examples/a.yaml"),
    ("./examples/a.yaml", None, "examples/a.yaml"),
    ("/home/runner/work/r/r/examples/a.yaml", "/home/runner/work/r/r", "examples/a.yaml"),
    ("/elsewhere/a.yaml", "/home/runner/work/r/r", "/elsewhere/a.yaml"),
    ("/home/runner/work/r/r2/a.yaml", "/home/runner/work/r/r", "/home/runner/work/r/r2/a.yaml"),
])
def test_annotation_file_is_relative_to_the_workspace(spec, workspace, expected):
    assert annotation_file(spec, workspace) == expected


def test_render_uses_github_workspace(monkeypatch, tmp_path):
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    out = render(report(deleted(), spec=str(tmp_path / "stacks" / "s.yaml")))
    assert parse_command(out.splitlines()[0])[1]["file"] == "stacks/s.yaml"
    assert render_report(report(deleted(), spec="s.yaml"), "github").startswith("::warning file=s.yaml,")


def test_line_is_never_below_one():
    out = render_for(report(deleted(line=0)), workspace=None)
    assert parse_command(out.splitlines()[0])[1]["line"] == "1"


# -- the CI examples in examples/ci ------------------------------------------------------------------

def _load(name: str):
    from ruamel.yaml import YAML

    return YAML(typ="safe").load((ROOT / "examples" / "ci" / name).read_text(encoding="utf-8"))


def _drift_invocations(script: str) -> list[list[str]]:
    calls = []
    for line in script.splitlines():
        line = line.split("||")[0].strip()
        if line.startswith("modelinfra drift"):
            calls.append(shlex.split(line)[2:])
    return calls


def _assert_valid_drift_options(args: list[str]) -> None:
    """Every option is one ``modelinfra drift`` accepts, and every format is a known one."""
    from modelinfra.cli.commands_drift import drift_command

    known = {opt for p in drift_command.params for opt in getattr(p, "opts", [])}
    for i, arg in enumerate(args):
        if arg.startswith("--"):
            assert arg in known, f"modelinfra drift has no option {arg}"
        if arg == "--format":
            assert args[i + 1] in FORMATS


def test_github_workflow_example_is_scheduled_logs_in_with_oidc_and_reports_every_way():
    wf = _load("github-drift.yml")
    assert wf["on"]["schedule"][0]["cron"] and "workflow_dispatch" in wf["on"]
    assert wf["permissions"]["id-token"] == "write"
    steps = wf["jobs"]["drift"]["steps"]
    uses = {s["uses"].split("@")[0]: s for s in steps if "uses" in s}
    assert uses["actions/setup-python"]["with"]["python-version"] == "3.11"
    assert set(uses["azure/login"]["with"]) == {"client-id", "tenant-id", "subscription-id"}
    assert uses["azure/login"]["uses"].endswith("@v2")
    assert "role-to-assume" in uses["aws-actions/configure-aws-credentials"]["with"]
    assert uses["aws-actions/configure-aws-credentials"]["uses"].endswith("@v4")
    assert "drift-junit.xml" in uses["actions/upload-artifact"]["with"]["path"]
    scripts = "\n".join(s.get("run", "") for s in steps)
    assert 'pip install "modelinfra[aws,azure]"' in scripts
    calls = _drift_invocations(scripts)
    formats = [c[c.index("--format") + 1] for c in calls]
    assert formats == ["github", "markdown", "junit"]
    for call in calls:
        _assert_valid_drift_options(call)
    assert 'cat drift.md >> "$GITHUB_STEP_SUMMARY"' in scripts
    final = steps[-1]
    assert final["if"] == "always()"
    assert re.search(r"^\s*2\)", final["run"], re.MULTILINE) and "exit 2" in final["run"]
    assert "exit 1" in final["run"]


def test_gitlab_example_is_scheduled_uses_id_tokens_and_publishes_junit():
    ci = _load("gitlab-drift.yml")
    job = ci["drift"]
    assert any("schedule" in rule["if"] for rule in job["rules"])
    assert set(job["id_tokens"]) == {"AZURE_ID_TOKEN", "AWS_ID_TOKEN"}
    assert job["artifacts"]["reports"]["junit"] == "drift-junit.xml"
    assert job["artifacts"]["when"] == "always"
    script = "\n".join(job["before_script"] + job["script"])
    assert "AZURE_FEDERATED_TOKEN_FILE" in script and "AWS_WEB_IDENTITY_TOKEN_FILE" in script
    calls = _drift_invocations(script)
    assert any(c[c.index("--format") + 1] == "junit" and "drift-junit.xml" in c for c in calls)
    for call in calls:
        _assert_valid_drift_options(call)
    assert "exit 2" in script and "exit 1" in script


def test_unmanaged_resources_are_warnings_at_line_one_after_the_drifted_ones():
    out = render_for(with_unmanaged(report(modified(line=12)), unmanaged("stray")), None)
    cmds = commands(out)
    assert [(n, p["line"], p["title"]) for n, p, _ in cmds] == [
        ("warning", "12", "Drift: account"), ("warning", "1", "Unmanaged: stray")]
    assert "azure.managed_disk stray belongs to the stack but is not managed" in cmds[1][2]
    assert out.splitlines()[-1].startswith("Drift detected in stack model-snapshots: 1 modified, 0 deleted "
                                           "outside modelinfra, 1 unmanaged")


def test_unmanaged_resources_share_the_warning_budget():
    rpt = with_unmanaged(report(*[modified(f"r{i}") for i in range(MAX_WARNINGS)]), unmanaged("stray"))
    cmds = commands(render_for(rpt, None))
    assert [n for n, _, _ in cmds].count("warning") == MAX_WARNINGS
    assert cmds[-1][0] == "notice" and "/disks/stray" in cmds[-1][2]
