"""devcontainer.json → devenv.toml for the three shapes: image, Dockerfile, compose."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from devenv.config.loader import parse_project
from devenv.convert import convert_devcontainer
from devenv.convert.devcontainer import KEEP_ALIVE, parse_jsonc
from devenv.errors import ConfigError

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "devcontainer"


def convert(name: str, tmp_path: Path):
    root = tmp_path / name
    shutil.copytree(FIXTURES / name, root)
    conv = convert_devcontainer(root / ".devcontainer" / "devcontainer.json", root)
    return root, conv, tomllib.loads(conv.toml_text)


def test_jsonc_comments_and_trailing_commas():
    text = '// c\n{ "a": "http://x", /* b */ "b": [1, 2,], "c": "/* kept */", "d": "q\\"//",}\n'
    assert parse_jsonc(text) == {"a": "http://x", "b": [1, 2], "c": "/* kept */", "d": 'q"//'}


def test_image_based(tmp_path):
    _root, conv, doc = convert("image", tmp_path)
    assert doc["project"]["name"] == "image"  # the folder, as documented (not the editor's label)
    dev = doc["services"]["dev"]
    assert dev["image"] == "mcr.microsoft.com/devcontainers/python:3.12"
    assert dev["code"] == "/workspaces/image" and dev["workdir"] == "/workspaces/image"
    assert dev["ports"] == ["8000:8000", "5678:5678"]
    assert dev["data"] == [
        {"source": "data", "target": "/data", "read_only": True},
        {"source": "~/.ssh", "target": "/root/.ssh", "read_only": False},
    ]
    assert dev["volumes"] == ["pip-cache:/root/.cache/pip"]
    assert dev["environment"] == {"PYTHONUNBUFFERED": "1", "URL": "http://x//y", "EDITOR": "vim"}
    assert dev["command"] == ["/bin/sh", "-c", f"pip install -e .\n{KEEP_ALIVE}"]
    assert [i.split(":")[0] for i in conv.unconverted] == [
        "mounts[3]",
        "remoteEnv.PATH",
        "features",
        "customizations",
        "remoteUser",
    ]


def test_dockerfile_based(tmp_path):
    root, conv, doc = convert("dockerfile", tmp_path)
    dev = doc["services"]["dev"]
    assert dev["build"] == {
        "context": ".",
        "dockerfile": ".devcontainer/Dockerfile",
        "args": {"GO_VERSION": "1.22"},
        "target": "dev",
    }
    assert dev["code"] == "/src" and dev["workdir"] == "/src"
    assert dev["ports"] == ["127.0.0.1:9000:9000", "2345:2345"]
    assert dev["user"] == "1000:1000" and dev["privileged"] is True
    assert dev["command"] == ["/bin/sh", "-c", f"go mod download\necho started > /tmp/started\n{KEEP_ALIVE}"]
    assert [i.split(":")[0] for i in conv.unconverted] == [
        "build.cacheFrom",
        "postAttachCommand",
        "initializeCommand",
        "runArgs",
    ]
    project = parse_project(conv.toml_text, root / "devenv.toml")
    assert project.service("dev").build.dockerfile == ".devcontainer/Dockerfile"


def test_compose_based(tmp_path):
    root, conv, doc = convert("compose", tmp_path)
    app, db = doc["services"]["app"], doc["services"]["db"]
    assert app["build"] == {"context": ".", "dockerfile": ".devcontainer/Dockerfile"}
    assert app["code"] == "/workspaces/compose"
    assert app["workdir"] == "/workspaces/compose"  # ${localWorkspaceFolderBasename} resolved
    assert app["ports"] == ["3000:3000"] and db["ports"] == ["5432:5432"]
    assert app["environment"] == {"FROM_OVERRIDE": "1", "RAILS_ENV": "development"}  # the override file
    assert db["environment"] == {"POSTGRES_PASSWORD": "${POSTGRES_PASSWORD}", "POSTGRES_DB": "app"}
    assert conv.secrets == {"POSTGRES_PASSWORD": "postgres"}  # written in the compose file: moved
    assert app["command"] == ["sleep", "infinity"]  # compose devcontainers keep the service's command
    assert db["volumes"] == ["postgres-data:/var/lib/postgresql/data"]
    assert [i.split(":")[0] for i in conv.unconverted] == [
        "services.db.restart",
        "postCreateCommand",
        "shutdownAction",
    ]
    parse_project(conv.toml_text, root / "devenv.toml")


def test_run_services_limit_the_stack_to_them_and_their_dependencies(tmp_path):
    root = tmp_path / "p"
    shutil.copytree(FIXTURES / "compose", root)
    compose = root / ".devcontainer" / "docker-compose.yml"
    compose.write_text(
        compose.read_text().replace(
            "  db:\n", "  docs:\n    image: nginx\n  cache:\n    image: redis\n  db:\n"
        )
    )
    path = root / ".devcontainer" / "devcontainer.json"
    path.write_text(path.read_text().replace('"runServices": ["app", "db"]', '"runServices": ["cache"]'))
    conv = convert_devcontainer(path, root)
    doc = tomllib.loads(conv.toml_text)
    # `service`, runServices, and db: app shares its network (network_mode: service:db)
    assert sorted(doc["services"]) == ["app", "cache", "db"]
    assert (
        "services.docs: not in runServices (the devcontainer starts only those, `service` and what "
        "they depend on)"
    ) in conv.unconverted


def test_a_missing_compose_file_of_the_list_is_an_error_naming_it(tmp_path):
    root = tmp_path / "p"
    shutil.copytree(FIXTURES / "compose", root)
    (root / ".devcontainer" / "docker-compose.override.yml").unlink()
    with pytest.raises(
        ConfigError, match=r'dockerComposeFile\[1\]: "docker-compose.override.yml" does not exist'
    ):
        convert_devcontainer(root / ".devcontainer" / "devcontainer.json", root)


def test_unknown_compose_service(tmp_path):
    root = tmp_path / "p"
    shutil.copytree(FIXTURES / "compose", root)
    path = root / ".devcontainer" / "devcontainer.json"
    path.write_text(path.read_text().replace('"service": "app"', '"service": "nope"'))
    with pytest.raises(
        ConfigError, match=r'service "nope" is not in \.devcontainer/docker-compose\.yml'
    ) as err:
        convert_devcontainer(path, root)
    assert "app, db" in err.value.hint


def test_bad_json(tmp_path):
    (tmp_path / "devcontainer.json").write_text('{\n "image": \n}')
    with pytest.raises(ConfigError, match=r"devcontainer.json:3: not valid JSON"):
        convert_devcontainer(tmp_path / "devcontainer.json", tmp_path)
