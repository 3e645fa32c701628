"""`devenv down`: remove exactly what devenv created for an instance. Named volumes only with
`volumes=True`; external volumes and data disks (bind mounts) never."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from devenv.engine.apply import remove_container
from devenv.engine.client import connect, translated
from devenv.engine.observe import list_all_devenv_containers, list_containers, list_networks, list_volumes
from devenv.ops.instance_lock import instance_lock
from devenv.stack import names

Progress = Callable[[str, str], None]


@dataclass
class DownResult:
    containers: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    kept_volumes: list[str] = field(default_factory=list)


def down(
    project_root: Any,
    project_name: str,
    instance: str,
    *,
    volumes: bool = False,
    stop_timeout: float = 1.0,
    progress: Optional[Progress] = None,
    client: Any = None,
    waiting: Optional[Callable[[str], None]] = None,
) -> DownResult:
    client = client or connect()
    with instance_lock(project_root, project_name, instance, waiting=waiting):
        return remove_instance(
            client, project_name, instance, volumes=volumes, stop_timeout=stop_timeout, progress=progress
        )


def remove_instance(
    client: Any,
    project_name: str,
    instance: str,
    *,
    volumes: bool,
    stop_timeout: float,
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


def _remove_all(client: Any, containers: list[Any], stop_timeout: float, say: Progress) -> None:
    # In parallel: a stack of N containers stops in one grace period, not N.
    from concurrent.futures import ThreadPoolExecutor

    def one(container: Any) -> None:
        remove_container(client, container.id, stop_timeout, container.service)
        say(container.service, "removed")

    with ThreadPoolExecutor(max_workers=8) as pool:
        for job in [pool.submit(one, c) for c in containers]:
            job.result()


def stale_instances(client: Any, project_name: Optional[str] = None) -> list[tuple[str, str]]:
    """(project, instance) of `devenv test` instances whose owning devenv process is gone.
    Networks and volumes count too: a run killed before its first container leaves only those."""
    here = socket.gethostname()
    labelled: list[tuple[dict[str, str], str]] = [
        (c.labels, c.instance) for c in list_all_devenv_containers(client)
    ]
    with translated("listing networks and volumes"):
        owned = {"label": [names.OWNER_PID]}
        labelled += [(n.get("Labels") or {}, "") for n in client.api.networks(filters=owned)]
        if hasattr(client.api, "volumes"):  # the lite client lists containers and networks only
            labelled += [
                (v.get("Labels") or {}, "") for v in client.api.volumes(filters=owned).get("Volumes") or []
            ]
    stale = set()
    for labels, instance in labelled:
        pid = labels.get(names.OWNER_PID)
        if not pid or labels.get(names.OWNER_HOST) != here:
            continue
        project = labels.get(names.PROJECT, "")
        if project_name is not None and project != project_name:
            continue
        if not _alive(int(pid)):
            stale.add((project, instance or labels.get(names.INSTANCE, "")))
    return sorted(stale)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
