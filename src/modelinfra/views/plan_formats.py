"""``plan --format`` / ``show --format``: a plan rendered as text, JSON, Terraform's JSON plan
representation or a Markdown PR comment. ``render(plan, fmt) -> str`` (ends with a newline)."""

from __future__ import annotations

import json

from modelinfra.plans.plan import Plan

FORMATS = ("text", "json", "terraform-json", "markdown")
EXTRA = ("terraform-json", "markdown")  # the formats beyond the command's own text and --json


def render(plan: Plan, fmt: str) -> str:
    if fmt == "terraform-json":
        from modelinfra.views import terraform_json

        return json.dumps(terraform_json.render(plan), indent=2, sort_keys=True, default=str) + "\n"
    if fmt == "markdown":
        from modelinfra.views import plan_markdown

        return plan_markdown.render(plan)
    if fmt == "json":
        return json.dumps(plan.to_json(), indent=2, sort_keys=True, default=str) + "\n"
    from modelinfra.views.human import render_plan

    return render_plan(plan)
