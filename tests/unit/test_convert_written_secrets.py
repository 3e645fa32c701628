"""Secrets written in the compose file itself (`POSTGRES_PASSWORD: secret`, a URL with its
password) leave devenv.toml as `.env` ones do: to the local secrets file, referred to by name."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from devenv.config.load import load_project
from devenv.convert import convert_compose, write_local_secrets
from devenv.convert.compose_secrets import SECRETS_FILE
from devenv.envvars import service_env

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PASSWORD = "pg-pass-5517"
COMPOSE = f"""\
services:
  result:
    image: busybox
    environment:
      DATABASE_URL: postgres://postgres:{PASSWORD}@db:5432/postgres
      CACHE_URL: redis://redis:6379/0
  db:
    image: busybox
    environment:
      POSTGRES_USER: postgres
      POSTGRES_PASSWORD: {PASSWORD}
  api:
    image: busybox
    environment:
      - API_TOKEN=tok-0042
      - MIRROR_URL=https://reader:mirror-pw-9@mirror.example/x
      - POSTGRES_PASSWORD=other-pass-8
"""


@pytest.fixture
def converted(tmp_path: Path):
    (tmp_path / "docker-compose.yml").write_text(COMPOSE)
    conversion = convert_compose(tmp_path / "docker-compose.yml", tmp_path)
    (tmp_path / "devenv.toml").write_text(conversion.toml_text)
    write_local_secrets(tmp_path, SECRETS_FILE, conversion.secrets)
    return tmp_path, conversion


def test_no_written_secret_stays_in_devenv_toml(converted) -> None:
    _root, conversion = converted
    text = conversion.toml_text
    for secret in (PASSWORD, "tok-0042", "mirror-pw-9", "other-pass-8"):
        assert secret not in text
    doc = tomllib.loads(text)
    services = doc["services"]
    assert services["db"]["environment"]["POSTGRES_PASSWORD"] == "${POSTGRES_PASSWORD}"
    # the URL keeps its shape and names the variable holding the same password (a later service's)
    assert services["result"]["environment"]["DATABASE_URL"] == "postgres://postgres:${POSTGRES_PASSWORD}@db:5432/postgres"
    assert services["result"]["environment"]["CACHE_URL"] == "redis://redis:6379/0"
    api = services["api"]["environment"]
    assert api["API_TOKEN"] == "${API_TOKEN}"
    assert api["MIRROR_URL"] == "https://reader:${MIRROR_URL_PASSWORD}@mirror.example/x"
    assert api["POSTGRES_PASSWORD"] == "${POSTGRES_PASSWORD_2}"  # another value, another name
    assert doc["env"]["secret_keys"] == ["POSTGRES_PASSWORD", "API_TOKEN", "MIRROR_URL_PASSWORD", "POSTGRES_PASSWORD_2"]
    assert conversion.secrets == {
        "POSTGRES_PASSWORD": PASSWORD,
        "API_TOKEN": "tok-0042",
        "MIRROR_URL_PASSWORD": "mirror-pw-9",
        "POSTGRES_PASSWORD_2": "other-pass-8",
    }
    assert any("API_TOKEN is written in docker-compose.yml and looks like a secret: moved to .devenv/secrets.env" in n
               for n in conversion.notes)  # fmt: skip


def test_the_containers_still_get_the_values(converted) -> None:
    root, _ = converted
    project = load_project(root / "devenv.toml")
    assert service_env(project, "db").values["POSTGRES_PASSWORD"].value == PASSWORD
    url = service_env(project, "result").values["DATABASE_URL"]
    assert url.value == f"postgres://postgres:{PASSWORD}@db:5432/postgres" and url.secret
    assert service_env(project, "api").values["POSTGRES_PASSWORD"].value == "other-pass-8"
