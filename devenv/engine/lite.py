"""The lite engine client: the standard library over the unix socket.

A no-op `devenv up`, `status` and `down` need a handful of requests; importing docker-py
(requests, urllib3, …) costs more than all of them together, and even `http.client` (email,
ssl) costs more than the requests. The lite client speaks HTTP/1.0 (one request per connection,
a body that ends at EOF, never chunked), which a unix socket makes nearly free. It implements
`EngineStack` of the port: the reads, the removals, and the creates and starts of an `up` whose
images are all present (the create body comes from `engine.bodies`, as docker-py's does), so
neither a no-op `up` nor a cold one nor `down` load docker-py. Pulls, builds, exec streams and
the rest are docker-py's (`connect`).
"""

from __future__ import annotations

import json
import socket
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Optional

from devenv.engine import podman, records
from devenv.engine.bodies import check_bind_sources, container_body
from devenv.engine.errors import translated, unreachable
from devenv.engine.host import API_VERSION, engine_host
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
    NetworkInfo,
    PortBindings,
    VolumeInfo,
    demultiplex,
)

if TYPE_CHECKING:
    from devenv.engine.port import Engine

READ_TIMEOUT_S = 30.0
UNKNOWN_STOP_TIMEOUT_S = 300.0  # stop with the container's own timeout: the engine bounds the wait


class LiteAPIError(Exception):
    """An error answer from the engine, shaped like docker-py's APIError for translation."""

    def __init__(self, status_code: int, explanation: str):
        super().__init__(f"{status_code}: {explanation}")
        self.status_code = status_code
        self.explanation = explanation


class LiteEngine:
    def __init__(self, host: str, path: str, *, timeout: float = READ_TIMEOUT_S):
        self.host = host
        self._path = path
        self._server: Optional[str] = None  # the Server header, from the first answer
        self._timeout = timeout  # per request (shell completion asks with a short one)
        self._full: Optional[Engine] = None  # docker-py, for what HTTP/1.0 cannot do (exec)

    # --- HTTP/1.0 ---
    def _exchange(
        self, method: str, path: str, timeout: Optional[float], body: bytes = b""
    ) -> tuple[int, bytes]:
        """(status, body) of one request, on a connection of its own."""
        length = f"Content-Length: {len(body)}\r\n" if method != "GET" else ""
        kind = "Content-Type: application/json\r\n" if body else ""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(timeout)
                sock.connect(self._path)
                sock.sendall(
                    f"{method} {path} HTTP/1.0\r\nHost: docker\r\n{kind}{length}\r\n".encode() + body
                )
                chunks = []
                while chunk := sock.recv(65536):
                    chunks.append(chunk)
        except OSError as err:
            raise unreachable(self.host, err) from None
        head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
        if self._server is None:
            self._server = _header(head, b"server")
        try:
            status = int(head.split(b" ", 2)[1])
        except (IndexError, ValueError):
            raise unreachable(self.host, OSError(f"not an HTTP answer: {head[:60]!r}")) from None
        return status, body

    def _call(
        self,
        method: str,
        url: str,
        params: Optional[dict[str, str]] = None,
        *,
        timeout: Optional[float] = None,
        data: Optional[JSON] = None,
    ) -> Any:  # the engine's JSON answer
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        sent = json.dumps(data).encode() if data is not None else b""
        wait = self._timeout if timeout is None else timeout
        status, body = self._exchange(method, f"/v{API_VERSION}{url}{query}", wait, sent)
        if status >= 400:
            try:
                message = json.loads(body).get("message", "")
            except ValueError:
                message = body.decode(errors="replace")
            raise LiteAPIError(status, message)
        if not body or status in (204, 304):
            return None
        return json.loads(body) if body[:1] in (b"{", b"[") else body

    @staticmethod
    def _filters(labels: Sequence[str]) -> dict[str, str]:  # no labels: everything
        return {"filters": json.dumps({"label": list(labels)})} if labels else {}

    @staticmethod
    def _quoted(name: str) -> str:
        return urllib.parse.quote(name, safe="")

    # --- EngineReads ---
    def ping(self) -> None:
        self._exchange("GET", "/_ping", self._timeout)  # plain text, not JSON

    def is_podman(self) -> bool:
        """From the Server header every answer carries (a ping if nothing was asked yet)."""
        if self._server is None:
            self.ping()
        return podman_server(self._server or "")

    def containers(self, labels: Sequence[str], *, all: bool = True) -> list[ContainerInfo]:
        with translated("listing containers"):
            raw = self._call("GET", "/containers/json", {"all": "1" if all else "0", **self._filters(labels)})
        return podman.as_listed(records.container_list(raw, labels), self)

    def inspect_container(self, container_id: str) -> ContainerDetails:
        with translated("inspecting a container"):
            return records.container_details(
                self._call("GET", f"/containers/{self._quoted(container_id)}/json")
            )

    def inspect_image(self, reference: str) -> Optional[ImageInfo]:
        try:
            raw = self._call("GET", f"/images/{self._quoted(reference)}/json")
        except LiteAPIError as err:
            if err.status_code == 404:
                return None
            with translated(f"inspecting image {reference}"):
                raise
        return records.image_info(raw)

    def networks(self, labels: Sequence[str]) -> list[NetworkInfo]:
        with translated("listing networks"):
            raw = self._call("GET", "/networks", self._filters(labels))
        return records.network_list(raw, labels)

    def volumes(self, labels: Sequence[str]) -> list[VolumeInfo]:
        with translated("listing volumes"):
            raw = self._call("GET", "/volumes", self._filters(labels))
        return records.volume_list(raw, labels)

    def events(self, labels: Sequence[str]) -> _Events:
        filters = {"type": ["container"], **({"label": list(labels)} if labels else {})}
        query = urllib.parse.urlencode({"filters": json.dumps(filters)})
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self._timeout)  # for the answer's head; the events may be hours apart
            sock.connect(self._path)
            sock.sendall(f"GET /v{API_VERSION}/events?{query} HTTP/1.0\r\nHost: docker\r\n\r\n".encode())
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                head += chunk
        except OSError as err:
            sock.close()
            raise unreachable(self.host, err) from None
        head, _, rest = head.partition(b"\r\n\r\n")
        try:
            status = int(head.split(b" ", 2)[1])
        except (IndexError, ValueError):
            sock.close()
            raise unreachable(self.host, OSError(f"not an HTTP answer: {head[:60]!r}")) from None
        if status >= 400:
            sock.close()
            with translated("following the engine's events"):
                raise LiteAPIError(status, rest.decode(errors="replace").strip())
        sock.settimeout(None)
        return _Events(sock, rest, labels)

    def close(self) -> None:
        """Nothing stays open between requests."""

    # --- EngineTeardown ---
    def stop(self, container_id: str, timeout: Optional[float] = None) -> bool:
        params = {"t": str(max(0, round(timeout)))} if timeout is not None else None
        wait = READ_TIMEOUT_S + (timeout if timeout is not None else UNKNOWN_STOP_TIMEOUT_S)
        try:
            self._call("POST", f"/containers/{self._quoted(container_id)}/stop", params, timeout=wait)
        except LiteAPIError as err:
            if err.status_code == 404:
                return False
            if err.status_code != 304:  # 304: stopped already
                with translated("stopping a container"):
                    raise
        return True

    def remove_container(self, container_id: str) -> bool:
        try:
            self._call("DELETE", f"/containers/{self._quoted(container_id)}", {"force": "1", "v": "1"})
        except LiteAPIError as err:
            if err.status_code == 404:
                return False
            with translated("removing a container"):
                raise
        return True

    def remove_network(self, network_id: str) -> None:
        with translated("removing the network"):
            self._call("DELETE", f"/networks/{self._quoted(network_id)}")

    def network_containers(self, network_id: str) -> list[str]:
        with translated("inspecting the network"):
            raw = self._call("GET", f"/networks/{self._quoted(network_id)}")
        return records.attached_names(raw)

    def remove_volume(self, name: str) -> None:
        with translated(f"removing volume {name}"):
            self._call("DELETE", f"/volumes/{self._quoted(name)}")

    # --- EngineStack ---
    def create_network(self, name: str, labels: Mapping[str, str]) -> None:
        body = {"Name": name, "Driver": "bridge", "Labels": dict(labels), "CheckDuplicate": True}

        def create() -> None:
            with translated("creating the network"):
                self._call("POST", "/networks/create", data=body)

        podman.create_network_retried(create)

    def create_volume(
        self, name: str, *, driver: str, options: Optional[Mapping[str, str]], labels: Mapping[str, str]
    ) -> None:
        body = {"Name": name, "Driver": driver, "DriverOpts": dict(options or {}), "Labels": dict(labels)}
        with translated("creating volumes"):
            self._call("POST", "/volumes/create", data=body)

    def create_container(self, spec: ContainerSpec, *, network: str, port_bindings: PortBindings) -> str:
        check_bind_sources(spec, self.host)
        on_podman = self.is_podman()
        body = container_body(
            spec,
            network=network,
            port_bindings=port_bindings,
            for_podman=on_podman,
            ulimits=podman.engine_ulimits(self.host) if on_podman else (),
        )
        with translated("creating the container"):
            created = self._call("POST", "/containers/create", {"name": spec.name}, data=body)
        return str(created["Id"])

    def start(self, container_id: str) -> None:
        with translated("starting the container"):
            self._call("POST", f"/containers/{self._quoted(container_id)}/start")

    def run_health_check(self, container_id: str) -> Optional[str]:
        """Podman's libpod route: run the check once, now (None: the engine will not)."""
        status, body = self._exchange("GET", f"/v{API_VERSION}{podman.health_check_path(container_id)}", self._timeout)
        return podman.health_check_answer(status, body)

    def exec_run(
        self, container_id: str, command: Sequence[str], *, user: str = "", workdir: Optional[str] = None
    ) -> ExecResult:
        """An exec is a hijacked stream: docker-py's, loaded on the first need (during `up`, only
        on a Podman whose libpod route will not run a health check)."""
        if self._full is None:
            from devenv.engine.docker_engine import DockerEngine

            self._full = DockerEngine.connect(verify=False)
        return self._full.exec_run(container_id, command, user=user, workdir=workdir)

    def path_exists(self, container_id: str, path: str) -> bool:
        query = urllib.parse.urlencode({"path": path})
        url = f"/v{API_VERSION}/containers/{self._quoted(container_id)}/archive?{query}"
        status, body = self._exchange("HEAD", url, self._timeout)
        if status == 404:
            return False
        if status >= 400:
            with translated("reading the container's files"):
                raise LiteAPIError(status, body.decode(errors="replace"))
        return True

    def logs(self, container_id: str, *, tail: Optional[int] = None) -> bytes:
        params = {"stdout": "1", "stderr": "1", "tail": "all" if tail is None else str(tail)}
        with translated("reading logs"):
            raw = self._call("GET", f"/containers/{self._quoted(container_id)}/logs", params)
        return demultiplex(raw) if isinstance(raw, bytes) else b""


class _Events:
    """The body of an HTTP/1.0 `/events` answer: one JSON object a line, until EOF or `close()`."""

    def __init__(self, sock: socket.socket, first: bytes, labels: Sequence[str]):
        self._sock = sock
        self._first = first
        self._labels = labels

    def _lines(self) -> Iterator[bytes]:
        buffer = self._first
        while True:
            *complete, buffer = buffer.split(b"\n")
            yield from complete
            try:
                chunk = self._sock.recv(65536)
            except OSError:  # closed from another thread
                return
            if not chunk:
                return
            buffer += chunk

    def __iter__(self) -> Iterator[EngineEvent]:
        try:
            for line in self._lines():
                if not line.strip():
                    continue
                raw = json.loads(line)
                event = records.engine_event(raw)
                if event is not None and labels_carry((raw.get("Actor") or {}).get("Attributes"), self._labels):
                    yield event
        finally:
            self._sock.close()

    def close(self) -> None:
        try:
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes the reader blocked in recv
        except OSError:
            pass


def _header(head: bytes, name: bytes) -> str:
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip().decode(errors="replace")
    return ""


def lite_engine() -> Optional[LiteEngine]:
    """A lite client when the engine is on a local unix socket (else None: use docker-py)."""
    host = engine_host()
    if not host.startswith("unix://"):
        return None
    return LiteEngine(host, host[len("unix://") :])
