"""Read-only engine queries over the unix socket with the standard library.

A no-op `devenv up` (and `status`) needs a handful of GET requests; importing docker-py
(requests, urllib3, …) costs more than all of them together. The lite client answers the same
calls with the same JSON, so callers use it through the usual `client.api.<call>` shape. Anything
that changes the engine goes through docker-py (`client.connect`).
"""

from __future__ import annotations

import http.client
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


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


class LiteAPI:
    def __init__(self, host: str, path: str, timeout: float = 30.0):
        self._host = host
        self._conn = _UnixConnection(path, timeout)

    def _get(self, url: str, params: Optional[dict[str, Any]] = None) -> Any:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        try:
            self._conn.request("GET", f"/v{API_VERSION}{url}{query}")
            answer = self._conn.getresponse()
            body = answer.read()
        except OSError as err:
            self._conn.close()
            raise unreachable(self._host, err) from None
        if answer.status >= 400:
            try:
                message = json.loads(body).get("message", "")
            except ValueError:
                message = body.decode(errors="replace")
            raise LiteAPIError(answer.status, message)
        return json.loads(body) if body else None

    def ping(self) -> bool:
        try:  # /_ping answers plain text, not JSON
            self._conn.request("GET", "/_ping")
            self._conn.getresponse().read()
        except OSError as err:
            self._conn.close()
            raise unreachable(self._host, err) from None
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
        self._conn.close()


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
