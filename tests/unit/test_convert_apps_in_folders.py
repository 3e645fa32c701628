"""init --from on a repository of small apps: each app's source folder becomes its `code`,
public images become the team catalog's (and init says so), and a service that receives
none of [env] prod says so in the file rather than by silence."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from devenv.config.loader import parse_project
from devenv.convert import convert_compose

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

COMPOSE = """\
services:
  vote:
    build: ./vote
    command: python3 app.py
    volumes: ["./vote:/usr/local/app"]
    depends_on: [redis]
  result:
    image: python:3.11-slim
    working_dir: /srv/result
    command: python3 app.py
    volumes: ["./result:/srv/result", "./seed:/seed"]
  worker:
    image: busybox
    volumes: ["./worker:/opt/worker"]
  redis:
    image: redis:7-alpine
  db:
    image: postgres:16-alpine
    volumes: ["./db-init:/docker-entrypoint-initdb.d"]
  own:
    image: registry.example.com/team/postgres:15
"""


def project(root: Path) -> Path:
    files = {
        "docker-compose.yml": COMPOSE,
        "vote/Dockerfile": "ARG BASE_IMAGE=python:3.11-slim\nFROM ${BASE_IMAGE}\nWORKDIR /usr/local/app\nCOPY . .\n",
        "vote/app.py": "print('vote')\n",
        "result/app.py": "print('result')\n",
        "seed/products.csv": "id,name\n",
        "worker/main.js": "console.log(1)\n",
        "db-init/01.sql": "create table t (id int);\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root / "docker-compose.yml"


def convert(root: Path, catalog: bool):
    conversion = convert_compose(project(root), root, catalog=catalog)
    return conversion, tomllib.loads(conversion.toml_text)


def test_each_app_folder_becomes_its_services_code_and_data_stays_data(tmp_path: Path) -> None:
    conversion, doc = convert(tmp_path, catalog=False)
    services = doc["services"]
    assert services["vote"]["code"] == {"source": "vote", "target": "/usr/local/app"}  # the Dockerfile's WORKDIR
    assert services["result"]["code"] == {"source": "result", "target": "/srv/result"}  # working_dir
    assert services["result"]["data"] == [{"source": "seed", "target": "/seed", "read_only": False}]
    assert services["worker"]["code"] == {"source": "worker", "target": "/opt/worker"}  # holds main.js
    assert services["db"]["data"][0]["source"] == "db-init"  # SQL scripts are no app
    assert "services.vote.volumes[0]: \"./vote:/usr/local/app\" is the app's source (mounted at the WORKDIR of " \
        'vote/Dockerfile): code = { source = "vote", target = "/usr/local/app" }, so a save in vote/ reloads the service' \
        in conversion.notes  # fmt: skip
    (tmp_path / "devenv.toml").write_text(conversion.toml_text)
    loaded = parse_project(conversion.toml_text, tmp_path / "devenv.toml")
    assert (loaded.service("vote").code_source, loaded.service("vote").code) == ("vote", "/usr/local/app")
    assert loaded.service("vote").watch is not None  # reloads without a hand-written [watch]


def test_with_a_team_registry_public_images_become_the_catalogs_and_init_says_so(tmp_path: Path) -> None:
    conversion, doc = convert(tmp_path, catalog=True)
    services = doc["services"]
    assert services["redis"]["image"] == "redis:latest"
    assert services["db"]["image"] == "postgres:latest"
    assert services["result"]["image"] == "python:latest"
    assert services["own"]["image"] == "registry.example.com/team/postgres:15"  # the team's own: as written
    assert services["vote"]["build"] == {"context": "vote", "from": "python:latest"}
    assert (
        'services.db.image: "postgres:16-alpine" → "postgres:latest", the team catalog\'s postgres '
        "(PostgreSQL 15, pinned by devenv.lock); compose asked for version 16: check the app works with it"
    ) in conversion.notes
    assert any(n.startswith('services.redis.image: "redis:7-alpine" → "redis:latest"') for n in conversion.notes)


def test_without_a_registry_images_stay_and_the_catalog_is_named(tmp_path: Path) -> None:
    conversion, doc = convert(tmp_path, catalog=False)
    assert doc["services"]["redis"]["image"] == "redis:7-alpine"
    assert "from" not in doc["services"]["vote"]["build"]
    assert (
        'services.redis.image: "redis:7-alpine": the team catalog has redis (Redis 7.0); with a team registry '
        '(--registry or DEVENV_REGISTRY) init writes "redis:latest"'
    ) in conversion.notes


def test_a_dockerfile_from_a_public_image_gets_the_two_line_change(tmp_path: Path) -> None:
    project(tmp_path)
    (tmp_path / "vote" / "Dockerfile").write_text("FROM python:3.11-slim AS app\nWORKDIR /usr/local/app\n")
    conversion = convert_compose(tmp_path / "docker-compose.yml", tmp_path, catalog=True)
    assert (
        "services.vote.build: vote/Dockerfile:1 starts from the public python:3.11-slim; to build from the team "
        "catalog's python, make it `ARG BASE_IMAGE=python:3.11-slim` then `FROM ${BASE_IMAGE} AS app` and add "
        'from = "python:latest" to the build table'
    ) in conversion.notes


def test_a_service_with_its_own_environment_says_it_receives_none_of_prod(tmp_path: Path) -> None:
    (tmp_path / "app.env").write_text("LOG_LEVEL=info\n")
    (tmp_path / "compose.yaml").write_text(
        textwrap.dedent(
            """\
            services:
              web: {image: busybox, env_file: [app.env], environment: {PORT: "8000"}}
              cache: {image: busybox, environment: {MODE: lru}}
            """
        )
    )
    conversion = convert_compose(tmp_path / "compose.yaml", tmp_path)
    doc = tomllib.loads(conversion.toml_text)
    assert doc["services"]["web"]["env"] == "prod"
    assert doc["services"]["cache"]["env"] == "none"
    assert (
        'services.cache: env = "none": compose gave it no env_file, so it receives none of [env] prod (app.env); '
        "set env = \"prod\" to mirror production's env into it"
    ) in conversion.notes


def test_validate_warns_about_a_service_that_receives_none_of_prod(tmp_path: Path, monkeypatch, capsys) -> None:
    from devenv.cli.app import main

    (tmp_path / "prod.env").write_text("LOG_LEVEL=info\n")
    (tmp_path / "devenv.toml").write_text(
        '[env]\nprod = ["prod.env"]\n\n[services.api]\nimage = "x"\nenvironment = { PORT = "8000" }\n\n'
        '[services.db]\nimage = "y"\nenvironment = { A = "b" }\nenv = "none"\n'
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("DEVENV_STATE_DIR", str(tmp_path / ".state"))
    with pytest.raises(SystemExit) as exited:
        main(["config", "validate"])
    err = capsys.readouterr().err
    assert exited.value.code in (0, None)
    assert (
        'warning: devenv.toml:4 services.api: has an `environment` table and no `env` key, so it receives nothing '
        'from [env] prod (prod.env) — add env = "prod" to mirror production\'s env into it (its table goes on top), '
        'or env = "none" to say it needs none'
    ) in err
    assert "services.db" not in err  # said on purpose
