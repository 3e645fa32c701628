"""`devenv watch`: attach to a running stack, reload services on save, stream their logs.
`devenv up` (foreground) calls `run_watch` once the stack is up."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import click

from devenv.cli.completion import complete_services
from devenv.cli.options import instance_option
from devenv.cli.output import Output
from devenv.errors import DevenvError

COLOURS = ("cyan", "magenta", "green", "yellow", "blue", "bright_cyan", "bright_magenta", "bright_green")
PROJECT_LABEL = "dev.devenv.project"
INSTANCE_LABEL = "dev.devenv.instance"
SERVICE_LABEL = "dev.devenv.service"


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

    def reloaded(self, service: str, ms: float, nfiles: int, action: str) -> None:
        files = f"{nfiles} file{'s' if nfiles != 1 else ''}"
        verb = {"restart": "reloaded", "none": "changed"}.get(action, f"reloaded ({action})")
        with self._lock:
            self.out.info(f"{self._name(service)}  {verb} in {ms:.0f} ms ({files})")

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


class ContainerFinder:
    """Finds a service's container by devenv labels; forgets it after a rebuild."""

    def __init__(self, client: Any, project: str, instance: str):
        self.client = client
        self.filters = [f"{PROJECT_LABEL}={project}", f"{INSTANCE_LABEL}={instance}"]
        self.project = project
        self.instance = instance
        self._cache: dict[str, Any] = {}
        self._lock = threading.Lock()

    def running(self) -> dict[str, Any]:
        found = self.client.containers.list(filters={"label": self.filters})
        return {c.labels.get(SERVICE_LABEL): c for c in found if c.labels.get(SERVICE_LABEL)}

    def __call__(self, service: str) -> Any:
        with self._lock:
            cached = self._cache.get(service)
        if cached is not None:
            return cached
        found = self.client.containers.list(
            all=True, filters={"label": [*self.filters, f"{SERVICE_LABEL}={service}"]}
        )
        if not found:
            raise DevenvError(
                f"service {service} has no container in {self.project} ({self.instance})",
                f"start it with `devenv up -d {service}`",
            )
        with self._lock:
            self._cache[service] = found[0]
        return found[0]

    def forget(self, service: str) -> None:
        with self._lock:
            self._cache.pop(service, None)


def _rebuild(project: Any, instance: str, finder: ContainerFinder) -> Any:
    def rebuild(service: str) -> None:
        try:
            from devenv.ops.up import rebuild_service
        except ImportError:  # the stack layer has not grown it yet
            raise DevenvError(
                f"{service}: rebuild is not available in this devenv",
                f"run `devenv up --build {service}`",
            ) from None
        try:
            rebuild_service(project, instance, service)
        finally:
            finder.forget(service)

    return rebuild


def run_watch(
    ctx_obj: Any,
    project: Any,
    instance: str,
    services: Sequence[str],
    *,
    down_on_exit: bool = False,
    force_polling: bool = False,
) -> None:
    """Watch the running stack's services (all with a `watch` table, or those named) and
    stream their logs until Ctrl-C; leave the stack running unless `down_on_exit`."""
    from devenv.engine.client import connect
    from devenv.ops.secrets import known_secret_values
    from devenv.ops.up import check_selection
    from devenv.watch.logs import stream_logs
    from devenv.watch.loop import WatchLoop

    out: Output = ctx_obj.output
    check_selection(project, services, instance)
    ctx_obj.output.add_secrets(known_secret_values(project))  # the services' logs pass through it
    client = connect()
    finder = ContainerFinder(client, project.name, instance)
    running = finder.running()
    selected = list(services) or [s for s in project.service_names if s in running]
    if not running or not selected:
        raise DevenvError(
            f"{project.name} ({instance}) has no running services to watch",
            "start the stack with `devenv up -d`, then `devenv watch`",
        )
    for name in selected:
        if name not in running:
            raise DevenvError(
                f"service {name} is not running in {project.name} ({instance})", f"`devenv up -d {name}`"
            )
    to_watch = [project.service(n) for n in selected if project.service(n).watch is not None]
    reporter = CliReporter(out, selected)
    loop = WatchLoop(
        project,
        to_watch,
        get_container=finder,
        rebuild=_rebuild(project, instance, finder),
        reporter=reporter,
        force_polling=force_polling,
    )
    followers = []
    try:
        report = loop.start()
        if to_watch:
            out.info(
                f"watching {', '.join(s.name for s in to_watch)}: {report.folders:,} folders "
                f"({report.mode}, {report.backend}); Ctrl-C stops watching"
            )
        else:
            out.info("no service has a [services.NAME.watch] table: streaming logs only; Ctrl-C stops")
        followers = stream_logs(selected, finder, reporter)
        loop.run()
    except KeyboardInterrupt:
        pass
    finally:
        loop.close()
        for follower in followers:
            follower.stop()
    if down_on_exit:
        from devenv.ops.down import down as run_down

        out.info(f"taking {project.name} ({instance}) down")
        run_down(project, instance, client=client)
    else:
        out.info(f"stopped watching; {project.name} ({instance}) is still up (`devenv down` removes it)")


@click.command(short_help="Watch files and reload services of a running stack.")
@click.argument("services", nargs=-1, shell_complete=complete_services)
@instance_option
@click.option("--down-on-exit", is_flag=True, help="Take the stack down when watching stops (Ctrl-C).")
@click.option("--poll", is_flag=True, help="Poll for changes instead of using file events.")
@click.pass_obj
def watch(obj: Any, services: tuple[str, ...], instance: str, down_on_exit: bool, poll: bool) -> None:
    """Attach to a stack started with `devenv up -d`: on every save, reload the services whose
    [services.NAME.watch] paths changed (restart, sync, rebuild, ...), and stream their logs.
    Ctrl-C stops watching and leaves the stack running (or down, with --down-on-exit)."""
    from devenv.cli import signals

    signals.install()
    project = obj.project()
    run_watch(obj, project, instance, list(services), down_on_exit=down_on_exit, force_polling=poll)
