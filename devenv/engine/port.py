"""The engine port: what devenv asks of a container engine, typed. Nothing outside `engine/`
talks to the engine any other way.

Two implementations:
- `docker_engine.DockerEngine` (docker-py): the whole port.
- `lite.LiteEngine` (the standard library over the unix socket): `EngineStack`, the reads a
  no-op `up` and `status` need, the removals `down` needs, and the creates and starts of an `up`
  whose images are present. Importing docker-py costs more than all of those calls together.

Every method raises only DevenvErrors (`engine.errors`), never a third-party exception.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import IO, Optional, Protocol, Union

from devenv.engine.records import (
    JSON,
    ContainerDetails,
    ContainerInfo,
    ContainerSpec,
    EngineEvent,
    ExecResult,
    ImageInfo,
    Message,
    NetworkInfo,
    PortBindings,
    VolumeInfo,
)


class LogStream(Protocol):
    """Raw log bytes as they come; `close()` (from any thread) ends the iteration."""

    def __iter__(self) -> Iterator[bytes]: ...

    def close(self) -> None: ...


class EventStream(Protocol):
    """The engine's container events as they happen; `close()` (from any thread) ends the
    iteration."""

    def __iter__(self) -> Iterator[EngineEvent]: ...

    def close(self) -> None: ...


class ExecSession(Protocol):
    """A running exec with its attached stream: the raw socket (docker's multiplexed frames
    without a TTY) and the id to ask for its exit code."""

    exec_id: str
    sock: socket.socket


class EngineReads(Protocol):
    """Read-only questions: what runs, what is there."""

    host: str

    def ping(self) -> None: ...

    def is_podman(self) -> bool:
        """Whether the engine is Podman's Docker-compatible service (`engine.kind`), learned once
        per client."""
        ...

    def containers(self, labels: Sequence[str], *, all: bool = True) -> list[ContainerInfo]: ...

    def inspect_container(self, container_id: str) -> ContainerDetails: ...

    def inspect_image(self, reference: str) -> Optional[ImageInfo]:
        """None when the engine does not have it."""
        ...

    def networks(self, labels: Sequence[str]) -> list[NetworkInfo]: ...

    def volumes(self, labels: Sequence[str]) -> list[VolumeInfo]: ...

    def events(self, labels: Sequence[str]) -> EventStream:
        """Container events of what carries `labels`, from now on, until closed: a watcher
        waits on it instead of asking again and again."""
        ...

    def close(self) -> None: ...


class EngineTeardown(EngineReads, Protocol):
    """The reads plus what `down` does: stop and remove."""

    def stop(self, container_id: str, timeout: Optional[float] = None) -> bool:
        """Stop with the image's STOPSIGNAL, SIGKILL after `timeout` seconds (None: the
        container's own stop timeout). False when the container is gone already."""
        ...

    def remove_container(self, container_id: str) -> bool:
        """Remove (forced) with its anonymous volumes — an image's `VOLUME` that no named volume
        covers would otherwise be left behind unlabelled on every down/recreate; named volumes
        are never removed with a container. False when it is gone already."""
        ...

    def remove_network(self, network_id: str) -> None: ...

    def network_containers(self, network_id: str) -> list[str]:
        """The names of the containers the engine lists as attached to the network."""
        ...

    def remove_volume(self, name: str) -> None: ...


class EngineStack(EngineTeardown, Protocol):
    """The teardown plus what carrying out an `up` plan needs once its images are present:
    networks, volumes, containers, starting them, and their logs for error messages."""

    def create_network(self, name: str, labels: Mapping[str, str]) -> None: ...

    def create_volume(
        self, name: str, *, driver: str, options: Optional[Mapping[str, str]], labels: Mapping[str, str]
    ) -> None: ...

    def create_container(self, spec: ContainerSpec, *, network: str, port_bindings: PortBindings) -> str:
        """Create (not start) the container of `spec` on `network`; returns its id."""
        ...

    def start(self, container_id: str) -> None: ...

    def logs(self, container_id: str, *, tail: Optional[int] = None) -> bytes: ...

    def path_exists(self, container_id: str, path: str) -> bool:
        """Whether `path` exists in the container's file system (the engine's archive stat: no
        process is started in the container). Not for tmpfs mounts, which the engine cannot see."""
        ...


class Engine(EngineStack, Protocol):
    """Everything devenv does with an engine."""

    def version(self) -> JSON: ...

    def info(self) -> JSON: ...

    def restart(self, container_id: str, timeout: float) -> None: ...

    def kill(self, container_id: str, signal: str, *, pid: int = 0) -> None:
        """Send `signal` to the container's main process; `pid` (inspect's, when known) lets it
        go straight from this kernel when the container runs here."""
        ...

    def run_health_check(self, container_id: str) -> Optional[str]:
        """Run the container's health check once, now, and have the engine record it (Podman's
        libpod endpoint): the health it reports, or None when the engine will not run it."""
        ...

    # --- processes and files in a container ---
    def exec_run(
        self,
        container_id: str,
        command: Sequence[str],
        *,
        user: str = "",
        workdir: Optional[str] = None,
    ) -> ExecResult:
        """Run to completion; stdout and stderr together."""
        ...

    def exec_attach(
        self,
        container_id: str,
        command: Sequence[str],
        *,
        stdin: bool,
        tty: bool,
        user: str = "",
        workdir: Optional[str] = None,
        env: Optional[Mapping[str, str]] = None,
    ) -> ExecSession: ...

    def exec_exit_code(self, exec_id: str) -> Optional[int]: ...

    def exec_resize(self, exec_id: str, *, height: int, width: int) -> None: ...

    def put_archive(self, container_id: str, path: str, data: Union[bytes, IO[bytes]]) -> bool: ...

    def follow_logs(
        self, container_id: str, *, follow: bool, tail: Optional[int] = None, since: Optional[int] = None
    ) -> LogStream: ...

    # --- images ---
    def images(self, labels: Sequence[str]) -> list[ImageInfo]: ...

    def pull(
        self, repository: str, reference: str, *, auth: Optional[Mapping[str, str]]
    ) -> Iterable[Message]: ...

    def push(self, repository: str, tag: str, *, auth: Optional[Mapping[str, str]]) -> Iterable[Message]: ...

    def build(
        self,
        *,
        tag: str,
        labels: Mapping[str, str],
        context_dir: Optional[str] = None,
        context_tar: Optional[bytes] = None,
        dockerfile: Optional[str] = None,
        build_args: Optional[Mapping[str, str]] = None,
        target: Optional[str] = None,
    ) -> Iterable[Message]:
        """Build from a folder (docker's own .dockerignore handling) or a tar archive;
        `dockerfile`: its path inside the folder or archive (default: Dockerfile)."""
        ...

    def tag(self, image: str, repository: str, tag: str) -> None: ...
