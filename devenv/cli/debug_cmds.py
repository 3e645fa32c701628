"""logs, exec, shell: the debugging verbs, on a running stack."""

from __future__ import annotations

import sys
from typing import Optional

import click

from devenv.cli.app import SHORT_HELP
from devenv.cli.completion import complete_service, complete_services
from devenv.cli.context import AppContext, pass_app
from devenv.cli.options import instance_option
from devenv.cli.output import Output
from devenv.ops.exec import exec_in_service
from devenv.ops.logs import LineSink
from devenv.ops.logs import logs as show_logs
from devenv.ops.secrets import known_secret_values


@click.command(short_help=SHORT_HELP["logs"])
@click.argument("services", nargs=-1, shell_complete=complete_services)
@instance_option
@click.option("-f", "--follow", is_flag=True, help="Keep streaming new lines.")
@click.option("-n", "--tail", type=int, default=None, help="Only the last N lines of each service.")
@pass_app
def logs(
    obj: AppContext, services: tuple[str, ...], instance: Optional[str], follow: bool, tail: Optional[int]
) -> None:
    """Print the logs of the stack's services (all, or those named), prefixed by service."""
    out: Output = obj.output
    project = obj.acting_project("reads")  # the env its secrets are masked from
    out.add_secrets(known_secret_values(project))

    def sink_for(shown: list[str]) -> LineSink:
        prefix, width = len(shown) > 1, max(len(s) for s in shown)

        def sink(service: str, line: str) -> None:
            out.line(
                f"{out.style(service.ljust(width), fg='cyan', stream='out')} | {line}" if prefix else line
            )

        return sink

    try:
        show_logs(project, obj.instance(instance).name, services, sink_for, follow=follow, tail=tail)
    except KeyboardInterrupt:
        pass


@click.command(
    "exec",
    short_help=SHORT_HELP["exec"],
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@click.argument("service", shell_complete=complete_service)
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@instance_option
@click.option("-u", "--user", default=None, help="Run as this user (default: the service's).")
@click.option("-T", "--no-tty", is_flag=True, help="Never allocate a TTY.")
@pass_app
def exec_(
    obj: AppContext,
    service: str,
    command: tuple[str, ...],
    instance: Optional[str],
    user: Optional[str],
    no_tty: bool,
) -> None:
    """Run COMMAND in SERVICE's container (with the service's env, user and workdir) and exit
    with its exit code:  devenv exec web -- python manage.py migrate"""
    if command and command[0] == "--":  # `devenv exec web -- cmd`: the separator is ours, not the command's
        command = command[1:]
    if not command:
        raise click.UsageError("give a command after the service, e.g. devenv exec web -- sh")
    tty = not no_tty and sys.stdin.isatty() and sys.stdout.isatty()
    name = obj.instance(instance).name
    code = exec_in_service(
        obj.project(), name, service, command, tty=tty, stdin=not sys.stdin.isatty() or tty, user=user
    )
    sys.stdout.flush()
    raise SystemExit(code)


@click.command(short_help=SHORT_HELP["shell"])
@click.argument("service", shell_complete=complete_service)
@instance_option
@click.option("-u", "--user", default=None, help="Run as this user (default: the service's).")
@click.option("--shell", "shell_path", default="/bin/sh", show_default=True, help="Shell to run.")
@pass_app
def shell(obj: AppContext, service: str, instance: Optional[str], user: Optional[str], shell_path: str) -> None:
    """An interactive shell in SERVICE's container, with the service's real env."""
    tty = sys.stdin.isatty() and sys.stdout.isatty()
    name = obj.instance(instance).name
    code = exec_in_service(obj.project(), name, service, [shell_path], tty=tty, stdin=True, user=user)
    raise SystemExit(code)
