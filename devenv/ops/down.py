"""`devenv down`: remove exactly what devenv created for an instance. Named volumes only with
`volumes=True`; external volumes and data disks (bind mounts) never.

Each container stops the way its service asks: the image's STOPSIGNAL (a database shuts down
cleanly), SIGKILL only after the service's own `stop_timeout`. Only reads and removals: the
lite client does it all, without loading docker-py.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Callable, Optional

from devenv.config.model import Project
from devenv.engine import labels as L
from devenv.engine.connect import light
from devenv.engine.records import ContainerInfo
from devenv.errors import about
from devenv.ops.instance import ensure_own
from devenv.ops.instance_lock import instance_lock
from devenv.ops.progress import Progress, Waiting, silent

if TYPE_CHECKING:  # Protocols for the type checker only (see engine/connect.py)
    from devenv.engine.port import EngineTeardown


class DownResult:
    """What was removed (names), and the named volumes kept. A plain class: `down` is the one
    command of its path that would load `dataclasses` (and compile its methods) for it."""

    def __init__(self) -> None:
        self.containers: list[str] = []
        self.networks: list[str] = []
        self.volumes: list[str] = []
        self.kept_volumes: list[str] = []

    def add(self, other: DownResult) -> None:
        self.containers += other.containers
        self.networks += other.networks
        self.volumes += other.volumes
        self.kept_volumes += other.kept_volumes


def down(
    project: Project,
    instance: str,
    *,
    volumes: bool = False,
    progress: Progress = silent,
    engine: Optional[EngineTeardown] = None,
    waiting: Optional[Waiting] = None,
) -> DownResult:
    """Take one instance down under its lock, each container with its service's stop timeout."""
    engine = engine or light()
    timeouts = {s.name: s.stop_timeout_s for s in project.services}
    with instance_lock(project.root, project.name, instance, waiting=waiting):
        containers = engine.containers(L.selector(project.name, instance))
        leftovers = ensure_own(containers, project, instance, "down")  # another checkout's: raises
        if leftovers:
            progress(f"{project.name} ({instance})", leftovers)
        return remove_instance(
            engine,
            project.name,
            instance,
            volumes=volumes,
            timeouts=timeouts,
            progress=progress,
            containers=containers,
        )


def remove_instance(
    engine: EngineTeardown,
    project_name: str,
    instance: str,
    *,
    volumes: bool,
    timeouts: Mapping[str, float],
    default_timeout: Optional[float] = None,
    progress: Progress = silent,
    containers: Optional[Sequence[ContainerInfo]] = None,
) -> DownResult:
    """`timeouts`: the stop timeout per service; a service not named there gets
    `default_timeout` (None: its container's own, the one it was created with). `containers`:
    the instance's, when the caller has just listed them."""
    result = DownResult()
    if containers is None:
        containers = engine.containers(L.selector(project_name, instance))
    _remove_all(engine, containers, lambda service: timeouts.get(service, default_timeout), progress)
    result.containers = sorted(c.name for c in containers)
    for network in engine.networks(L.selector(project_name, instance)):
        engine.remove_network(network.id)
        progress(network.name, "network removed")
        result.networks.append(network.name)
    for volume in engine.volumes(L.selector(project_name, instance)):
        if volumes:
            engine.remove_volume(volume.name)
            progress(volume.name, "volume removed")
            result.volumes.append(volume.name)
        else:
            result.kept_volumes.append(volume.name)
    return result


def remove_container(
    engine: EngineTeardown, container_id: str, stop_timeout: Optional[float], service: str
) -> None:
    """Stop (the image's STOPSIGNAL, SIGKILL after `stop_timeout`; None: the container's own
    timeout), then remove. A container gone meanwhile is fine."""
    with about(service):
        if engine.stop(container_id, stop_timeout):
            engine.remove_container(container_id)


def _remove_all(
    engine: EngineTeardown,
    containers: Sequence[ContainerInfo],
    timeout_of: Callable[[str], Optional[float]],
    say: Progress,
) -> None:
    """In parallel: a stack of N containers stops in one grace period, not N. Plain threads, the
    calling one included: a pool's module (and the logging it loads) costs more than the calls."""
    failures: list[BaseException] = []

    def one(container: ContainerInfo) -> None:
        try:
            remove_container(engine, container.id, timeout_of(container.service), container.service)
            say(container.service, "removed")
        except BaseException as err:  # handed to the calling thread, raised there
            failures.append(err)

    helpers = [
        threading.Thread(target=one, args=(c,), name=f"devenv-down-{c.service}") for c in containers[1:]
    ]
    for helper in helpers:
        helper.start()
    if containers:
        one(containers[0])
    for helper in helpers:
        helper.join()
    if failures:
        raise failures[0]
