"""A compose prod source whose service `extends` another (in the same file or from another file):
its env is the merge compose makes — the extended service's `environment` and `env_file`s
under the service's own, a nearer key winning, env_files relative to the file that names them,
`environment` over every env_file — checked against the real docker-compose `config`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from devenv.envvars.sources import load_prod, source_files
from devenv.errors import ConfigError

COMPOSE = """\
services:
  base:
    image: busybox
    env_file: base.env
    environment:
      A: "1"
      B: "2"
      FROM_DOTENV: ${DOT}
  web:
    extends: base
    environment:
      B: "3"
      C: "4"
  api:
    extends:
      file: common/shared.yml
      service: app
    env_file: [web.env]
    environment:
      Z: "9"
"""
SHARED = """\
services:
  root:
    image: busybox
    environment:
      R: root
      S: root
  app:
    extends: root
    env_file: shared.env
    environment:
      S: shared
      I: ${DOT}
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "common").mkdir()
    (tmp_path / "docker-compose.yml").write_text(COMPOSE)
    (tmp_path / "common" / "shared.yml").write_text(SHARED)
    (tmp_path / ".env").write_text("DOT=dotval\n")
    (tmp_path / "base.env").write_text("E=base-env\nA=from-file\n")
    (tmp_path / "web.env").write_text("W=web\nS=web-file\n")
    (tmp_path / "common" / "shared.env").write_text("SH=from-shared-env\nS=shared-file\n")
    return tmp_path


def env_of(root: Path, service: str) -> dict[str, str]:
    return {k: v.value for k, v in load_prod(root, (f"docker-compose.yml#{service}",)).values.items()}


WEB = {"A": "1", "B": "3", "C": "4", "E": "base-env", "FROM_DOTENV": "dotval"}
API = {"I": "dotval", "R": "root", "S": "shared", "SH": "from-shared-env", "W": "web", "Z": "9"}


def test_extends_in_the_same_file_keeps_the_parents_env(root: Path) -> None:
    assert env_of(root, "web") == WEB


def test_extends_from_another_file_and_its_own_extends(root: Path) -> None:
    assert env_of(root, "api") == API
    prod = load_prod(root, ("docker-compose.yml#api",))
    assert prod.values["SH"].source == "common/shared.env:1"
    assert prod.values["SH"].via == "common/shared.yml:9"  # the env_file is named there
    assert prod.values["R"].source == "common/shared.yml:5"


def test_the_files_it_reads_are_the_lock_sources(root: Path) -> None:
    assert source_files(root, ("docker-compose.yml#api",)) == [
        "docker-compose.yml",
        "base.env",
        "common/shared.yml",
        "common/shared.env",
        "web.env",
        ".env",
    ]


def test_an_env_file_named_twice_is_read_once_in_its_first_place(tmp_path: Path) -> None:
    (tmp_path / "a.env").write_text("K=a\n")
    (tmp_path / "b.env").write_text("K=b\n")
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  base:\n    image: x\n    env_file: [a.env, b.env]\n"
        "  web:\n    extends: base\n    env_file: [a.env]\n"
    )
    assert env_of(tmp_path, "web") == {"K": "b"}  # a.env stays first: b.env, read after it, wins


def test_docker_compose_config_agrees(root: Path) -> None:
    from tests.unit.test_export_compose import compose_bin

    result = subprocess.run(
        [compose_bin(), "config"], cwd=root, capture_output=True, text=True, timeout=60, check=True
    )
    services = yaml.safe_load(result.stdout)["services"]
    assert {k: str(v) for k, v in services["web"]["environment"].items()} == WEB
    assert {k: str(v) for k, v in services["api"]["environment"].items()} == API


@pytest.mark.parametrize(
    ("compose", "message"),
    [
        (
            "services:\n  web:\n    image: x\n    extends: nope\n",
            "docker-compose.yml:4: services.web extends nope, which docker-compose.yml does not define",
        ),
        (
            "services:\n  web:\n    image: x\n    extends: other\n  other:\n    image: x\n    extends: web\n",
            "docker-compose.yml:7: services.other extends web, which extends it back (a cycle)",
        ),
        (
            "services:\n  web:\n    image: x\n    extends: {file: missing.yml, service: app}\n",
            "missing.yml: env source not found (listed in docker-compose.yml:4)",
        ),
    ],
)
def test_a_broken_extends_is_one_line(tmp_path: Path, compose: str, message: str) -> None:
    (tmp_path / "docker-compose.yml").write_text(compose)
    with pytest.raises(ConfigError) as caught:
        load_prod(tmp_path, ("docker-compose.yml#web",))
    assert caught.value.message == message
