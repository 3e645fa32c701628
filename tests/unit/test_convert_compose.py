"""compose → devenv.toml: every spec form the converter maps, and the exact list of what it cannot."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from devenv.config.loader import parse_project
from devenv.convert import compose_parts as parts
from devenv.convert import convert_compose
from devenv.convert.draft import Draft
from devenv.errors import ConfigError

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "compose"


def convert(name: str, filename: str, tmp_path: Path, profiles: tuple[str, ...] = ()):
    root = tmp_path / name
    shutil.copytree(FIXTURES / name, root)
    conversion = convert_compose(root / filename, root, profiles=profiles)
    return root, conversion, tomllib.loads(conversion.toml_text)


def test_web_and_db(tmp_path):
    root, conv, doc = convert("webdb", "docker-compose.yml", tmp_path)
    web, db = doc["services"]["web"], doc["services"]["db"]
    assert web["build"] == {"context": "."}
    assert web["command"] == ["python", "manage.py", "runserver", "0.0.0.0:8000"]
    assert web["ports"] == ["8000:8000"]
    assert web["code"] == "/code"
    assert web["environment"] == {
        "DATABASE_URL": "postgres://app:${POSTGRES_PASSWORD}@db:5432/app",  # the password is local
        "DEBUG": "true",
        "WORKERS": "4",
    }
    assert web["depends_on"] == ["db"]
    assert db["volumes"] == ["dbdata:/var/lib/postgresql/data"]
    assert db["environment"] == {"POSTGRES_PASSWORD": "${POSTGRES_PASSWORD}", "POSTGRES_USER": "app"}
    assert conv.secrets == {"POSTGRES_PASSWORD": "app"} and doc["env"]["secret_keys"] == ["POSTGRES_PASSWORD"]
    assert db["health"] == {
        "cmd": ["/bin/sh", "-c", "pg_isready -U app"],
        "interval": "5s",
        "timeout": "3s",
        "retries": 10,
    }
    assert conv.unconverted == []
    project = parse_project(conv.toml_text, root / "devenv.toml")  # the real loader accepts it
    assert project.service("web").code == "/code"
    assert project.service("db").health.interval_s == 5.0


def test_a_service_of_an_inactive_profile_is_named_not_converted(tmp_path):
    _root, conv, doc = convert("fullspec", "compose.yaml", tmp_path)
    assert "proxy" not in doc["services"]
    assert (
        "services.proxy: in compose profile edge, not active — "
        "`devenv init --from FILE --compose-profile edge` converts it"
    ) in conv.unconverted


def test_full_spec_forms(tmp_path):
    _root, conv, doc = convert("fullspec", "compose.yaml", tmp_path, profiles=("edge",))
    assert "services.proxy.profiles: profile edge is active: converted (devenv starts it too)" in conv.notes
    assert doc["project"]["name"] == "fullspec"  # the folder; compose's `name: full_spec` is noted
    assert any(n.startswith('name: compose names the project "Full_Spec"') for n in conv.notes)
    assert doc["env"]["prod"] == ["common.env", "web.env"]
    proxy, api, worker, db = (doc["services"][n] for n in ("proxy", "api", "worker", "db"))
    assert proxy["image"] == "nginx:1.25"  # ${TAG} from the .env beside the compose file
    assert proxy["ports"] == [
        "80:80",
        "127.0.0.1:8443:443",
        "9090:8080",
        "9091:8081",
        "53:53/udp",
        "127.0.0.1:9000:9000",
        "[::1]:6001:6001",
    ]
    assert proxy["env"] == "none"  # it had no env in compose; the [env] prod files are not for it
    assert api["build"] == {
        "context": "api",
        "dockerfile": "Dockerfile.dev",
        "args": {"PYTHON": "3.12"},
        "target": "dev",
    }
    assert "image" not in api
    assert api["entrypoint"] == ["/entry.sh"] and api["command"] == ["serve", "--port", "8080"]
    assert api["workdir"] == "/srv" and api["code"] == "/srv"
    assert api["data"] == [
        {"source": "seed", "target": "/seed", "read_only": True},
        {"source": "api_key.txt", "target": "/run/secrets/api_key", "read_only": True},  # secrets: file
    ]
    assert api["volumes"] == ["cache:/cache", "api-node_modules:/srv/node_modules"]
    assert api["docker_socket"] is True
    assert api["env"] == "prod"
    assert api["depends_on"] == ["db", "migrate"]
    assert api["health"] == {
        "cmd": ["curl", "-f", "http://localhost:8080/health"],
        "interval": "90s",
        "timeout": "500ms",
        "start_period": "10s",
        "retries": 3,
    }
    assert api["user"] == "1000:1000" and api["read_only"] is True and api["stop_timeout"] == "2s"
    assert worker["command"] == ["celery", "-A", "shop", "worker", "--loglevel", "info"]
    assert worker["environment"] == {"QUEUE": "default"} and worker["env"] == "prod"
    assert "health" not in worker and "health" not in doc["services"]["migrate"]
    assert db["health"] == {"cmd": ["/bin/sh", "-c", "pg_isready"]}
    assert db["data"] == [{"source": "../outside-data", "target": "/import", "read_only": True}]
    assert doc["volumes"] == {
        "cache": {"external": True},
        "db-data": {
            "driver": "local",
            "options": {"type": "nfs", "o": "addr=nas.internal,ro", "device": ":/exports/db"},
        },
    }
    expected = {
        "services.db.environment.POSTGRES_PASSWORD",
        "x-common",
        "networks",
        "configs",
        "services.proxy.ports[5]",
        "services.proxy.ports[7]",
        "services.proxy.restart",
        "services.proxy.networks",
        "services.api.build.ssh",
        "services.api.volumes[3]",
        "services.api.depends_on.migrate.condition",
        "services.api.healthcheck.start_interval",
        "services.api.deploy",
        "services.api.x-team",
        "services.worker.environment.HOME_DIR",
        "services.worker.container_name",
        "volumes.cache.labels",
    }
    assert {item.split(": ", 1)[0] for item in conv.unconverted} == expected
    assert "services.api.build.ssh: not supported by devenv builds" in conv.unconverted
    for item in conv.unconverted:  # every one is also written at the top of the file
        assert f"#   - {item}" in conv.toml_text


def test_node_app_anonymous_volume_and_env_file(tmp_path):
    root, conv, doc = convert("nodeapp", "docker-compose.yml", tmp_path)
    app = doc["services"]["frontend"]
    assert app["code"] == "/app" and app["workdir"] == "/app"
    assert app["volumes"] == ["frontend-node_modules:/app/node_modules"]
    assert app["data"] == [{"source": "fixtures", "target": "/app/fixtures", "read_only": True}]
    assert doc["env"]["prod"] == [".env.frontend"] and app["env"] == "prod"
    assert [i.split(":")[0] for i in conv.unconverted] == [
        "services.frontend.tmpfs",
        "services.frontend.restart",
        "services.frontend.stdin_open",
        "services.frontend.tty",
    ]
    parse_project(conv.toml_text, root / "devenv.toml")


def test_output_is_stable(tmp_path):
    _, first, _ = convert("fullspec", "compose.yaml", tmp_path / "a")
    _, second, _ = convert("fullspec", "compose.yaml", tmp_path / "b")
    assert first.toml_text == second.toml_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3000", ["3000:3000"]),
        (3000, ["3000:3000"]),
        ("8000:80", ["8000:80"]),
        ("127.0.0.1:8001:8001", ["127.0.0.1:8001:8001"]),
        ("127.0.0.1::5000", ["127.0.0.1:0:5000"]),
        ("6060:6060/udp", ["6060:6060/udp"]),
        ("3000-3002", ["3000:3000", "3001:3001", "3002:3002"]),
        ("9090-9091:8080-8081", ["9090:8080", "9091:8081"]),
        ("127.0.0.1:5000-5001:5000-5001", ["127.0.0.1:5000:5000", "127.0.0.1:5001:5001"]),
        ("12400-12500:1240", ["12400:1240"]),
        ("[::1]:6001:6001", ["[::1]:6001:6001"]),
        ({"target": 80, "published": 8080, "protocol": "udp"}, ["8080:80/udp"]),
        ({"target": 80, "host_ip": "127.0.0.1"}, ["127.0.0.1:0:80"]),
        ({"target": 80, "published": "8000-8001"}, ["8000:80"]),
    ],
)
def test_port_forms(raw, expected):
    draft = Draft("x", "x")
    assert parts.port(raw, "p", draft) == expected
    assert draft.unconverted == []


@pytest.mark.parametrize("raw", ["1-200:1-200", "80:80/sctp", "8000-8002:80-81", "a:b", "myhost:80:80"])
def test_port_forms_not_mapped(raw):
    draft = Draft("x", "x")
    assert parts.port(raw, "p", draft) == []
    assert len(draft.unconverted) == 1 and draft.unconverted[0].startswith("p: ")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10s", "10s"),
        ("1m30s", "90s"),
        ("500ms", "500ms"),
        ("1h", "3600s"),
        ("1.5s", "1500ms"),
        ("2600us", "3ms"),
    ],
)
def test_durations(raw, expected):
    assert parts.duration(raw, "d", Draft("x", "x")) == expected


def test_health_forms():
    draft = Draft("x", "x")
    assert parts.health({"test": ["CMD", "true"]}, "h", draft) == {"cmd": ["true"]}
    assert parts.health({"test": ["CMD-SHELL", "a && b"]}, "h", draft) == {"cmd": ["/bin/sh", "-c", "a && b"]}
    assert parts.health({"test": "a && b"}, "h", draft) == {"cmd": ["/bin/sh", "-c", "a && b"]}
    assert parts.health({"test": ["NONE"]}, "h", draft) is None
    assert parts.health({"interval": "1s"}, "h", draft) is None  # no test: the image's own check
    assert draft.unconverted == [
        "h: no `test`: the image's own HEALTHCHECK is not read by devenv — add health.cmd"
    ]


def test_environment_forms():
    draft = Draft("x", "x")
    assert parts.env_map(["A=1", "B=x=y", "C="], "e", draft) == {"A": "1", "B": "x=y", "C": ""}
    assert parts.env_map({"A": 1, "B": False, "C": 1.5}, "e", draft) == {"A": "1", "B": "false", "C": "1.5"}
    assert draft.unconverted == []
    assert parts.env_map({"FROM_SHELL": None}, "e", draft) == {}
    assert draft.unconverted[0].startswith("e.FROM_SHELL: value taken from the shell")


def test_not_a_compose_file(tmp_path):
    (tmp_path / "x.yml").write_text("just: text\n")
    with pytest.raises(ConfigError, match="no `services:` mapping"):
        convert_compose(tmp_path / "x.yml", tmp_path)
    (tmp_path / "bad.yml").write_text("services:\n  web: [\n")
    with pytest.raises(ConfigError, match=r"bad.yml:\d+: not valid YAML"):
        convert_compose(tmp_path / "bad.yml", tmp_path)


def test_compose_file_in_a_subfolder_gets_project_relative_paths(tmp_path):
    (tmp_path / "deploy").mkdir()
    (tmp_path / "src").mkdir()
    (tmp_path / "deploy" / "compose.yml").write_text(
        "services:\n  Web_App:\n    build: ..\n    volumes: ['..:/app', '../src:/src']\n"
    )
    conv = convert_compose(tmp_path / "deploy" / "compose.yml", tmp_path)
    doc = tomllib.loads(conv.toml_text)
    svc = doc["services"]["web_app"]
    assert svc["build"] == {"context": "."}
    assert svc["code"] == "/app"
    assert svc["data"] == [{"source": "src", "target": "/src", "read_only": False}]
    assert 'services.Web_App: renamed "web_app" (devenv names are a-z, 0-9, _ -)' in conv.notes
