"""Read-only engine queries over the unix socket with the standard library.

A no-op `devenv up` (and `status`) needs a handful of GET requests; importing docker-py
(requests, urllib3, …) costs more than all of them together, and even `http.client` (email, ssl)
costs more than the requests. The lite client answers the same calls with the same JSON, so
callers use it through the usual `client.api.<call>` shape. It speaks HTTP/1.0 (one request per
connection, a body that ends at EOF, never chunked), which a unix socket makes nearly free.
Anything that changes the engine goes through docker-py (`client.connect`).
"""

from __future__ import annotations

import json
import socket
import urllib.parse
from typing import Any, Optional

from devenv.engine.client import API_VERSION, engine_host, unreachable


class LiteAPIError(Exception):
    """An error answer from the engine, shaped like docker-py's APIError for translation."""

    def __init__(self, status_code: int, explanation: str):
        super().__init__(f"{status_code}: {explanation}")
        self.status_code = status_code
        self.explanation = explanation


class LiteAPI:
    def __init__(self, host: str, path: str, timeout: float = 30.0):
        self._host = host
        self._path = path
        self._timeout = timeout

    def _exchange(self, path: str) -> tuple[int, bytes]:
        """(status, body) of one GET, on a connection of its own."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(self._timeout)
                sock.connect(self._path)
                sock.sendall(f"GET {path} HTTP/1.0\r\nHost: docker\r\n\r\n".encode())
                chunks = []
                while chunk := sock.recv(65536):
                    chunks.append(chunk)
        except OSError as err:
            raise unreachable(self._host, err) from None
        head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
        try:
            status = int(head.split(b" ", 2)[1])
        except (IndexError, ValueError):
            raise unreachable(self._host, OSError(f"not an HTTP answer: {head[:60]!r}")) from None
        return status, body

    def _get(self, url: str, params: Optional[dict[str, Any]] = None) -> Any:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        status, body = self._exchange(f"/v{API_VERSION}{url}{query}")
        if status >= 400:
            try:
                message = json.loads(body).get("message", "")
            except ValueError:
                message = body.decode(errors="replace")
            raise LiteAPIError(status, message)
        return json.loads(body) if body else None

    def ping(self) -> bool:
        self._exchange("/_ping")  # plain text, not JSON
        return True

    def containers(self, all: bool = False, filters: Optional[dict[str, Any]] = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"all": "1" if all else "0"}
        if filters:
            params["filters"] = json.dumps(filters)
        return self._get("/containers/json", params)

    def networks(self, filters: Optional[dict[str, Any]] = None) -> list[dict[str, Any]]:
        return self._get("/networks", {"filters": json.dumps(filters)} if filters else None)

    def volumes(self, filters: Optional[dict[str, Any]] = None) -> dict[str, Any]:
        return self._get("/volumes", {"filters": json.dumps(filters)} if filters else None)

    def inspect_image(self, image: str) -> dict[str, Any]:
        return self._get(f"/images/{urllib.parse.quote(image, safe='')}/json")

    def inspect_container(self, container: str) -> dict[str, Any]:
        return self._get(f"/containers/{urllib.parse.quote(container, safe='')}/json")

    def close(self) -> None:
        """Nothing stays open between requests."""


class LiteClient:
    """`client.api.containers(...)` etc., read-only, without importing docker-py."""

    lite = True

    def __init__(self, host: str, path: str):
        self.api = LiteAPI(host, path)

    def close(self) -> None:
        self.api.close()


def lite_client() -> Optional[LiteClient]:
    """A lite client when the engine is on a local unix socket (else None: use docker-py)."""
    host = engine_host()
    if not host.startswith("unix://"):
        return None
    return LiteClient(host, host[len("unix://") :])
