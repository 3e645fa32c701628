"""up, down, status: the everyday stack commands."""

from __future__ import annotations

from typing import Any, Optional

import click

from devenv.cli.options import instance_option, profile_option, pull_option
from devenv.cli.output import Output, table
from devenv.cli.progress import TransferProgress, progress_printer
from devenv.ops.down import down as run_down
from devenv.ops.logs import logs as follow
from devenv.ops.secrets import known_secret_values
from devenv.ops.stale import down_stale
from devenv.ops.status import status as get_status
from devenv.ops.up import UpOptions
from devenv.ops.up import up as run_up


@click.command(short_help="Create and start the stack (only what changed), then watch.")
@click.argument("services", nargs=-1)
@instance_option
@profile_option()
@click.option("-d", "--detach", is_flag=True, help="Return once the stack is up (no watching, no logs).")
@click.option("--no-watch", is_flag=True, help="Stay in the foreground with logs, but do not watch files.")
@pull_option
@click.option("--build", is_flag=True, help="Rebuild services that have `build` before starting.")
@click.option("--force-recreate", is_flag=True, help="Recreate containers even if unchanged.")
@click.option("--down-on-exit", is_flag=True, help="In the foreground: take the stack down on Ctrl-C.")
@click.pass_obj
def up(
    obj: Any,
    services: tuple[str, ...],
    instance: str,
    profile: Optional[str],
    detach: bool,
    no_watch: bool,
    pull: str,
    build: bool,
    force_recreate: bool,
    down_on_exit: bool,
) -> None:
    """Converge the stack to devenv.toml: create only what changed (config-hash label), start in
    dependency order, wait for health, then watch files and stream logs (or return with -d)."""

    out: Output = obj.output
    project = obj.project()
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
    _print_summary(obj, project, instance, result)
    if detach:
        return
    if no_watch:
        _follow_logs(out, project, instance, services)
        return
    # Watching loads watchdog, pathspec and tarfile: not for `up -d`, whose no-op is budgeted.
    from devenv.cli.watch_cmds import run_watch

    run_watch(out, project, instance, list(services), down_on_exit=down_on_exit)


def _print_summary(obj: Any, project: Any, instance: str, result: Any) -> None:

    out: Output = obj.output
    changed = len(result.plan.changes)
    what = "up to date" if result.plan.is_noop else f"{changed} change{'s' if changed != 1 else ''}"
    out.info(f"{project.name} ({instance}): {what} in {result.seconds * 1000:.0f} ms")
    for row in get_status(project, instance).services:
        if row.state == "not created":
            continue
        health = f" ({row.health})" if row.health else ""
        urls = "  ".join(row.urls)
        out.line(f"{row.service:<12} {row.state}{health}  {urls}".rstrip())


def _follow_logs(out: Output, project: Any, instance: str, services: tuple[str, ...]) -> None:

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


@click.command(short_help="Remove the stack's containers and network; volumes and data stay.")
@instance_option
@click.option("--volumes", is_flag=True, help="Also remove this instance's named volumes (never data disks).")
@click.option("--all-stale", is_flag=True, help="Remove leftovers of `devenv test` runs whose devenv died.")
@click.option("--json", "as_json", is_flag=True, help="Print what was removed as JSON.")
@click.pass_obj
def down(obj: Any, instance: str, volumes: bool, all_stale: bool, as_json: bool) -> None:
    """Remove the containers and network devenv created for this instance. Named volumes stay
    unless --volumes; data disks and external volumes are never touched."""

    out: Output = obj.output
    project = obj.project()
    say = progress_printer(out)
    if all_stale:
        targets, result = down_stale(project, progress=say)
        if not targets:
            out.info("no stale test instances")
    else:
        targets, result = (
            [instance],
            run_down(project, instance, volumes=volumes, progress=say, waiting=out.info),
        )
    removed = {
        "containers": result.containers,
        "networks": result.networks,
        "volumes": result.volumes,
        "kept_volumes": result.kept_volumes,
    }
    if as_json:
        out.data("down", {"project": project.name, "instances": targets, **removed})
        return
    if not removed["containers"] and not removed["networks"] and not all_stale:
        out.info(f"{project.name} ({instance}): nothing to remove")
    if removed["volumes"]:
        out.info("removed volumes: " + ", ".join(removed["volumes"]))
    if removed["kept_volumes"]:
        out.info("kept volumes (remove with --volumes): " + ", ".join(removed["kept_volumes"]))


@click.command(short_help="Services, state, health, image digest, env hash, URLs.")
@instance_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (schema devenv.status/v1).")
@click.pass_obj
def status(obj: Any, instance: str, as_json: bool) -> None:
    """Show every service of the instance: state, health, image digest, env hash and URLs."""

    out: Output = obj.output
    project = obj.project()
    result = get_status(project, instance)
    if as_json:
        out.data("status", result.to_dict())
        return
    rows = []
    for row in result.services:
        state = row.state + (f" ({row.health})" if row.health else "")
        flags = f" [{', '.join(row.security)}]" if row.security else ""
        digest = (row.digest or "-").replace("sha256:", "")[:12]
        rows.append([row.service, state + flags, digest, row.env_hash or "-", " ".join(row.urls) or "-"])
    out.line(f"{result.project} ({result.instance})")
    out.line(table(rows, ["SERVICE", "STATE", "DIGEST", "ENV", "URLS"]))
