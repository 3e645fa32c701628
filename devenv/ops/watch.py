"""`devenv watch`: attach to a running stack, reload services on save, stream their logs, until
Ctrl-C; `devenv up` in the foreground ends here too."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Callable, Optional

from devenv.config.model import Project
from devenv.engine import labels as L
from devenv.engine import local_process
from devenv.engine.connect import connect
from devenv.engine.port import Engine
from devenv.engine.records import ContainerDetails, ContainerInfo
from devenv.errors import DevenvError
from devenv.ops.down import down
from devenv.ops.instance import ensure_own
from devenv.ops.reload_journal import journaled
from devenv.ops.selection import check_selection
from devenv.ops.up import rebuild_service
from devenv.watch.logs import LogFollower, stream_logs
from devenv.watch.loop import Reporter, WatchLoop
from devenv.watch.observer import WatchReport


class ContainerFinder:
    """Finds a service's container by its labels (inspected once); forgets it after a rebuild,
    and when a container seen running in this kernel has a new main process (it was restarted:
    the PID the direct restart signal goes to is stale)."""

    def __init__(self, engine: Engine, project: str, instance: str):
        self.engine = engine
        self.project = project
        self.instance = instance
        self._cache: dict[str, ContainerDetails] = {}
        self._local: set[str] = set()  # containers whose main process this kernel was seen to run
        self._lock = threading.Lock()

    def running(self) -> dict[str, ContainerInfo]:
        found = self.engine.containers(L.selector(self.project, self.instance), all=False)
        return {c.service: c for c in found if L.SERVICE in c.labels}

    def __call__(self, service: str) -> ContainerDetails:
        with self._lock:
            cached = self._cache.get(service)
        if cached is not None and not self._restarted(cached):
            return cached
        found = self.engine.containers(L.selector(self.project, self.instance, service))
        if not found:
            raise DevenvError(
                f"service {service} has no container in {self.project} ({self.instance})",
                f"start it with `devenv up -d {service}`",
            )
        details = self.engine.inspect_container(found[0].id)
        with self._lock:
            self._cache[service] = details
            if local_process.is_container_init(details.pid, details.id):
                self._local.add(details.id)
        return details

    def _restarted(self, details: ContainerDetails) -> bool:
        return details.id in self._local and not local_process.is_container_init(details.pid, details.id)

    def forget(self, service: str) -> None:
        with self._lock:
            self._cache.pop(service, None)


@dataclass(frozen=True)
class Watching:
    """What the watch started on: the services it reloads and streams, and how it watches."""

    watched: list[str]  # services with a [services.NAME.watch] table
    streamed: list[str]  # services whose logs are followed
    report: WatchReport


@dataclass(frozen=True)
class WatchResult:
    watching: Optional[Watching]  # None: interrupted before watching started
    taken_down: bool


def watch(
    project: Project,
    instance: str,
    services: Sequence[str],
    reporter: Reporter,
    *,
    started: Callable[[Watching], None] = lambda watching: None,
    stopping: Callable[[bool], None] = lambda down: None,
    down_on_exit: bool = False,
    force_polling: bool = False,
    engine: Optional[Engine] = None,
    profile: Optional[str] = None,
) -> WatchResult:
    """Watch the running stack's services (all with a `watch` table, or those named) and stream
    their logs until Ctrl-C; leave the stack running unless `down_on_exit`. A rebuild recreates
    with `profile` (the foreground `up`'s), else with the profile its container was made with."""
    check_selection(project, services, instance)
    reporter = journaled(reporter, project.root, project.name, instance)  # `devenv ui` shows the reloads
    engine = engine or connect()
    finder = ContainerFinder(engine, project.name, instance)
    running = finder.running()
    leftovers = ensure_own(running.values(), project, instance, "watch")  # another checkout's: raises
    if leftovers:
        reporter.note(leftovers)
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

    def rebuild(service: str) -> None:
        labels = running[service].labels if service in running else {}
        made_with = labels.get(L.PROFILE)
        mirrored = project
        if labels.get(L.TARGET, "prod") != project.env.target:  # a stack up with --target: kept
            from devenv.envvars.targets import with_target

            mirrored = with_target(project, labels.get(L.TARGET, "prod"))
        try:
            rebuild_service(mirrored, instance, service, profile=profile or made_with)
        finally:
            finder.forget(service)

    loop = WatchLoop(
        project,
        to_watch,
        engine=engine,
        get_container=finder,
        rebuild=rebuild,
        reporter=reporter,
        force_polling=force_polling,
        crashes_in_logs=True,  # every watched service is among the followed ones below
    )
    followers: list[LogFollower] = []
    watching: Optional[Watching] = None
    try:
        watching = Watching([s.name for s in to_watch], selected, loop.start())
        started(watching)
        followers = stream_logs(selected, engine, finder, reporter)
        loop.run()
    except KeyboardInterrupt:
        pass
    finally:
        loop.close()
        for follower in followers:
            follower.stop()
    stopping(down_on_exit)
    if down_on_exit:
        down(project, instance)
    return WatchResult(watching, down_on_exit)
