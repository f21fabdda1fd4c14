"""examples/ci/github-plan.yml: plan on pull requests with one updated comment, the saved plan as
an artifact, apply of exactly that plan on merge; every modelinfra call uses real options."""

from __future__ import annotations

import shlex
from pathlib import Path

import click
from ruamel.yaml import YAML

from modelinfra.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]


def workflow() -> dict:
    return YAML(typ="safe").load((ROOT / "examples" / "ci" / "github-plan.yml").read_text(encoding="utf-8"))


def calls(steps: list[dict]) -> list[list[str]]:
    out = []
    for step in steps:
        for line in step.get("run", "").splitlines():
            line = line.split("||")[0].split(">")[0].strip()
            if line.startswith("modelinfra "):
                out.append(shlex.split(line)[1:])
    return out


def assert_real_options(args: list[str]) -> None:
    command = cli.get_command(click.Context(cli), args[0])  # works for a lazily loading group too
    known = {opt for p in command.params for opt in getattr(p, "opts", [])}
    for i, arg in enumerate(args):
        if arg.startswith("--"):
            assert arg in known, f"modelinfra {args[0]} has no option {arg}"
        if arg == "--format":
            choices = next(p for p in command.params if "--format" in getattr(p, "opts", [])).type.choices
            assert args[i + 1] in choices


def test_plan_job_comments_once_and_keeps_the_plan():
    wf = workflow()
    assert wf["on"]["pull_request"]["types"] == ["opened", "synchronize", "reopened", "closed"]
    assert wf["permissions"]["pull-requests"] == "write" and wf["permissions"]["id-token"] == "write"
    plan = wf["jobs"]["plan"]
    steps = plan["steps"]
    invocations = calls(steps)
    for args in invocations:
        assert_real_options(args)
    assert ["plan", "$SPEC", "--out", "modelinfra.plan", "--format", "markdown"] in invocations
    assert ["show", "modelinfra.plan", "--format", "terraform-json"] in invocations
    assert any(a[0] == "check" and "sarif" in a for a in invocations)
    script = next(s for s in steps if s.get("uses", "").startswith("actions/github-script"))["with"]["script"]
    assert "updateComment" in script and "createComment" in script and "marker" in script
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert "modelinfra.plan" in upload["with"]["path"] and upload["with"]["name"] == "${{ env.PLAN_ARTIFACT }}"
    assert "head.sha" in wf["env"]["PLAN_ARTIFACT"]


def test_apply_job_runs_on_merge_and_applies_exactly_the_saved_plan():
    wf = workflow()
    apply = wf["jobs"]["apply"]
    assert "merged == true" in apply["if"]
    invocations = calls(apply["steps"])
    for args in invocations:
        assert_real_options(args)
    assert ["apply", "modelinfra.plan"] in invocations
    assert not any(a[0] == "apply" and "$SPEC" in a for a in invocations)  # never a fresh plan
    download = "\n".join(s.get("run", "") for s in apply["steps"])
    assert 'gh run download "$run_id"' in download and '--name "$PLAN_ARTIFACT"' in download
