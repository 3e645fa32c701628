"""What runs: the labelled containers, networks and volumes of a project (one list call each)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from devenv.engine.client import translated
from devenv.stack import names
from devenv.stack.plan import Observed


@dataclass(frozen=True)
class ContainerInfo:
    """A container as status shows it (from the list call: no per-container inspect needed)."""

    id: str
    name: str
    service: str
    instance: str
    state: str  # running, exited, created, ...
    status: str  # "Up 3 seconds (healthy)"
    labels: dict[str, str]
    ports: tuple[tuple[str, int, int, str], ...]  # (host_ip, host_port, container_port, proto)

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def health(self) -> Optional[str]:
        for word in ("unhealthy", "healthy", "health: starting"):
            if f"({word})" in self.status:
                return "starting" if word == "health: starting" else word
        return None

    def observed(self) -> Observed:
        return Observed(
            self.id,
            self.name,
            self.service,
            self.labels.get(names.CONFIG_HASH, ""),
            self.running,
            self.health,
        )


def list_containers(client: Any, project: str, instance: Optional[str] = None) -> list[ContainerInfo]:
    with translated("listing containers"):
        raw = client.api.containers(all=True, filters={"label": names.label_filters(project, instance)})
    return [_info(c) for c in raw]


def list_all_devenv_containers(client: Any) -> list[ContainerInfo]:
    with translated("listing containers"):
        raw = client.api.containers(all=True, filters={"label": [names.PROJECT]})
    return [_info(c) for c in raw]


def _info(raw: dict[str, Any]) -> ContainerInfo:
    labels = raw.get("Labels") or {}
    ports = tuple(
        sorted(
            (p.get("IP", ""), int(p["PublicPort"]), int(p["PrivatePort"]), p.get("Type", "tcp"))
            for p in raw.get("Ports") or ()
            if p.get("PublicPort")
        )
    )
    return ContainerInfo(
        id=raw["Id"],
        name=(raw.get("Names") or ["/?"])[0].lstrip("/"),
        service=labels.get(names.SERVICE, "?"),
        instance=labels.get(names.INSTANCE, "?"),
        state=raw.get("State", "unknown"),
        status=raw.get("Status", ""),
        labels=labels,
        ports=ports,
    )


def list_networks(client: Any, project: str, instance: Optional[str] = None) -> list[dict[str, Any]]:
    with translated("listing networks"):
        return client.api.networks(filters={"label": names.label_filters(project, instance)})


def list_volumes(client: Any, project: str, instance: Optional[str] = None) -> list[dict[str, Any]]:
    with translated("listing volumes"):
        answer = client.api.volumes(filters={"label": names.label_filters(project, instance)})
    return answer.get("Volumes") or []
