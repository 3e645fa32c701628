"""The lite engine client: the standard library over the unix socket.

A no-op `devenv up`, `status` and `down` need a handful of requests; importing docker-py
(requests, urllib3, …) costs more than all of them together, and even `http.client` (email,
ssl) costs more than the requests. The lite client speaks HTTP/1.0 (one request per connection,
a body that ends at EOF, never chunked), which a unix socket makes nearly free. It implements
`EngineTeardown` of the port: the reads and the removals; everything else is docker-py's
(`connect`).
"""

from __future__ import annotations

import json
import socket
import urllib.parse
from collections.abc import Sequence
from typing import Any, Optional

from devenv.engine import records
from devenv.engine.errors import translated, unreachable
from devenv.engine.host import API_VERSION, engine_host
from devenv.engine.records import ContainerDetails, ContainerInfo, ImageInfo, NetworkInfo, VolumeInfo

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
        self._timeout = timeout  # per request (shell completion asks with a short one)

    # --- HTTP/1.0 ---
    def _exchange(self, method: str, path: str, timeout: Optional[float]) -> tuple[int, bytes]:
        """(status, body) of one request, on a connection of its own."""
        length = "Content-Length: 0\r\n" if method != "GET" else ""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(timeout)
                sock.connect(self._path)
                sock.sendall(f"{method} {path} HTTP/1.0\r\nHost: docker\r\n{length}\r\n".encode())
                chunks = []
                while chunk := sock.recv(65536):
                    chunks.append(chunk)
        except OSError as err:
            raise unreachable(self.host, err) from None
        head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
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
    ) -> Any:  # the engine's JSON answer
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        wait = self._timeout if timeout is None else timeout
        status, body = self._exchange(method, f"/v{API_VERSION}{url}{query}", wait)
        if status >= 400:
            try:
                message = json.loads(body).get("message", "")
            except ValueError:
                message = body.decode(errors="replace")
            raise LiteAPIError(status, message)
        return json.loads(body) if body and status != 204 else None

    @staticmethod
    def _filters(labels: Sequence[str]) -> dict[str, str]:  # no labels: everything
        return {"filters": json.dumps({"label": list(labels)})} if labels else {}

    @staticmethod
    def _quoted(name: str) -> str:
        return urllib.parse.quote(name, safe="")

    # --- EngineReads ---
    def ping(self) -> None:
        self._exchange("GET", "/_ping", self._timeout)  # plain text, not JSON

    def containers(self, labels: Sequence[str], *, all: bool = True) -> list[ContainerInfo]:
        with translated("listing containers"):
            raw = self._call("GET", "/containers/json", {"all": "1" if all else "0", **self._filters(labels)})
        return [records.container_info(c) for c in raw]

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
        return [records.network_info(n) for n in raw]

    def volumes(self, labels: Sequence[str]) -> list[VolumeInfo]:
        with translated("listing volumes"):
            raw = self._call("GET", "/volumes", self._filters(labels))
        return [records.volume_info(v) for v in (raw or {}).get("Volumes") or []]

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
            self._call("DELETE", f"/containers/{self._quoted(container_id)}", {"force": "1"})
        except LiteAPIError as err:
            if err.status_code == 404:
                return False
            with translated("removing a container"):
                raise
        return True

    def remove_network(self, network_id: str) -> None:
        with translated("removing the network"):
            self._call("DELETE", f"/networks/{self._quoted(network_id)}")

    def remove_volume(self, name: str) -> None:
        with translated(f"removing volume {name}"):
            self._call("DELETE", f"/volumes/{self._quoted(name)}")


def lite_engine() -> Optional[LiteEngine]:
    """A lite client when the engine is on a local unix socket (else None: use docker-py)."""
    host = engine_host()
    if not host.startswith("unix://"):
        return None
    return LiteEngine(host, host[len("unix://") :])
