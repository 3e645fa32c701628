"""`export_swarm`: what a Swarm stack file must hold — images by digest, host-mode long ports,
external Swarm secrets turned back into env vars by a prologue that really runs in `sh`, and a
header naming everything a cluster cannot carry. `docker stack config` (the docker CLI's own
loader) accepts the file."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from devenv.config.loader import parse_project
from devenv.envvars.model import Piece
from devenv.errors import ConfigError
from devenv.export.secret_env import prologue, secret_env
from devenv.export.swarm import ImageArgv, export_swarm, needs_image_argv
from devenv.images.release import needs_release

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
WEB = "127.0.0.1:5555/shop-web@sha256:" + "a" * 64
DB = "127.0.0.1:5555/postgres@sha256:" + "b" * 64
SECRET = "never-in-a-stack-file"

PROJECT = """\
[project]
name = "shop"

[services.web]
build = { context = "image" }
command = ["python3", "-m", "shop"]
workdir = "/app"
ports = ["8000:8000", "0.0.0.0:9000:9000/udp"]
code = "/app"
data = [{ source = "data", target = "/data" }]
depends_on = ["db"]
health = { cmd = ["python3", "-c", "print('$ok')"], interval = "1s" }

[services.db]
image = "postgres:15"
env = "none"
volumes = ["dbdata:/var/lib/postgresql/data"]
read_only = true
privileged = true
stop_signal = "SIGINT"
stop_timeout = "30s"
user = "postgres"
"""


@dataclass(frozen=True)
class Value:
    value: str
    secret: bool = False
    pieces: tuple[Piece, ...] = ()


URL_PIECES = (
    Piece("postgresql://"),
    Piece("", "DB_USER", True),
    Piece(":"),
    Piece("", "DB_PASSWORD", True),
    Piece("@db:5432/shop's"),
)
ENVS = {
    "web": {
        "LOG_LEVEL": Value("debug"),
        "PRICE": Value("$5"),
        "DB_USER": Value("", secret=True),
        "DB_PASSWORD": Value("", secret=True),
        "DATABASE_URL": Value("", secret=True, pieces=URL_PIECES),
    },
    "db": {
        "POSTGRES_PASSWORD": Value("", secret=True, pieces=(Piece("", "DB_PASSWORD", True),)),
        "POSTGRES_DB": Value("shop"),
    },
}
ARGV = {
    "db": ImageArgv(("/usr/local/bin/docker-entrypoint.sh",), ("postgres",)),
    "web": ImageArgv((), ("python3",)),
}


@pytest.fixture
def project(tmp_path: Path):
    for folder in ("image", "data"):
        (tmp_path / folder).mkdir()
    return parse_project(PROJECT, tmp_path / "devenv.toml")


@pytest.fixture
def doc(project):
    text = export_swarm(project, images={"web": WEB, "db": DB}, envs=ENVS, image_argv=ARGV, profile="dev")
    assert SECRET not in text
    return text, yaml.safe_load(text)


def test_images_by_digest_host_mode_ports_and_no_code_mount(doc):
    _, stack = doc
    web, db = stack["services"]["web"], stack["services"]["db"]
    assert stack["version"] == "3.8"
    assert web["image"] == WEB and db["image"] == DB
    assert web["ports"] == [
        {"target": 8000, "published": 8000, "protocol": "tcp", "mode": "host"},
        {"target": 9000, "published": 9000, "protocol": "udp", "mode": "host"},
    ]
    assert web["volumes"] == ["./data:/data:ro"]  # the data disk; the code is in the release image
    assert web["depends_on"] == ["db"]  # a list: Swarm takes no conditions (and ignores the order)
    assert web["environment"] == {"LOG_LEVEL": "debug", "PRICE": "$$5"}
    assert web["healthcheck"]["test"] == ["CMD", "python3", "-c", "print('$$ok')"]
    assert "user" not in web  # user = "host" has no cluster meaning
    assert db["volumes"] == ["dbdata:/var/lib/postgresql/data", {"type": "tmpfs", "target": "/tmp"}]
    assert db["read_only"] is True and "privileged" not in db and db["user"] == "postgres"
    assert db["stop_signal"] == "SIGINT" and db["stop_grace_period"] == "30s"
    assert stack["volumes"] == {"dbdata": {}}
    assert web["deploy"] == db["deploy"] == {"replicas": 1, "endpoint_mode": "dnsrr"}


def test_secrets_are_external_swarm_secrets_read_by_a_prologue(doc):
    text, stack = doc
    web, db = stack["services"]["web"], stack["services"]["db"]
    assert stack["secrets"] == {
        "shop_DB_USER": {"external": True},
        "shop_DB_PASSWORD": {"external": True},
    }
    assert web["secrets"] == [
        {"source": "shop_DB_USER", "target": "DB_USER"},
        {"source": "shop_DB_PASSWORD", "target": "DB_PASSWORD"},
    ]
    assert db["secrets"] == [{"source": "shop_DB_PASSWORD", "target": "DB_PASSWORD"}]
    assert web["entrypoint"][:2] == ["/bin/sh", "-c"] and web["entrypoint"][3] == "devenv-secret-env"
    assert web["command"] == ["python3", "-m", "shop"]  # no image ENTRYPOINT: devenv.toml's command
    assert db["command"] == ["/usr/local/bin/docker-entrypoint.sh", "postgres"]  # the image's own
    assert "DB_PASSWORD" not in (web.get("environment") or {})
    assert "docker secret create shop_DB_PASSWORD -" in text
    assert "docker stack deploy -c docker-stack.yml shop" in text


def test_the_header_names_what_a_cluster_does_not_carry(doc):
    text, _ = doc
    header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
    for piece in (
        "web: the code mount at /app",
        "web: the ports' host address",
        "web: data /data stays a bind",
        "web: start order (db first)",
        'web: user = "host"',
        "db: privileged = true",
    ):
        assert piece in header, piece


def run_prologue(
    script: str, folder: Path, files: dict[str, str], env_dump: Path
) -> subprocess.CompletedProcess:
    for key, value in files.items():
        (folder / key).write_text(value)
    return subprocess.run(
        ["/bin/sh", "-c", script, "devenv-secret-env", "sh", "-c", f"env > {env_dump}"],
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_the_prologue_rebuilds_the_env_in_a_real_shell(tmp_path):
    """Values with quotes, spaces, `$` and backticks survive; a value built from secrets is built
    from the files; nothing but the service's own variables is exported."""
    password = "p'a\"ss $HOME `id` word"
    secrets = secret_env("web", ENVS["web"])
    assert secrets.keys == ("DB_USER", "DB_PASSWORD")
    files = tmp_path / "secrets"
    files.mkdir()
    dump = tmp_path / "env.txt"
    proc = run_prologue(
        prologue(secrets, str(files)), files, {"DB_USER": "shop", "DB_PASSWORD": password}, dump
    )
    assert proc.returncode == 0, proc.stderr
    env = dict(line.split("=", 1) for line in dump.read_text().splitlines() if "=" in line)
    assert env["DB_USER"] == "shop" and env["DB_PASSWORD"] == password
    assert env["DATABASE_URL"] == f"postgresql://shop:{password}@db:5432/shop's"
    assert "s1" not in env and "s2" not in env  # the prologue's own shell variables stay unexported


def test_the_prologue_reads_a_secret_into_another_name_without_exporting_it(tmp_path):
    secrets = secret_env("db", ENVS["db"])
    assert secrets.keys == ("DB_PASSWORD",)
    files = tmp_path / "secrets"
    files.mkdir()
    dump = tmp_path / "env.txt"
    proc = run_prologue(prologue(secrets, str(files)), files, {"DB_PASSWORD": "pw"}, dump)
    assert proc.returncode == 0, proc.stderr
    env = dict(line.split("=", 1) for line in dump.read_text().splitlines() if "=" in line)
    assert env["POSTGRES_PASSWORD"] == "pw" and "DB_PASSWORD" not in env


def test_a_missing_secret_file_stops_the_start_with_its_name(tmp_path):
    files = tmp_path / "secrets"
    files.mkdir()
    proc = run_prologue(prologue(secret_env("db", ENVS["db"]), str(files)), files, {}, tmp_path / "env")
    assert proc.returncode == 1
    assert f"devenv-secret-env: secret DB_PASSWORD is not mounted at {files}/DB_PASSWORD" in proc.stderr
    assert not (tmp_path / "env").exists()  # the service's command never ran


def test_which_services_need_a_release_image_or_their_image_config(project):
    assert [s.name for s in project.services if needs_release(s)] == ["web"]
    assert needs_image_argv(project, ENVS) == ["web", "db"]  # secrets, and no `entrypoint` declared


def test_an_unknown_image_command_is_an_error_not_a_guess(project):
    with pytest.raises(ConfigError, match=r"service db: its image's ENTRYPOINT/CMD is unknown"):
        export_swarm(project, images={"web": WEB, "db": DB}, envs=ENVS, image_argv={"web": ARGV["web"]})


def test_a_service_without_a_pinned_image_is_an_error(project):
    with pytest.raises(
        ConfigError, match=r"service web: no pinned image to deploy \(it runs its code from a mount\)"
    ):
        export_swarm(project, images={"db": DB}, envs=ENVS, image_argv=ARGV)


def test_a_secret_that_is_not_a_shell_name_is_refused(project):
    envs = {"web": {"api.key": Value("", secret=True)}, "db": {}}
    with pytest.raises(ConfigError, match=r"secret variable 'api.key' is not a shell name"):
        export_swarm(project, images={"web": WEB, "db": DB}, envs=envs, image_argv=ARGV)


def test_docker_stack_config_accepts_it(doc, tmp_path):
    """The docker CLI's own compose loader (what `docker stack deploy` reads) takes the file."""
    docker = shutil.which("docker")
    if docker is None:
        if IN_CI:
            pytest.fail("CI=true but the docker CLI is not installed", pytrace=False)
        pytest.skip("the docker CLI is not installed")
    text, _ = doc
    (tmp_path / "docker-stack.yml").write_text(text)
    proc = subprocess.run(
        [docker, "stack", "config", "-c", "docker-stack.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    loaded = yaml.safe_load(proc.stdout)
    assert loaded["services"]["web"]["environment"]["PRICE"] == "$5"  # `$$` is a literal dollar
    script = loaded["services"]["web"]["entrypoint"][2]
    assert '"$s1"' in script and 'exec "$@"' in script  # the prologue arrives unescaped
