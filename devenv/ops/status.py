"""`devenv status`: what runs for an instance, as data the CLI renders (table or JSON).

Plain classes, not dataclasses or NamedTuples, though nothing changes them once built: every `up`
and `status` imports this module, and creating a dataclass or NamedTuple class at import costs
many times what these cost. `StackStatus.to_dict` is the `status --json` document, key for key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional

from devenv.config.model import Project
from devenv.engine import labels as L
from devenv.engine.connect import light
from devenv.engine.port import EngineReads
from devenv.engine.records import ContainerInfo
from devenv.ops.instance import (
    OPTION,
    OtherFolder,
    choose_instance,
    created_from,
    orphaned,
    other_folder,
)


class ServiceStatus:
    """One service of the instance: its container's state, image and published ports."""

    __slots__ = (
        "container",
        "digest",
        "env_hash",
        "exit_code",
        "health",
        "image",
        "include",
        "ports",
        "security",
        "service",
        "source",
        "state",
        "target",
        "urls",
    )

    def __init__(
        self,
        service: str,
        state: str,  # running | exited | created | not created
        health: Optional[str],
        container: Optional[str],
        image: Optional[str],
        digest: Optional[str],
        env_hash: Optional[str],
        urls: Optional[list[str]] = None,
        ports: Optional[list[str]] = None,
        security: Optional[list[str]] = None,  # "privileged", "docker-socket"
        exit_code: Optional[int] = None,  # of an exited container
        target: Optional[str] = None,  # the env target its container mirrors (`up --target`)
        include: Optional[str] = None,  # the [include.NAME] it came from
        source: Optional[str] = None,  # an included one's: "git" (pinned), "path" or "link" (from source)
    ) -> None:
        self.target = target
        self.include = include
        self.source = source
        self.service = service
        self.state = state
        self.health = health
        self.container = container
        self.image = image
        self.digest = digest
        self.env_hash = env_hash
        self.urls: list[str] = [] if urls is None else urls
        self.ports: list[str] = [] if ports is None else ports
        self.security: list[str] = [] if security is None else security
        self.exit_code = exit_code

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "state": self.state,
            "exit_code": self.exit_code,
            "health": self.health,
            "container": self.container,
            "image": self.image,
            "digest": self.digest,
            "env_hash": self.env_hash,
            "target": self.target,
            "urls": list(self.urls),
            "ports": list(self.ports),
            "security": list(self.security),
            **({"include": self.include, "source": self.source} if self.include else {}),
        }


class OtherInstance:
    """Another instance of the project on this engine (another worktree's, a test run's...)."""

    __slots__ = ("containers", "created_from", "folder_gone", "instance", "running")

    def __init__(
        self,
        instance: str,
        created_from: list[str],  # the folders its containers were created from
        folder_gone: bool,  # leftovers (`ops.instance.orphaned`): `down --all-stale` removes it
        containers: int,
        running: int,
    ) -> None:
        self.instance = instance
        self.created_from = created_from
        self.folder_gone = folder_gone
        self.containers = containers
        self.running = running

    def to_dict(self) -> dict[str, Any]:
        return {
            "instance": self.instance,
            "created_from": list(self.created_from),
            "folder_gone": self.folder_gone,
            "containers": self.containers,
            "running": self.running,
        }


class StackStatus:
    __slots__ = (
        "created_from",
        "instance",
        "instance_source",
        "others",
        "project",
        "project_dir",
        "services",
        "volumes",
        "worktree",
    )

    def __init__(
        self,
        project: str,
        instance: str,
        services: list[ServiceStatus],
        project_dir: str = "",
        instance_source: str = OPTION,  # option | pinned | worktree | default: how the instance was chosen
        worktree: Optional[str] = None,  # git's name of the linked worktree this folder is
        created_from: Optional[OtherFolder] = None,  # another folder the instance's containers are from
        others: Optional[list[OtherInstance]] = None,
        volumes: Optional[list[str]] = None,  # the instance's named volumes on the engine
    ) -> None:
        self.project = project
        self.instance = instance
        self.services = services
        self.project_dir = project_dir
        self.instance_source = instance_source
        self.worktree = worktree
        self.created_from = created_from
        self.others: list[OtherInstance] = [] if others is None else others
        self.volumes: list[str] = [] if volumes is None else volumes

    def to_dict(self) -> dict[str, Any]:
        other = self.created_from
        return {
            "project": self.project,
            "instance": self.instance,
            "instance_source": self.instance_source,
            "worktree": self.worktree,
            "project_dir": self.project_dir,
            "created_from": {"path": other.path, "live": other.live} if other else None,
            "services": [s.to_dict() for s in self.services],
            "volumes": self.volumes,
            "other_instances": [o.to_dict() for o in self.others],
        }


def url_for(host_ip: str, host_port: int, proto: str) -> str:
    host = "127.0.0.1" if host_ip in ("", "0.0.0.0", "::") else host_ip
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{host_port}" if proto == "tcp" else f"{proto}://{host}:{host_port}"


def status(
    project: Project, instance: str, *, engine: Optional[EngineReads] = None, with_volumes: bool = False
) -> StackStatus:
    """`with_volumes`: also list the instance's named volumes (one more request; `status --json`
    shows them, `up`'s table does not)."""
    engine = engine or light()  # read-only: the lite client is enough
    everything = engine.containers(L.selector(project.name))  # one call: this instance and the others
    mine = [c for c in everything if c.instance == instance]
    rows = service_rows(project, mine)
    automatic = choose_instance(project)
    return StackStatus(
        project.name,
        instance,
        rows,
        project_dir=str(project.root),
        instance_source=automatic.source if instance == automatic.name else OPTION,
        worktree=automatic.worktree,
        created_from=other_folder(mine, project),
        others=_others(everything, instance),
        volumes=sorted(v.name for v in engine.volumes(L.selector(project.name, instance)))
        if with_volumes
        else [],
    )


def service_rows(project: Project, mine: Sequence[ContainerInfo]) -> list[ServiceStatus]:
    """A row per service of the project, then per container of the instance (`mine`) that no
    service names any more."""
    containers = {c.service: c for c in mine}
    rows = []
    for name in [*project.service_names, *sorted(set(containers) - set(project.service_names))]:
        c = containers.get(name)
        origin = _origin(project, name)
        if c is None:
            rows.append(
                ServiceStatus(
                    name, "not created", None, None, None, None, None, include=origin[0], source=origin[1]
                )
            )
            continue
        seen: set[tuple[int, str]] = set()
        urls, ports = [], []
        for host_ip, host_port, container_port, proto in c.ports:
            if (host_port, proto) in seen:  # IPv4 and IPv6 entries of one binding
                continue
            seen.add((host_port, proto))
            urls.append(url_for(host_ip, host_port, proto))
            ports.append(f"{host_ip or '0.0.0.0'}:{host_port}->{container_port}/{proto}")
        security = [s for s in c.labels.get(L.SECURITY, "").split(",") if s]
        rows.append(
            ServiceStatus(
                service=name,
                state=c.state,
                health=c.health,
                container=c.id[:12],
                image=c.labels.get(L.IMAGE_REF),
                digest=c.labels.get(L.IMAGE_DIGEST),
                env_hash=c.labels.get(L.ENV_HASH) or None,
                urls=urls,
                ports=ports,
                security=security,
                exit_code=c.exit_code,
                target=c.labels.get(L.TARGET) or "prod",  # no label: the default
                include=c.labels.get(L.INCLUDE) or origin[0],
                source=c.labels.get(L.INCLUDE_SOURCE) or origin[1],
            )
        )
    return rows


def _others(containers: list[ContainerInfo], instance: str) -> list[OtherInstance]:
    by_instance: dict[str, list[ContainerInfo]] = {}
    for c in containers:
        if c.instance != instance:
            by_instance.setdefault(c.instance, []).append(c)
    others = []
    for name, group in sorted(by_instance.items()):
        others.append(
            OtherInstance(
                instance=name,
                created_from=sorted(created_from(group)),
                folder_gone=orphaned(group),
                containers=len(group),
                running=sum(1 for c in group if c.running),
            )
        )
    return others


def _origin(project: Project, service: str) -> tuple[Optional[str], Optional[str]]:
    """(include, source) of an included service as the file says now; (None, None) for our own."""
    for svc in project.services:
        if svc.name == service and svc.include:
            return svc.include, project.included(svc.include).source
    return None, None
