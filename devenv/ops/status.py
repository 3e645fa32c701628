"""`devenv status`: what runs for an instance, as data the CLI renders (table or JSON)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Optional

from devenv.config.model import Project
from devenv.engine import labels as L
from devenv.engine.connect import light
from devenv.engine.port import EngineReads


@dataclass
class ServiceStatus:
    service: str
    state: str  # running | exited | created | not created
    health: Optional[str]
    container: Optional[str]
    image: Optional[str]
    digest: Optional[str]
    env_hash: Optional[str]
    urls: list[str] = field(default_factory=list)
    ports: list[str] = field(default_factory=list)
    security: list[str] = field(default_factory=list)  # "privileged", "docker-socket"


@dataclass
class StackStatus:
    project: str
    instance: str
    services: list[ServiceStatus]

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "instance": self.instance,
            "services": [asdict(s) for s in self.services],
        }


def url_for(host_ip: str, host_port: int, proto: str) -> str:
    host = "127.0.0.1" if host_ip in ("", "0.0.0.0", "::") else host_ip
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{host_port}" if proto == "tcp" else f"{proto}://{host}:{host_port}"


def status(project: Project, instance: str, *, engine: Optional[EngineReads] = None) -> StackStatus:
    engine = engine or light()  # read-only: the lite client is enough
    containers = {c.service: c for c in engine.containers(L.selector(project.name, instance))}
    rows = []
    for name in [*project.service_names, *sorted(set(containers) - set(project.service_names))]:
        c = containers.get(name)
        if c is None:
            rows.append(ServiceStatus(name, "not created", None, None, None, None, None))
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
            )
        )
    return StackStatus(project.name, instance, rows)
