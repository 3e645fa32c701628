"""The engine port over docker-py's low-level API: the one module that imports docker.

Every call runs inside `translated`, so what leaves here is a DevenvError or a record.
"""

from __future__ import annotations

import io
import os
import socket
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import IO, Any, Callable, Optional, TypeVar, Union

import docker
import docker.types

from devenv.engine import local_process, podman, records
from devenv.engine.bodies import check_bind_sources, container_body
from devenv.engine.errors import translated, unreachable
from devenv.engine.host import API_VERSION, DEFAULT_TIMEOUT, engine_host
from devenv.engine.kind import podman_server
from devenv.engine.labels import carries as labels_carry
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
from devenv.errors import EngineError

T = TypeVar("T")


class _Session:
    """An attached exec: the raw socket, and what docker-py wrapped it in (held, so the stream
    lives as long as the session)."""

    def __init__(self, exec_id: str, holder: Any):
        self.exec_id = exec_id
        self._holder = holder
        # A SocketIO on unix sockets (its socket inside), the socket itself over TLS.
        self.sock: socket.socket = getattr(holder, "_sock", holder)


class _Logs:
    """docker-py's cancellable log stream, its errors translated."""

    def __init__(self, stream: Any, doing: str):
        self._stream = stream
        self._doing = doing

    def __iter__(self) -> Iterator[bytes]:
        with translated(self._doing):
            yield from self._stream

    def close(self) -> None:
        self._stream.close()


class _Events:
    """docker-py's cancellable event stream as records, the label filter checked again."""

    def __init__(self, stream: Any, labels: Sequence[str]):
        self._stream = stream
        self._labels = labels

    def __iter__(self) -> Iterator[EngineEvent]:
        with translated("following the engine's events"):
            for raw in self._stream:
                event = records.engine_event(raw)
                attributes = (raw.get("Actor") or {}).get("Attributes")
                if event is not None and labels_carry(attributes, self._labels):
                    yield event

    def close(self) -> None:
        self._stream.close()


class DockerEngine:
    def __init__(self, api: docker.APIClient, host: str):
        self.api = api
        self.host = host
        self._podman: Optional[bool] = None  # asked once, on first need

    @classmethod
    def connect(cls, timeout: float = DEFAULT_TIMEOUT, *, verify: bool = True) -> DockerEngine:
        host = engine_host()
        try:
            kwargs: dict[str, Any] = {"version": API_VERSION, "timeout": timeout}
            client = (
                docker.from_env(**kwargs)
                if os.environ.get("DOCKER_HOST")
                else docker.DockerClient(base_url=host, **kwargs)
            )
            if verify:
                client.ping()
        except Exception as err:
            raise unreachable(host, err) from None
        return cls(client.api, host)

    def _do(self, doing: str, call: Callable[[], T]) -> T:
        with translated(doing):
            return call()

    def _stream(self, doing: str, start: Callable[[], Iterable[JSON]]) -> Iterator[Message]:
        with translated(doing):
            for raw in start():
                yield records.message(raw)

    @staticmethod
    def _filters(labels: Sequence[str]) -> Optional[dict[str, list[str]]]:  # no labels: everything
        return {"label": list(labels)} if labels else None

    # --- EngineReads ---
    def ping(self) -> None:
        try:
            self.api.ping()
        except Exception as err:
            raise unreachable(self.host, err) from None

    def is_podman(self) -> bool:
        """From the Server header of a ping: Podman's /version runs its package manager for
        every component (half a second and more), a ping costs nothing."""
        if self._podman is None:
            with translated("asking the engine what it is"):
                answer = self.api.get(f"{self.api.base_url}/_ping", timeout=self.api.timeout)
            self._podman = podman_server(answer.headers.get("Server", ""))
        return self._podman

    def containers(self, labels: Sequence[str], *, all: bool = True) -> list[ContainerInfo]:
        raw = self._do(
            "listing containers", lambda: self.api.containers(all=all, filters=self._filters(labels))
        )
        return podman.as_listed(records.container_list(raw, labels), self)

    def inspect_container(self, container_id: str) -> ContainerDetails:
        return records.container_details(
            self._do("inspecting a container", lambda: self.api.inspect_container(container_id))
        )

    def path_exists(self, container_id: str, path: str) -> bool:
        url = f"{self.api.base_url}/v{API_VERSION}/containers/{container_id}/archive"
        with translated("reading the container's files"):
            answer = self.api.head(url, params={"path": path}, timeout=self.api.timeout)
        if answer.status_code == 404:
            return False
        if answer.status_code >= 400:
            raise EngineError(f"reading the container's files: the engine answered {answer.status_code}")
        return True

    def inspect_image(self, reference: str) -> Optional[ImageInfo]:
        try:
            raw = self.api.inspect_image(reference)  # type: ignore[no-untyped-call]  # the stub has no types
        except docker.errors.NotFound:
            return None
        except Exception as err:
            with translated(f"inspecting image {reference}"):
                raise err from None
        return records.image_info(raw)

    def networks(self, labels: Sequence[str]) -> list[NetworkInfo]:
        raw = self._do("listing networks", lambda: self.api.networks(filters=self._filters(labels)))
        return records.network_list(raw, labels)

    def volumes(self, labels: Sequence[str]) -> list[VolumeInfo]:
        raw = self._do("listing volumes", lambda: self.api.volumes(filters=self._filters(labels)))
        return records.volume_list(raw, labels)

    def events(self, labels: Sequence[str]) -> _Events:
        filters = {"type": ["container"], **(self._filters(labels) or {})}
        stream = self._do("following the engine's events", lambda: self.api.events(filters=filters, decode=True))
        return _Events(stream, labels)

    def close(self) -> None:
        self.api.close()

    # --- EngineTeardown ---
    def stop(self, container_id: str, timeout: Optional[float] = None) -> bool:
        seconds = max(0, round(timeout)) if timeout is not None else None
        try:
            self.api.stop(container_id, timeout=seconds)
        except docker.errors.NotFound:
            return False
        except Exception as err:
            with translated("stopping a container"):
                raise err from None
        return True

    def remove_container(self, container_id: str) -> bool:
        try:
            self.api.remove_container(container_id, v=True, force=True)
        except docker.errors.NotFound:
            return False
        except Exception as err:
            with translated("removing a container"):
                raise err from None
        return True

    def remove_network(self, network_id: str) -> None:
        self._do("removing the network", lambda: self.api.remove_network(network_id))

    def network_containers(self, network_id: str) -> list[str]:
        return records.attached_names(self._do("inspecting the network", lambda: self.api.inspect_network(network_id)))

    def remove_volume(self, name: str) -> None:
        self._do(f"removing volume {name}", lambda: self.api.remove_volume(name))

    # --- Engine ---
    def version(self) -> JSON:
        answer: JSON = self._do("asking the engine for its version", self.api.version)
        return answer

    def info(self) -> JSON:
        answer: JSON = self._do("asking the engine for its info", self.api.info)
        return answer

    def create_network(self, name: str, labels: Mapping[str, str]) -> None:
        def create() -> None:
            self._do(
                "creating the network",
                lambda: self.api.create_network(name, driver="bridge", labels=dict(labels), check_duplicate=True),
            )

        podman.create_network_retried(create)

    def create_volume(
        self, name: str, *, driver: str, options: Optional[Mapping[str, str]], labels: Mapping[str, str]
    ) -> None:
        self._do(
            "creating volumes",
            lambda: self.api.create_volume(
                name, driver=driver, driver_opts=dict(options) if options else None, labels=dict(labels)
            ),
        )

    def create_container(self, spec: ContainerSpec, *, network: str, port_bindings: PortBindings) -> str:
        check_bind_sources(spec, self.host)
        body = container_body(
            spec,
            network=network,
            port_bindings=port_bindings,
            for_podman=self.is_podman(),
            ulimits=podman.engine_ulimits(self.host) if self.is_podman() else (),
        )
        created = self._do(
            "creating the container",
            lambda: self.api.create_container_from_config(body, name=spec.name),  # type: ignore[no-untyped-call]  # untyped in the stubs
        )
        return str(created["Id"])

    def start(self, container_id: str) -> None:
        self._do("starting the container", lambda: self.api.start(container_id))

    def restart(self, container_id: str, timeout: float) -> None:
        self._do(
            "restarting the container", lambda: self.api.restart(container_id, timeout=max(0, round(timeout)))
        )

    def kill(self, container_id: str, signal: str, *, pid: int = 0) -> None:
        if pid and local_process.send(pid, container_id, signal):
            return
        self._do(f"sending {signal}", lambda: self.api.kill(container_id, signal=signal))

    def run_health_check(self, container_id: str) -> Optional[str]:
        # Not in docker-py: libpod's own route, through the session docker-py's client is.
        url = f"{self.api.base_url}/v{API_VERSION}{podman.health_check_path(container_id)}"
        with translated("running the health check"):
            answer = self.api.get(url, timeout=self.api.timeout)
        return podman.health_check_answer(answer.status_code, answer.content)

    def exec_run(
        self, container_id: str, command: Sequence[str], *, user: str = "", workdir: Optional[str] = None
    ) -> ExecResult:
        def run() -> ExecResult:
            exec_id = self.api.exec_create(container_id, list(command), user=user, workdir=workdir)["Id"]
            output = self.api.exec_start(exec_id)
            code = self.api.exec_inspect(exec_id).get("ExitCode")
            return ExecResult(int(code) if code is not None else 0, output or b"")

        return self._do("running a command in the container", run)

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
    ) -> _Session:
        def attach() -> _Session:
            exec_id = self.api.exec_create(
                container_id,
                list(command),
                stdin=stdin,
                tty=tty,
                user=user,
                workdir=workdir,
                environment=dict(env) if env else None,
            )["Id"]
            return _Session(exec_id, self.api.exec_start(exec_id, tty=tty, socket=True))

        return self._do("starting the command", attach)

    def exec_exit_code(self, exec_id: str) -> Optional[int]:
        code = self._do("reading the exit code", lambda: self.api.exec_inspect(exec_id).get("ExitCode"))
        return int(code) if code is not None else None

    def exec_resize(self, exec_id: str, *, height: int, width: int) -> None:
        self._do("resizing the terminal", lambda: self.api.exec_resize(exec_id, height=height, width=width))

    def put_archive(self, container_id: str, path: str, data: Union[bytes, IO[bytes]]) -> bool:
        return bool(self._do("copying files", lambda: self.api.put_archive(container_id, path, data)))

    def logs(self, container_id: str, *, tail: Optional[int] = None) -> bytes:
        raw = self._do(
            "reading logs",
            lambda: self.api.logs(
                container_id, stdout=True, stderr=True, tail="all" if tail is None else tail
            ),
        )
        return bytes(raw)

    def follow_logs(
        self, container_id: str, *, follow: bool, tail: Optional[int] = None, since: Optional[int] = None
    ) -> _Logs:
        stream = self._do(
            "reading logs",
            lambda: self.api.logs(
                container_id,
                stream=True,
                follow=follow,
                stdout=True,
                stderr=True,
                tail="all" if tail is None else tail,
                since=since,
            ),
        )
        return _Logs(stream, "reading logs")

    def images(self, labels: Sequence[str]) -> list[ImageInfo]:
        raw = self._do("listing images", lambda: self.api.images(filters=self._filters(labels)))
        return records.image_list(raw, labels)

    def pull(
        self, repository: str, reference: str, *, auth: Optional[Mapping[str, str]]
    ) -> Iterator[Message]:
        return self._stream(
            f"pulling {repository}",
            lambda: self.api.pull(
                repository, tag=reference, stream=True, decode=True, auth_config=dict(auth) if auth else None
            ),
        )

    def push(self, repository: str, tag: str, *, auth: Optional[Mapping[str, str]]) -> Iterator[Message]:
        return self._stream(
            f"pushing {repository}:{tag}",
            lambda: self.api.push(
                repository, tag=tag, stream=True, decode=True, auth_config=dict(auth) if auth else None
            ),
        )

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
    ) -> Iterator[Message]:
        common: dict[str, Any] = {
            "tag": tag,
            "labels": dict(labels),
            "buildargs": dict(build_args or {}),
            "rm": True,
            "forcerm": True,
            "decode": True,
        }
        if target:
            common["target"] = target
        if context_tar is not None:
            tar = context_tar
            return self._stream(
                f"building {tag}",
                lambda: self.api.build(
                    fileobj=io.BytesIO(tar), custom_context=True, dockerfile=dockerfile, **common
                ),
            )
        # docker-py tars the folder itself, applying .dockerignore with docker's own rules.
        return self._stream(
            f"building {tag}", lambda: self.api.build(path=context_dir, dockerfile=dockerfile, **common)
        )

    def tag(self, image: str, repository: str, tag: str) -> None:
        self._do(f"tagging {repository}:{tag}", lambda: self.api.tag(image, repository, tag))
