"""Which engine answers: Docker, or Podman's Docker-compatible service. Read from what the engine
says anyway (the `Server` header of every answer, the `/version` document), never guessed from
the socket's path, so a Podman socket behind DOCKER_HOST or a docker context is known as Podman."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

DOCKER = "Docker"
PODMAN = "Podman"


class EngineKind(NamedTuple):
    name: str  # DOCKER or PODMAN
    version: str  # the engine's own version ("20.10.24", "4.3.1")
    api_version: str  # the Docker API it speaks ("1.41")

    @property
    def podman(self) -> bool:
        return self.name == PODMAN

    def __str__(self) -> str:
        return f"{self.name} {self.version} (API {self.api_version})"


def podman_server(header: str) -> bool:
    """The `Server` header: `Libpod/4.3.1 (linux)` from Podman, `Docker/20.10.24 (linux)` from Docker."""
    return header.strip().lower().startswith("libpod/")


def engine_kind(version: Mapping[str, Any]) -> EngineKind:
    """From `/version`: Podman names its first component "Podman Engine", Docker "Engine"."""
    components = version.get("Components") or []
    podman = any(isinstance(c, Mapping) and str(c.get("Name", "")).startswith("Podman") for c in components)
    return EngineKind(
        PODMAN if podman else DOCKER, str(version.get("Version", "?")), str(version.get("ApiVersion", "?"))
    )
