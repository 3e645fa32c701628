"""`devenv watch`: attach to a running stack, reload services on save, stream their logs.
`devenv up` (foreground) calls `run_watch` once the stack is up."""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Optional

import click

from devenv.cli.app import SHORT_HELP
from devenv.cli.completion import complete_services
from devenv.cli.context import AppContext, pass_app
from devenv.cli.options import instance_option
from devenv.cli.output import Output
from devenv.config.watch_actions import NONE, RESTART, WatchAction
from devenv.ops.secrets import known_secret_values
from devenv.ops.selection import check_selection
from devenv.ops.watch import Watching
from devenv.ops.watch import watch as run_watch_loop

if TYPE_CHECKING:
    from devenv.config.model import Project

COLOURS = ("cyan", "magenta", "green", "yellow", "blue", "bright_cyan", "bright_magenta", "bright_green")


class CliReporter:
    """Renders the watch loop's events: a line per reload, prefixed log lines, failures."""

    def __init__(self, out: Output, services: Sequence[str]):
        self.out = out
        self.width = max([len(s) for s in services] + [4])
        self.colours = {name: COLOURS[i % len(COLOURS)] for i, name in enumerate(services)}
        self._lock = threading.Lock()  # log threads and the loop print concurrently

    def _name(self, service: str, stream: str = "err") -> str:
        return self.out.style(
            service.ljust(self.width), fg=self.colours.get(service), bold=True, stream=stream
        )

    def reloaded(self, service: str, ms: float, files: Collection[str], action: WatchAction) -> None:
        count = f"{len(files)} file{'s' if len(files) != 1 else ''}"
        verb = {RESTART: "reloaded", NONE: "changed"}.get(action, f"reloaded ({action})")
        with self._lock:
            self.out.info(f"{self._name(service)}  {verb} in {ms:.0f} ms ({count})")

    def failed(self, service: str, message: str, last_logs: list[str]) -> None:
        with self._lock:
            self.out.warn(f"{service}: {message}")
            for line in last_logs[-15:]:
                self.out.info(f"  {self.out.style('│', fg='red')} {line}")
            self.out.info(f"{self._name(service)}  still watching: save again to retry")

    def note(self, message: str) -> None:
        with self._lock:
            self.out.info(message)

    def log(self, service: str, line: str) -> None:
        with self._lock:
            self.out.line(f"{self._name(service, stream='out')} | {line}")


def run_watch(
    out: Output,
    project: Project,
    instance: str,
    services: Sequence[str],
    *,
    down_on_exit: bool = False,
    force_polling: bool = False,
    profile: Optional[str] = None,
    redacting: bool = False,
) -> None:
    """Watch the running stack's services and stream their logs until Ctrl-C (rendering only:
    `ops.watch` does the work). `profile`: the foreground `up`'s, which `redacting` says has
    already given `out` its secrets (resolved once, by `up`)."""

    check_selection(project, services, instance)
    if not redacting:
        out.add_secrets(known_secret_values(project, profile))  # the services' logs pass through it
    reporter = CliReporter(out, list(services) or list(project.service_names))

    def started(watching: Watching) -> None:
        report = watching.report
        if watching.watched:
            out.info(
                f"watching {', '.join(watching.watched)}: {report.folders:,} folders "
                f"({report.mode}, {report.backend}); Ctrl-C stops watching"
            )
        else:
            out.info("no service has a [services.NAME.watch] table: streaming logs only; Ctrl-C stops")

    def stopping(down: bool) -> None:
        if down:
            out.info(f"taking {project.name} ({instance}) down")
        else:
            out.info(f"stopped watching; {project.name} ({instance}) is still up (`devenv down` removes it)")

    run_watch_loop(
        project,
        instance,
        services,
        reporter,
        started=started,
        stopping=stopping,
        down_on_exit=down_on_exit,
        force_polling=force_polling,
        profile=profile,
    )


@click.command(short_help=SHORT_HELP["watch"])
@click.argument("services", nargs=-1, shell_complete=complete_services)
@instance_option
@click.option("--down-on-exit", is_flag=True, help="Take the stack down when watching stops (Ctrl-C).")
@click.option("--poll", is_flag=True, help="Poll for changes instead of using file events.")
@pass_app
def watch(
    obj: AppContext, services: tuple[str, ...], instance: Optional[str], down_on_exit: bool, poll: bool
) -> None:
    """Attach to a stack started with `devenv up -d`: on every save, reload the services whose
    [services.NAME.watch] paths changed (restart, sync, rebuild, ...), and stream their logs.
    Ctrl-C stops watching and leaves the stack running (or down, with --down-on-exit)."""
    run_watch(
        obj.output,
        obj.acting_project("containers"),  # a rebuild creates containers
        obj.instance(instance).name,
        list(services),
        down_on_exit=down_on_exit,
        force_polling=poll,
    )
