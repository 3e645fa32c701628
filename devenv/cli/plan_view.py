"""A plan as `up --dry-run` and `down --dry-run` print it: one line per action with its cause,
or the `devenv.plan/v1` JSON document."""

from __future__ import annotations

from typing import TYPE_CHECKING

from devenv.cli.output import Output

if TYPE_CHECKING:
    from devenv.reconcile.plan import Plan


def show_plan(
    out: Output, plan: Plan, *, command: str, project: str, instance: str, title: str, as_json: bool
) -> None:
    if as_json:
        out.data(
            "plan",
            {"command": command, "project": project, "instance": instance, "dry_run": True, **plan.to_dict()},
        )
        return
    steps = plan.steps()
    changes = sum(1 for a in steps if a.kind != "keep")
    what = "nothing to do" if not changes else f"{changes} change{'s' if changes != 1 else ''}"
    out.info(f"{title}: {what} (dry run: nothing was changed)")
    for step in steps:
        out.line(step.describe())
