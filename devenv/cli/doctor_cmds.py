"""`devenv doctor`: one line per check (✔ ok, ✘ blocks `up`, ! works but fix it, - skipped),
with the fix under every problem."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from devenv.cli.app import SHORT_HELP
from devenv.cli.context import AppContext, pass_app
from devenv.cli.output import Output
from devenv.ops.doctor import run_doctor

if TYPE_CHECKING:
    from devenv.ops.doctor_checks import Check

MARKS = {"ok": ("✔", "green"), "fail": ("✘", "red"), "warn": ("!", "yellow"), "skip": ("-", None)}
ASCII_MARKS = {"ok": "ok", "fail": "FAIL", "warn": "warn", "skip": "skip"}


def _marks_fit() -> bool:
    """✔/✘ only where stdout can encode them (a C-locale pipe gets ok/FAIL)."""
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "✔✘".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def render(out: Output, checks: list[Check], *, only_problems: bool) -> list[str]:
    fancy = _marks_fit()
    width = max((len(c.title) for c in checks), default=0)
    lines = []
    for check in checks:
        if only_problems and check.status in ("ok", "skip"):
            continue
        mark, color = MARKS[check.status]
        if not fancy:
            mark = ASCII_MARKS[check.status]
        mark = out.style(mark, fg=color, bold=True, stream="out") if color else mark
        lines.append(f"{mark} {check.title.ljust(width)}  {check.detail}")
        if check.fix and check.status in ("fail", "warn"):
            lines.append(f"  {' ' * width}  fix: {check.fix}")
    return lines


@click.command(short_help=SHORT_HELP["doctor"])
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report (schema devenv.doctor/v1).")
@pass_app
def doctor(obj: AppContext, as_json: bool) -> None:
    """Check the engine (reachable, version, socket permissions, disk space, clock), the registries
    and images of devenv.toml, data paths, ports and the inotify limit. Every problem comes with its
    fix. Exits non-zero when something blocks `devenv up` (! lines are advice, not blockers)."""

    out: Output = obj.output
    start = obj.project_dir or Path.cwd()
    report = run_doctor(start, explicit=obj.project_dir is not None)
    if as_json:
        out.data("doctor", report.to_dict())
    else:
        for line in render(out, report.checks, only_problems=out.quiet):
            out.line(line)
    failures = [c for c in report.checks if c.status == "fail"]
    warnings = [c for c in report.checks if c.status == "warn"]
    if failures:
        n = len(failures)
        out.info(
            f"{n} problem{'s block' if n != 1 else ' blocks'} `devenv up`; fix {'them' if n != 1 else 'it'} first"
        )
    elif warnings:
        out.info(f"ready for `devenv up` ({len(warnings)} warning{'s' if len(warnings) != 1 else ''})")
    else:
        out.info("all checks passed: ready for `devenv up`")
    if report.exit_code:
        sys.stdout.flush()
        raise SystemExit(report.exit_code)
