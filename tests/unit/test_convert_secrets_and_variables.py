"""Conversions that never leak or silently misplace anything: `.env` secrets go to the local
secrets file (declared secret, referred to as ${NAME}), devcontainer variables are resolved only
where devenv can write them portably, and the compose forms devcontainers use map as meant."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from devenv.config.load import load_project
from devenv.convert import convert_compose, convert_devcontainer
from devenv.envvars import service_env
from devenv.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PASSWORD = "changeit-4711"
COMPOSE = """\
services:
  db:
    image: postgres:16
    environment:
      POSTGRES_USER: ${DB_USER}
      POSTGRES_PASSWORD: ${DB_PW}
      DATABASE_URL: postgres://${DB_USER}:${DB_PW}@db/app
      GREETING: price $$5
  web:
    image: busybox
    env_file: [web.env]
"""


def run_cli(root: Path, monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    from devenv.cli.app import main

    monkeypatch.chdir(root)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("DEVENV_STATE_DIR", str(root / ".state"))
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    out = capsys.readouterr()
    return int(exited.value.code or 0), out.out, out.err


@pytest.fixture
def compose_project(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    root.mkdir()
    (root / "compose.yaml").write_text(COMPOSE)
    (root / ".env").write_text(f"DB_USER=app\nDB_PW={PASSWORD}\n")
    (root / "web.env").write_text(f"LOG_LEVEL=info\nSTRIPE_TOKEN=sk_{PASSWORD}\n")
    return root


def test_env_secrets_move_to_the_local_file_regression(compose_project, monkeypatch, capsys):
    """Defect 5: `POSTGRES_PASSWORD = "changeit"` from .env was written into devenv.toml."""
    code, out, err = run_cli(compose_project, monkeypatch, capsys, "init", "--from", "compose.yaml")
    assert code == 0, err
    toml = (compose_project / "devenv.toml").read_text()
    assert PASSWORD not in toml and PASSWORD not in out + err
    doc = tomllib.loads(toml)
    assert doc["env"]["secrets"] == ".devenv/secrets.env"
    assert doc["env"]["secret_keys"] == ["DB_PW", "DATABASE_URL", "STRIPE_TOKEN"]
    assert doc["services"]["db"]["environment"] == {
        "POSTGRES_USER": "app",  # not a secret-looking name: stays a literal, as compose resolved it
        "POSTGRES_PASSWORD": "${DB_PW}",
        "DATABASE_URL": "${DATABASE_URL}",  # holds a password: the whole value is local
        "GREETING": "price $5",
    }
    local = (compose_project / ".devenv" / "secrets.env").read_text()
    assert f"DB_PW={PASSWORD}\n" in local and f"STRIPE_TOKEN=sk_{PASSWORD}\n" in local
    assert (compose_project / ".devenv" / "secrets.env").stat().st_mode & 0o077 == 0
    assert ".devenv/" in (compose_project / ".gitignore").read_text()
    assert "note: services.db.environment.POSTGRES_PASSWORD: its value comes from .env (DB_PW)" in err

    project = load_project(compose_project)
    db = service_env(project, "db", "dev", process_env={})
    assert db.values["POSTGRES_PASSWORD"].value == PASSWORD and db.values["POSTGRES_PASSWORD"].secret
    assert db.values["DATABASE_URL"].value == f"postgres://app:{PASSWORD}@db/app"
    web = service_env(project, "web", "dev", process_env={})
    assert web.values["STRIPE_TOKEN"].secret and web.values["LOG_LEVEL"].value == "info"


def test_the_exports_of_a_converted_project_hold_no_secret(compose_project, monkeypatch, capsys):
    run_cli(compose_project, monkeypatch, capsys, "init", "--from", "compose.yaml")
    from devenv.registry.lockfile import LockedImage, LockFile

    lock = LockFile()
    for name, image in (("db", "postgres:16"), ("web", "busybox")):
        lock.images[name] = LockedImage(image, f"127.0.0.1:5555/{image}", "sha256:" + "c" * 64)
    lock.save(compose_project / "devenv.lock")
    code, k8s, err = run_cli(compose_project, monkeypatch, capsys, "export", "k8s")
    assert code == 0, err
    assert PASSWORD not in k8s
    configmaps = [d for d in yaml.safe_load_all(k8s) if d and d["kind"] == "ConfigMap"]
    assert not any("POSTGRES_PASSWORD" in d["data"] or "STRIPE_TOKEN" in d["data"] for d in configmaps)
    code, compose, err = run_cli(compose_project, monkeypatch, capsys, "export", "compose")
    assert code == 0 and PASSWORD not in compose
    assert yaml.safe_load(compose)["services"]["db"]["environment"]["POSTGRES_PASSWORD"] == "${DB_PW}"


def test_a_gitignored_env_or_env_file_is_local_whatever_the_names(compose_project):
    (compose_project / ".gitignore").write_text(".env\nweb.env\n")
    conv = convert_compose(compose_project / "compose.yaml", compose_project)
    doc = tomllib.loads(conv.toml_text)
    assert "prod" not in doc["env"]  # a gitignored env_file is no prod source
    assert set(doc["env"]["secret_keys"]) == {"DB_USER", "DB_PW", "DATABASE_URL", "LOG_LEVEL", "STRIPE_TOKEN"}
    assert doc["services"]["web"]["env"] == "prod"
    assert conv.secrets["LOG_LEVEL"] == "info" and "info" not in conv.toml_text.split("[project]")[1]


def test_an_existing_local_value_is_never_replaced(compose_project, monkeypatch, capsys):
    (compose_project / ".devenv").mkdir()
    (compose_project / ".devenv" / "secrets.env").write_text("DB_PW=mine\n")
    run_cli(compose_project, monkeypatch, capsys, "init", "--from", "compose.yaml")
    text = (compose_project / ".devenv" / "secrets.env").read_text()
    assert text.startswith("DB_PW=mine\n") and f"DB_PW={PASSWORD}" not in text
    assert f"STRIPE_TOKEN=sk_{PASSWORD}\n" in text  # what was missing is added


# --- compose forms devcontainers use ---


def test_parent_mount_becomes_code_and_network_mode_service_is_explained(tmp_path):
    root = tmp_path / "app"
    (root / ".devcontainer").mkdir(parents=True)
    (root / ".devcontainer" / "docker-compose.yml").write_text(
        "services:\n  app:\n    image: python:3.12\n    volumes: ['../..:/workspaces:cached']\n"
        "    network_mode: service:db\n    environment: {DB_HOST: localhost}\n  db:\n    image: postgres\n"
    )
    (root / ".devcontainer" / "devcontainer.json").write_text(
        json.dumps(
            {
                "name": "My App",
                "dockerComposeFile": "docker-compose.yml",
                "service": "app",
                "workspaceFolder": "/workspaces/${localWorkspaceFolderBasename}",
            }
        )
    )
    conv = convert_devcontainer(root / ".devcontainer" / "devcontainer.json", root)
    doc = tomllib.loads(conv.toml_text)
    app = doc["services"]["app"]
    assert app["code"] == "/workspaces/app" and "data" not in app  # never the parent, read-write
    assert doc["project"]["name"] == "app"  # the folder, not "My App"
    note = next(n for n in conv.notes if n.startswith("services.app.network_mode"))
    assert 'write "db"' in note and "1 value(s) say localhost" in note
    assert not any(u.startswith("services.app.network_mode") for u in conv.unconverted)


def test_a_missing_docker_compose_file_names_the_key(tmp_path):
    (tmp_path / ".devcontainer").mkdir()
    path = tmp_path / ".devcontainer" / "devcontainer.json"
    path.write_text('{"dockerComposeFile": "../docker-compose.yml", "service": "app"}')
    with pytest.raises(ConfigError) as err:
        convert_devcontainer(path, tmp_path)
    assert str(err.value).startswith(
        '.devcontainer/devcontainer.json dockerComposeFile: "../docker-compose.yml" does not exist'
    )


# --- devcontainer variables ---


def devcontainer(tmp_path: Path, doc: dict, template: dict | None = None):
    (tmp_path / ".devcontainer").mkdir(exist_ok=True)
    (tmp_path / ".devcontainer" / "devcontainer.json").write_text(json.dumps(doc))
    if template is not None:
        (tmp_path / "devcontainer-template.json").write_text(json.dumps(template))
    conv = convert_devcontainer(tmp_path / ".devcontainer" / "devcontainer.json", tmp_path)
    return conv, tomllib.loads(conv.toml_text)["services"]["dev"]


def test_template_options_take_the_templates_default(tmp_path):
    template = {"options": {"imageVariant": {"type": "string", "default": "3.12-bookworm"}}}
    conv, dev = devcontainer(
        tmp_path,
        {"image": "mcr.microsoft.com/devcontainers/python:1-${templateOption:imageVariant}"},
        template,
    )
    assert dev["image"] == "mcr.microsoft.com/devcontainers/python:1-3.12-bookworm"
    assert "image: ${templateOption:imageVariant}: the template's default '3.12-bookworm'" in conv.notes


def test_an_unresolvable_image_is_named_never_kept(tmp_path):
    conv, dev = devcontainer(tmp_path, {"image": "base:${templateOption:imageVariant}"})
    assert "image" not in dev
    assert any(
        u.startswith("image: ${templateOption:imageVariant} is a template option") for u in conv.unconverted
    )


def test_machine_values_never_reach_the_file(tmp_path):
    conv, dev = devcontainer(
        tmp_path,
        {
            "image": "debian",
            "containerEnv": {
                "WS": "${localWorkspaceFolder}",
                "MODE": "${localEnv:MODE:dev}",
                "ME": "${localEnv:USER}",
            },
            "mounts": ["source=${localEnv:HOME}/.ssh,target=/root/.ssh,type=bind"],
        },
    )
    assert dev["environment"] == {"MODE": "dev"}  # a localEnv default is portable
    assert str(tmp_path) not in conv.toml_text  # this machine's project path is never written
    skipped = {u.split(":")[0] for u in conv.unconverted}
    assert {"containerEnv.WS", "containerEnv.ME"} <= skipped
    assert dev["data"] == [
        {"source": "~/.ssh", "target": "/root/.ssh", "read_only": False}
    ]  # ~ only as a data source
