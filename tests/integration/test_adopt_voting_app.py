"""A team adopting devenv from its own compose file, end to end on the real engine and the real
catalog: a voting-app-shaped project (two Python apps in subfolders, one built from a Dockerfile
FROM a public image, Redis, PostgreSQL with a password written in the file) → `init --from` →
the written devenv.toml validates, uses the catalog, mounts each app's folder as its code and
keeps the secret out → `up -d` serves → a save in each folder reloads its service alone →
`down --volumes` leaves no volume. The project is written here; nothing is copied in."""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.integration.test_watch_cli import Running
from tests.integration.test_watch_support import served, wait_for

pytestmark = pytest.mark.engine

APP = '''\
import http.server
import os
import socket
from urllib.parse import urlsplit

VERSION = "{name} v1"


def probe() -> str:
    """{probe}"""
    {body}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"{{VERSION}} {{probe()}}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


http.server.ThreadingHTTPServer(("", 8080), Handler).serve_forever()
'''

REDIS_PING = """try:
        with socket.create_connection((os.environ["REDIS_HOST"], 6379), timeout=2) as conn:
            conn.sendall(b"PING\\r\\n")
            return "redis=" + conn.recv(64).decode().strip().lstrip("+")
    except OSError as err:
        return f"redis=down ({err})\""""

DB_CONNECT = """url = urlsplit(os.environ["DATABASE_URL"])
    try:
        socket.create_connection((url.hostname, url.port or 5432), timeout=2).close()
        return "db=up"
    except OSError as err:
        return f"db=down ({err})\""""

COMPOSE = """\
services:
  vote:
    build: ./vote
    command: python3 app.py
    ports: ["{vote_port}:8080"]
    volumes: ["./vote:/usr/local/app"]
    environment:
      REDIS_HOST: redis
    depends_on: [redis]
  result:
    image: python:3.11-slim
    working_dir: /usr/local/app
    command: python3 app.py
    ports: ["{result_port}:8080"]
    volumes: ["./result:/usr/local/app"]
    environment:
      DATABASE_URL: postgres://postgres:{password}@db:5432/postgres
    depends_on: [db]
  redis:
    image: redis:7-alpine
  db:
    image: postgres:15-alpine
    environment:
      POSTGRES_USER: postgres
      POSTGRES_PASSWORD: {password}
    volumes: ["db-data:/var/lib/postgresql/data"]
volumes:
  db-data:
"""

DOCKERFILE = """\
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}
WORKDIR /usr/local/app
COPY . .
CMD ["python3", "app.py"]
"""


def voting_app(root: Path) -> tuple[str, str, str]:
    """The project as a team has it; (vote URL, result URL, the database password)."""
    password = f"pw-{uuid.uuid4().hex[:12]}"
    vote_port, result_port = free_port(), free_port()
    files = {
        "docker-compose.yml": COMPOSE.format(vote_port=vote_port, result_port=result_port, password=password),
        "vote/Dockerfile": DOCKERFILE,
        "vote/app.py": APP.format(name="vote", probe="Redis answers PING.", body=REDIS_PING),
        "result/app.py": APP.format(name="result", probe="PostgreSQL takes connections.", body=DB_CONNECT),
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))
    return f"http://127.0.0.1:{vote_port}/", f"http://127.0.0.1:{result_port}/", password


@pytest.fixture
def trial_catalog(real_catalog) -> str:
    """The quick start's catalog plus Redis, which the voting app runs."""
    from tests.integration.real_stack import QUICKSTART_IMAGES, ensure_catalog

    ensure_catalog(real_catalog, (*QUICKSTART_IMAGES, "redis"))
    return real_catalog


def engine_volumes(docker_client, project) -> set[str]:
    """Every volume the project's containers mount (named and anonymous), by engine name."""
    label = f"dev.devenv.project={project.name}"
    return {
        m["Name"]
        for c in docker_client.containers.list(all=True, filters={"label": label})
        for m in c.attrs["Mounts"]
        if m["Type"] == "volume"
    }


def assert_down_volumes_leaves_none(docker_client, project) -> None:
    """`down --volumes` removes the stack's volumes, named and anonymous (the database's)."""
    volumes = engine_volumes(docker_client, project)
    assert volumes, "the database keeps its data in a volume"
    project.ok("down", "--volumes")
    left = {v.name for v in docker_client.volumes.list()} & volumes
    assert not left, f"down --volumes left {left}"
    assert not docker_client.volumes.list(filters={"label": f"dev.devenv.project={project.name}"})


def test_a_voting_app_compose_file_becomes_a_reloading_stack(project, docker_client, trial_catalog) -> None:
    vote_url, result_url, password = voting_app(project.root)

    init = project.ok("init", "--from", "docker-compose.yml", "--name", project.name, "--registry", trial_catalog)
    for mapped in ('"redis:7-alpine" → "redis:latest"', '"postgres:15-alpine" → "postgres:latest"',
                   '"python:3.11-slim" → "python:latest"', 'builds it from "python:latest"'):  # fmt: skip
        assert mapped in init.err, init.err
    text = (project.root / "devenv.toml").read_text()
    assert password not in text and password not in init.out + init.err
    assert 'code = { source = "vote", target = "/usr/local/app" }' in text
    assert 'code = { source = "result", target = "/usr/local/app" }' in text
    assert (project.root / ".devenv" / "secrets.env").stat().st_mode & 0o077 == 0
    validated = project.ok("config", "validate")
    assert "warning" not in validated.err, validated.err

    project.ok("up", "-d", timeout=600)
    served(vote_url, "vote v1 redis=PONG", timeout=60)
    served(result_url, "result v1 db=up", timeout=60)

    watch = Running(project)
    try:
        wait_for(lambda: watch.said("watching"), timeout=60, what=lambda: "the watching line\n" + watch.dump())
        app = project.root / "vote" / "app.py"
        app.write_text(app.read_text().replace('"vote v1"', '"vote v2"'))
        served(vote_url, "vote v2 redis=PONG")
        wait_for(lambda: watch.said("vote") and any("reloaded" in line for line in watch.err),
                 what=lambda: "vote's reload line\n" + watch.dump())  # fmt: skip
        assert not any(line.startswith("result") and "reloaded" in line for line in watch.err), watch.dump()
        app = project.root / "result" / "app.py"
        app.write_text(app.read_text().replace('"result v1"', '"result v2"'))
        served(result_url, "result v2 db=up")
    finally:
        watch.interrupt()
    served(vote_url, "vote v2 redis=PONG")  # the save reached vote alone, and stays

    assert_down_volumes_leaves_none(docker_client, project)
