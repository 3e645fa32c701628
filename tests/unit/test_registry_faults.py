"""Registry faults against a tiny misbehaving HTTP server on 127.0.0.1 (no engine needed)."""

from __future__ import annotations

import base64
import hashlib
import http.server
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Callable

import pytest

from devenv.errors import ExitCode, RegistryError
from devenv.registry.api import RegistryClient, RegistryUnreachable, Timeouts
from devenv.registry.auth import Credentials
from devenv.registry.login import login

MANIFEST = b'{"schemaVersion":2}'
DIGEST = "sha256:" + hashlib.sha256(MANIFEST).hexdigest()
FAST = Timeouts(connect_s=1.0, read_s=0.3)


@dataclass
class Fake:
    behaviour: Callable[[http.server.BaseHTTPRequestHandler], None]
    release: threading.Event = field(default_factory=threading.Event)
    host: str = ""


def _send(
    handler: http.server.BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes = b""
) -> None:
    handler.send_response(status)
    for key, value in {**headers, "Content-Length": str(len(body))}.items():
        handler.send_header(key, value)
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)


@pytest.fixture
def fake() -> Iterator[Callable[[Callable], Fake]]:
    servers = []

    def start(behaviour: Callable) -> Fake:
        state = Fake(behaviour)

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                state.behaviour(self)

            do_HEAD = do_GET

            def log_message(self, *args: object) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        state.host = f"127.0.0.1:{server.server_address[1]}"
        servers.append((server, state))
        return state

    yield start
    for server, state in servers:
        state.release.set()
        server.shutdown()
        server.server_close()


def test_unreachable_registry_is_named_with_exit_code_4() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = RegistryClient(f"127.0.0.1:{port}", timeouts=FAST)
    with pytest.raises(RegistryUnreachable) as info:
        client.manifest_digest("python", "3.12")
    assert info.value.message.startswith(f"registry 127.0.0.1:{port} is unreachable")
    assert info.value.exit_code == ExitCode.REGISTRY


def test_401_without_credentials_says_run_devenv_login(fake) -> None:
    server = fake(lambda h: _send(h, 401, {"WWW-Authenticate": 'Basic realm="r"'}))
    with pytest.raises(RegistryError) as info:
        RegistryClient(server.host, timeouts=FAST).manifest_digest("python", "3.12")
    assert info.value.message == f"registry {server.host} needs a login for {server.host}/python:3.12"
    assert info.value.hint == f"run `devenv login {server.host}`"
    assert info.value.exit_code == ExitCode.REGISTRY


def test_rejected_credentials_say_run_devenv_login(fake) -> None:
    server = fake(lambda h: _send(h, 401, {"WWW-Authenticate": 'Basic realm="r"'}))
    client = RegistryClient(server.host, Credentials("ann", "wrong"), timeouts=FAST)
    with pytest.raises(RegistryError) as info:
        client.manifest_digest("python", "3.12")
    assert "rejected the stored credentials" in info.value.message
    assert info.value.hint == f"run `devenv login {server.host}`"


def test_404_of_an_unknown_repository_says_so(fake) -> None:
    server = fake(lambda h: _send(h, 404, {}, b'{"errors":[{"code":"NAME_UNKNOWN"}]}'))
    with pytest.raises(RegistryError) as info:
        RegistryClient(server.host, timeouts=FAST).manifest_digest("python", "9.9")
    assert info.value.message == f"{server.host}/python:9.9: registry {server.host} has no repository python"
    assert "devenv images list" in (info.value.hint or "")


def test_404_of_a_missing_tag_names_the_tags_that_exist(fake) -> None:
    def answer(h: http.server.BaseHTTPRequestHandler) -> None:
        if h.path.endswith("/tags/list"):
            _send(h, 200, {}, b'{"name":"postgres","tags":["latest","main","src-0123"]}')
        else:
            _send(h, 404, {}, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')

    server = fake(answer)
    with pytest.raises(RegistryError) as info:
        RegistryClient(server.host, timeouts=FAST).manifest_digest("postgres", "15-alpine")
    assert info.value.message == (
        f"{server.host}/postgres: no tag '15-alpine' (the repository exists; its tags: latest, main)"
    )
    assert "`postgres:latest`" in (info.value.hint or "")


def test_500_names_the_status(fake) -> None:
    server = fake(lambda h: _send(h, 500, {}, b"boom"))
    with pytest.raises(RegistryError) as info:
        RegistryClient(server.host, timeouts=FAST).manifest_digest("python", "3.12")
    assert info.value.message == f"registry {server.host} failed with HTTP 500 for {server.host}/python:3.12"
    assert not isinstance(info.value, RegistryUnreachable)  # a failing registry is not "offline"


def test_a_stalling_registry_hits_devenvs_read_deadline(fake) -> None:
    server = fake(lambda h: server.release.wait(30))  # accepts, then never answers
    with pytest.raises(RegistryUnreachable) as info:
        RegistryClient(server.host, timeouts=FAST).manifest_digest("python", "3.12")
    assert info.value.message == f"registry {server.host} stalled: no answer within 0.3 s"
    assert info.value.exit_code == ExitCode.REGISTRY


def test_deadlines_come_from_the_environment() -> None:
    timeouts = Timeouts.from_env(
        {"DEVENV_REGISTRY_CONNECT_TIMEOUT": "2", "DEVENV_REGISTRY_READ_TIMEOUT": "0.5"}
    )
    assert timeouts == Timeouts(2.0, 0.5)
    assert Timeouts.from_env({}) == Timeouts(5.0, 10.0)


def test_bearer_token_flow_and_digest_header(fake) -> None:
    def behave(h: http.server.BaseHTTPRequestHandler) -> None:
        if h.path.startswith("/token"):
            assert "scope=repository%3Apython%3Apull" in h.path
            assert h.headers["Authorization"] == "Basic " + base64.b64encode(b"ann:pw").decode()
            _send(h, 200, {}, b'{"token": "T"}')
        elif h.headers.get("Authorization") == "Bearer T":
            _send(h, 200, {"Docker-Content-Digest": DIGEST}, MANIFEST)
        else:
            _send(h, 401, {"WWW-Authenticate": f'Bearer realm="http://{server.host}/token",service="reg"'})

    server = fake(behave)
    client = RegistryClient(server.host, Credentials("ann", "pw"), timeouts=FAST)
    assert client.manifest_digest("python", "3.12") == DIGEST


def test_digest_is_computed_when_the_registry_omits_the_header(fake) -> None:
    server = fake(lambda h: _send(h, 200, {}, MANIFEST))
    assert RegistryClient(server.host, timeouts=FAST).manifest_digest("python", "3.12") == DIGEST


def test_login_with_a_wrong_password_is_exit_4_and_stores_nothing(fake, tmp_path) -> None:
    def behave(h: http.server.BaseHTTPRequestHandler) -> None:
        ok = h.headers.get("Authorization") == "Basic " + base64.b64encode(b"ann:right").decode()
        _send(h, 200 if ok else 401, {} if ok else {"WWW-Authenticate": 'Basic realm="r"'})

    server = fake(behave)
    env = {"DOCKER_CONFIG": str(tmp_path / "docker")}
    with pytest.raises(RegistryError) as info:
        login(server.host, "ann", "wrong", env)
    assert info.value.message == f"registry {server.host} rejected the username or password for 'ann'"
    assert not (tmp_path / "docker" / "config.json").exists()
    path = login(server.host, "ann", "right", env)
    assert server.host in path.read_text()
