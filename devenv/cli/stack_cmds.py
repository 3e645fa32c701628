"""up, down, status, logs, exec, shell: the everyday stack commands."""

from __future__ import annotations

import sys
from typing import Any, Optional

import click

from devenv.cli.completion import complete_service, complete_services
from devenv.cli.options import instance_option, profile_option, pull_option
from devenv.cli.output import Output, table
from devenv.errors import DevenvError


def progress_printer(out: Output) -> Any:
    width = 12

    def say(subject: str, message: str) -> None:
        out.info(f"{out.style(subject.ljust(width), bold=True)} {message}")

    return say


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
    from devenv.cli import signals
    from devenv.ops.up import UpOptions
    from devenv.ops.up import up as run_up

    signals.install()
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
    from devenv.cli.progress import TransferProgress
    from devenv.ops.secrets import known_secret_values

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
        _follow_logs(obj, project, instance, services)
        return
    from devenv.cli.watch_cmds import run_watch

    run_watch(obj, project, instance, list(services), down_on_exit=down_on_exit)


def _print_summary(obj: Any, project: Any, instance: str, result: Any) -> None:
    from devenv.ops.status import status

    out: Output = obj.output
    changed = len(result.plan.changes)
    what = "up to date" if result.plan.is_noop else f"{changed} change{'s' if changed != 1 else ''}"
    out.info(f"{project.name} ({instance}): {what} in {result.seconds * 1000:.0f} ms")
    for row in status(project, instance).services:
        if row.state == "not created":
            continue
        health = f" ({row.health})" if row.health else ""
        urls = "  ".join(row.urls)
        out.line(f"{row.service:<12} {row.state}{health}  {urls}".rstrip())


def _follow_logs(obj: Any, project: Any, instance: str, services: tuple[str, ...]) -> None:
    from devenv.engine.client import connect
    from devenv.engine.logs import show_logs
    from devenv.engine.observe import list_containers

    out: Output = obj.output
    client = connect()
    targets = [
        (c.service, c.id)
        for c in list_containers(client, project.name, instance)
        if not services or c.service in services
    ]
    out.info("streaming logs; Ctrl-C stops (the stack keeps running)")
    try:
        show_logs(
            client,
            targets,
            lambda s, line: out.line(f"{out.style(s, fg='cyan', stream='out')} | {line}"),
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
    from devenv.cli import signals
    from devenv.engine.client import connect
    from devenv.ops.down import down as run_down
    from devenv.ops.down import remove_instance
    from devenv.ops.stale import stale_instances

    signals.install()
    out: Output = obj.output
    project = obj.project()
    client = connect()
    say = progress_printer(out)
    targets = [instance]
    if all_stale:
        targets = [i for p, i in stale_instances(client, project.name) if p == project.name]
        if not targets:
            out.info("no stale test instances")
    removed = {"containers": [], "networks": [], "volumes": [], "kept_volumes": []}
    for name in targets:
        if all_stale:
            result = remove_instance(client, project.name, name, volumes=True, stop_timeout=0, progress=say)
        else:
            result = run_down(project, name, volumes=volumes, progress=say, client=client, waiting=out.info)
        for key in removed:
            removed[key].extend(getattr(result, key))
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
    from devenv.ops.status import status as get_status

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


@click.command(short_help="Show (or follow) service logs.")
@click.argument("services", nargs=-1, shell_complete=complete_services)
@instance_option
@click.option("-f", "--follow", is_flag=True, help="Keep streaming new lines.")
@click.option("-n", "--tail", type=int, default=None, help="Only the last N lines of each service.")
@click.pass_obj
def logs(obj: Any, services: tuple[str, ...], instance: str, follow: bool, tail: Optional[int]) -> None:
    """Print the logs of the stack's services (all, or those named), prefixed by service."""
    from devenv.engine.client import connect
    from devenv.engine.logs import show_logs
    from devenv.engine.observe import list_containers
    from devenv.ops.secrets import known_secret_values

    out: Output = obj.output
    project = obj.project()
    _check_services(project, services)
    out.add_secrets(known_secret_values(project))
    client = connect()
    targets = [
        (c.service, c.id)
        for c in list_containers(client, project.name, instance)
        if not services or c.service in services
    ]
    if not targets:
        raise DevenvError(
            f"{project.name} ({instance}) has no containers", "start the stack with `devenv up`"
        )
    prefix = len(targets) > 1
    width = max(len(s) for s, _ in targets)

    def sink(service: str, line: str) -> None:
        out.line(f"{out.style(service.ljust(width), fg='cyan', stream='out')} | {line}" if prefix else line)

    try:
        show_logs(client, sorted(targets), sink, follow=follow, tail=tail)
    except KeyboardInterrupt:
        pass


def _check_services(project: Any, services: tuple[str, ...]) -> None:
    from devenv.ops.up import check_selection

    check_selection(project, services, "default")


def _container_of(obj: Any, service: str, instance: str) -> tuple[Any, str]:
    from devenv.engine.client import connect
    from devenv.engine.observe import list_containers

    project = obj.project()
    _check_services(project, (service,))
    client = connect()
    for c in list_containers(client, project.name, instance):
        if c.service == service:
            if not c.running:
                raise DevenvError(f"service {service} is {c.state}", f"start it with `devenv up {service}`")
            return client, c.id
    raise DevenvError(
        f"service {service} is not running in instance {instance}", f"run `devenv up {service}`"
    )


@click.command(
    "exec",
    short_help="Run a command in a service container, with its real env.",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@click.argument("service", shell_complete=complete_service)
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@instance_option
@click.option("-u", "--user", default=None, help="Run as this user (default: the service's).")
@click.option("-T", "--no-tty", is_flag=True, help="Never allocate a TTY.")
@click.pass_obj
def exec_(
    obj: Any, service: str, command: tuple[str, ...], instance: str, user: Optional[str], no_tty: bool
) -> None:
    """Run COMMAND in SERVICE's container (with the service's env, user and workdir) and exit
    with its exit code:  devenv exec web -- python manage.py migrate"""
    from devenv.engine.attach import run_in_container

    if command and command[0] == "--":  # `devenv exec web -- cmd`: the separator is ours, not the command's
        command = command[1:]
    if not command:
        raise click.UsageError("give a command after the service, e.g. devenv exec web -- sh")
    client, container_id = _container_of(obj, service, instance)
    tty = not no_tty and sys.stdin.isatty() and sys.stdout.isatty()
    code = run_in_container(
        client,
        container_id,
        command,
        service=service,
        tty=tty,
        stdin=not sys.stdin.isatty() or tty,
        user=user,
    )
    sys.stdout.flush()
    raise SystemExit(code)


@click.command(short_help="Open an interactive shell in a service container.")
@click.argument("service", shell_complete=complete_service)
@instance_option
@click.option("-u", "--user", default=None, help="Run as this user (default: the service's).")
@click.option("--shell", "shell_path", default="/bin/sh", show_default=True, help="Shell to run.")
@click.pass_obj
def shell(obj: Any, service: str, instance: str, user: Optional[str], shell_path: str) -> None:
    """An interactive shell in SERVICE's container, with the service's real env."""
    from devenv.engine.attach import run_in_container

    client, container_id = _container_of(obj, service, instance)
    tty = sys.stdin.isatty() and sys.stdout.isatty()
    code = run_in_container(
        client, container_id, [shell_path], service=service, tty=tty, stdin=True, user=user
    )
    raise SystemExit(code)
