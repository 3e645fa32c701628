"""`devenv up`: converge the stack, print where it runs, then watch (or return with -d)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import click

from devenv.cli.app import SHORT_HELP
from devenv.cli.completion import complete_services, complete_target
from devenv.cli.context import AppContext, pass_app
from devenv.cli.options import instance_option, profile_option, pull_option
from devenv.cli.output import Output, stack_title
from devenv.cli.progress import TransferProgress, progress_printer
from devenv.ops.secrets import known_secret_values
from devenv.ops.status import service_rows
from devenv.ops.status import status as get_status
from devenv.ops.up import UpOptions, service_envs
from devenv.ops.up import up as run_up

if TYPE_CHECKING:
    from devenv.config.model import Project
    from devenv.ops.instance import InstanceChoice
    from devenv.ops.up import UpResult


@click.command(short_help=SHORT_HELP["up"])
@click.argument("services", nargs=-1, shell_complete=complete_services)
@instance_option
@profile_option()
@click.option(
    "--target",
    "-t",
    help="Environment to mirror: prod (default) or one declared in [env.targets].",
    shell_complete=complete_target,
)
@click.option("-d", "--detach", is_flag=True, help="Return once the stack is up (no watching, no logs).")
@click.option("--no-watch", is_flag=True, help="Stay in the foreground with logs, but do not watch files.")
@pull_option
@click.option("--build", is_flag=True, help="Rebuild services that have `build` before starting.")
@click.option("--force-recreate", is_flag=True, help="Recreate containers even if unchanged.")
@click.option("--down-on-exit", is_flag=True, help="In the foreground: take the stack down on Ctrl-C.")
@click.option("--trust", is_flag=True, help="Act on what devenv.toml grants without `devenv trust` (as DEVENV_TRUST=1).")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print what up would do and why, changing nothing. It reads the engine (containers, "
    "network, volumes, images) and asks the registry for the digest of an image it would pull; "
    "it never pulls, builds, creates, starts, stops or removes.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="With --dry-run: the plan as JSON (schema devenv.plan/v1)."
)
@pass_app
def up(
    obj: AppContext,
    services: tuple[str, ...],
    instance: Optional[str],
    profile: Optional[str],
    target: Optional[str],
    detach: bool,
    no_watch: bool,
    pull: str,
    build: bool,
    force_recreate: bool,
    down_on_exit: bool,
    trust: bool,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Converge the stack to devenv.toml: create only what changed (config-hash label), start in
    dependency order, wait for health, then watch files and stream logs (or return with -d)."""

    out: Output = obj.output
    project = obj.acting_project("containers", trust)  # refused while it grants what is not trusted
    if target is not None:
        from devenv.envvars.targets import with_target

        project = with_target(project, target)  # its sources are prod's for everything below
    choice = obj.instance(instance)
    instance = choice.name
    options = UpOptions(
        instance=instance,
        services=services,
        profile=profile,
        pull=pull,
        build=build,
        force_recreate=list(services or project.service_names) if force_recreate else (),
        dry_run=dry_run,
    )
    if as_json and not dry_run:
        raise click.UsageError("--json prints the plan of a dry run: add --dry-run")

    envs = service_envs(project, profile)  # resolved once: redaction, the containers, the watcher
    out.add_secrets(known_secret_values(project, profile, envs=envs))  # before anything can quote a log
    transfer = None if out.quiet or dry_run else TransferProgress(out)
    try:
        result = run_up(
            project, options, envs=envs, progress=progress_printer(out), transfer=transfer, waiting=out.info
        )
    finally:
        if transfer is not None:
            transfer.finish()
    out.add_secrets(result.secret_values)
    for warning in result.warnings:
        out.warn(warning)
    if dry_run:
        from devenv.cli.plan_view import show_plan

        title = stack_title(project.name, choice.name, choice.source, choice.worktree)
        show_plan(
            out,
            result.plan,
            command="up",
            project=project.name,
            instance=instance,
            title=title,
            as_json=as_json,
        )
        return
    _print_summary(obj, project, choice, result)
    if detach:
        return
    if no_watch:
        _follow_logs(out, project, instance, services)
        return
    # Watching loads watchdog, pathspec and tarfile: not for `up -d`, whose no-op is budgeted.
    from devenv.cli.watch_cmds import run_watch

    run_watch(
        out, project, instance, list(services), down_on_exit=down_on_exit, profile=profile, redacting=True
    )


def _print_summary(obj: AppContext, project: Project, choice: InstanceChoice, result: UpResult) -> None:

    out: Output = obj.output
    changed = len(result.plan.changes)
    what = "up to date" if result.plan.is_noop else f"{changed} change{'s' if changed != 1 else ''}"
    title = stack_title(project.name, choice.name, choice.source, choice.worktree)
    out.info(f"{title}: {what} in {result.seconds * 1000:.0f} ms")
    unchanged = result.unchanged
    rows = (
        service_rows(project, unchanged)
        if unchanged is not None
        else get_status(project, choice.name).services
    )
    for row in rows:
        if row.state == "not created":
            continue
        health = f" ({row.health})" if row.health else ""
        urls = "  ".join(row.urls)
        out.line(f"{row.service:<12} {row.state}{health}  {urls}".rstrip())


def _follow_logs(out: Output, project: Project, instance: str, services: tuple[str, ...]) -> None:

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
