"""`devenv down`: remove exactly what devenv created for an instance. Named volumes only with
`volumes=True`; external volumes and data disks (bind mounts) never."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from devenv.config.model import Project
from devenv.engine.apply import remove_container
from devenv.engine.client import connect, translated
from devenv.engine.observe import list_containers, list_networks, list_volumes
from devenv.ops.instance_lock import instance_lock

Progress = Callable[[str, str], None]


@dataclass
class DownResult:
    containers: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    kept_volumes: list[str] = field(default_factory=list)


def down(
    project: Project,
    instance: str,
    *,
    volumes: bool = False,
    progress: Optional[Progress] = None,
    client: Any = None,
    waiting: Optional[Callable[[str], None]] = None,
) -> DownResult:
    """Take one instance down under its lock; each container stops with its own signal and
    grace period (the service's, set when it was created: a database gets its clean shutdown)."""
    client = client or connect()
    with instance_lock(project.root, project.name, instance, waiting=waiting):
        return remove_instance(
            client,
            project.name,
            instance,
            volumes=volumes,
            stop_timeout=None,
            progress=progress,
        )


def remove_instance(
    client: Any,
    project_name: str,
    instance: str,
    *,
    volumes: bool,
    stop_timeout: Optional[float],
    progress: Optional[Progress] = None,
) -> DownResult:
    say = progress or (lambda what, message: None)
    result = DownResult()
    containers = list_containers(client, project_name, instance)
    _remove_all(client, containers, stop_timeout, say)
    result.containers = sorted(c.name for c in containers)
    for network in list_networks(client, project_name, instance):
        with translated("removing the network"):
            client.api.remove_network(network["Id"])
        say(network["Name"], "network removed")
        result.networks.append(network["Name"])
    for volume in list_volumes(client, project_name, instance):
        if volumes:
            with translated(f"removing volume {volume['Name']}"):
                client.api.remove_volume(volume["Name"])
            say(volume["Name"], "volume removed")
            result.volumes.append(volume["Name"])
        else:
            result.kept_volumes.append(volume["Name"])
    return result


def _remove_all(client: Any, containers: list[Any], stop_timeout: Optional[float], say: Progress) -> None:
    # In parallel: a stack of N containers stops in one grace period, not N.
    from concurrent.futures import ThreadPoolExecutor

    def one(container: Any) -> None:
        remove_container(client, container.id, stop_timeout, container.service)
        say(container.service, "removed")

    with ThreadPoolExecutor(max_workers=8) as pool:
        for job in [pool.submit(one, c) for c in containers]:
            job.result()
