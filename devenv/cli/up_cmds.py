"""`devenv up`: converge the stack, print where it runs, then watch (or return with -d)."""

from __future__ import annotations

from typing import Any, Optional

import click

from devenv.cli.completion import complete_services
from devenv.cli.options import instance_option, profile_option, pull_option
from devenv.cli.output import Output, stack_title
from devenv.cli.progress import TransferProgress, progress_printer
from devenv.ops.secrets import known_secret_values
from devenv.ops.status import status as get_status
from devenv.ops.up import UpOptions
from devenv.ops.up import up as run_up


@click.command(short_help="Create and start the stack (only what changed), then watch.")
@click.argument("services", nargs=-1, shell_complete=complete_services)
@instance_option
@profile_option()
@click.option("-d", "--detach", is_flag=True, help="Return once the stack is up (no watching, no logs).")
@click.option("--no-watch", is_flag=True, help="Stay in the foreground with logs, but do not watch files.")
@pull_option
@click.option("--build", is_flag=True, help="Rebuild services that have `build` before starting.")
@click.option("--force-recreate", is_flag=True, help="Recreate containers even if unchanged.")
@click.option("--down-on-exit", is_flag=True, help="In the foreground: take the stack down on Ctrl-C.")
@click.option("--trust", is_flag=True, help="Act on what devenv.toml grants without `devenv trust` (as DEVENV_TRUST=1).")
@click.pass_obj
def up(
    obj: Any,
    services: tuple[str, ...],
    instance: Optional[str],
    profile: Optional[str],
    detach: bool,
    no_watch: bool,
    pull: str,
    build: bool,
    force_recreate: bool,
    down_on_exit: bool,
    trust: bool,
) -> None:
    """Converge the stack to devenv.toml: create only what changed (config-hash label), start in
    dependency order, wait for health, then watch files and stream logs (or return with -d)."""

    out: Output = obj.output
    project = obj.acting_project("containers", trust)  # refused while it grants what is not trusted
    choice = obj.instance(instance)
    instance = choice.name
    options = UpOptions(
        instance=instance,
        services=services,
        profile=profile,
        pull=pull,
        build=build,
        force_recreate=list(services or project.service_names) if force_recreate else (),
    )

    out.add_secrets(known_secret_values(project, profile))  # before anything can quote a container's log
    transfer = None if out.quiet else TransferProgress(out)
    try:
        result = run_up(project, options, progress=progress_printer(out), transfer=transfer, waiting=out.info)
    finally:
        if transfer is not None:
            transfer.finish()
    out.add_secrets(result.secret_values)
    for warning in result.warnings:
        out.warn(warning)
    _print_summary(obj, project, choice, result)
    if detach:
        return
    if no_watch:
        _follow_logs(out, project, instance, services)
        return
    # Watching loads watchdog, pathspec and tarfile: not for `up -d`, whose no-op is budgeted.
    from devenv.cli.watch_cmds import run_watch

    run_watch(out, project, instance, list(services), down_on_exit=down_on_exit)


def _print_summary(obj: Any, project: Any, choice: Any, result: Any) -> None:

    out: Output = obj.output
    changed = len(result.plan.changes)
    what = "up to date" if result.plan.is_noop else f"{changed} change{'s' if changed != 1 else ''}"
    title = stack_title(project.name, choice.name, choice.source, choice.worktree)
    out.info(f"{title}: {what} in {result.seconds * 1000:.0f} ms")
    for row in get_status(project, choice.name).services:
        if row.state == "not created":
            continue
        health = f" ({row.health})" if row.health else ""
        urls = "  ".join(row.urls)
        out.line(f"{row.service:<12} {row.state}{health}  {urls}".rstrip())


def _follow_logs(out: Output, project: Any, instance: str, services: tuple[str, ...]) -> None:

    from devenv.ops.logs import logs as follow  # the log streams: not for `up -d`

    out.info("streaming logs; Ctrl-C stops (the stack keeps running)")
    try:
        follow(
            project,
            instance,
            services,
            lambda shown: lambda s, line: out.line(f"{out.style(s, fg='cyan', stream='out')} | {line}"),
            follow=True,
            tail=0,
        )
    except KeyboardInterrupt:
        out.info("stopped following logs; the stack is still up (`devenv down` removes it)")
