"""A team adopting devenv from its own compose file, end to end on the real engine, the real
catalog and the real Kustomize: a FastAPI + SQLAlchemy + Alembic + PostgreSQL service with
production's config in Kustomize overlays and pytest tests (tests/integration/fastapi_project.py,
written for this test) → `init --from compose.yaml` → the written devenv.toml validates, uses the
catalog, mounts the app's folder as code, keeps the password out and lists production's overlay
in `[env] prod` → `up -d` serves a row Alembic wrote, read through SQLAlchemy → the container's
env is the overlay's → a save reloads it → `devenv test` runs the project's pytest and exits with
its code → `down --volumes` leaves no volume. No hand edit between the steps. The time from
`init --from` to serving is printed (`pytest -s`), never asserted."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.integration.fastapi_project import write_fastapi_project
from tests.integration.real_stack import wait_for
from tests.integration.test_adopt_voting_app import assert_down_volumes_leaves_none
from tests.integration.test_watch_cli import Running
from tests.integration.test_watch_support import wait_for as wait_until

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

pytestmark = pytest.mark.engine


def overlay_env(kustomize: list[str], root: Path, container: str) -> tuple[dict[str, str], set[str]]:
    """What the overlay gives `container`, read from `kustomize build` here without devenv:
    (its literal values, the keys it reads from Secrets the cluster holds)."""
    rendered = subprocess.run(
        [*kustomize, "deploy/overlays/prod"], cwd=root, capture_output=True, text=True, check=True, timeout=120
    ).stdout
    docs = [d for d in yaml.safe_load_all(rendered) if d]
    config_maps = {d["metadata"]["name"]: d.get("data", {}) for d in docs if d["kind"] == "ConfigMap"}
    (spec,) = [
        c for d in docs if d["kind"] == "Deployment" for c in d["spec"]["template"]["spec"]["containers"]
        if c["name"] == container
    ]  # fmt: skip
    values: dict[str, str] = {}
    for source in spec.get("envFrom", []):
        values.update(config_maps[source["configMapRef"]["name"]])
    secrets = set()
    for entry in spec.get("env", []):
        if "value" in entry:
            values[entry["name"]] = entry["value"]
        else:
            assert "secretKeyRef" in entry["valueFrom"], entry
            secrets.add(entry["name"])
    return values, secrets


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return json.load(answer)


def local_secrets(root: Path) -> dict[str, str]:
    lines = (root / ".devenv" / "secrets.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_a_fastapi_compose_project_with_kustomize_overlays_becomes_a_reloading_stack(
    project, docker_client, real_catalog, kustomize
) -> None:
    app = write_fastapi_project(project.root)
    started = time.monotonic()

    init = project.ok("init", "--from", "compose.yaml", "--name", project.name, "--registry", real_catalog)
    for said in ('"postgres:15-alpine" → "postgres:latest"', 'builds it from "python:latest"',
                 "deploy/overlays/prod is production's Kustomize overlay"):  # fmt: skip
        assert said in init.err, init.err
    text = (project.root / "devenv.toml").read_text()
    assert app.password not in text and app.password not in init.out + init.err
    assert (project.root / ".devenv" / "secrets.env").stat().st_mode & 0o077 == 0
    config = tomllib.loads(text)
    assert config["env"]["prod"] == ["deploy/overlays/prod"]
    api, db = config["services"]["api"], config["services"]["db"]
    assert api["code"] == {"source": "backend", "target": "/code"}
    assert api["build"]["from"] == "python:latest" and db["image"] == "postgres:latest"
    assert (api["env"], db["env"]) == ("prod", "none")
    assert "environment" not in api  # production's Secret gives DATABASE_URL; compose's value is the local one
    validated = project.ok("config", "validate")
    assert "valid (2 services)" in validated.out + validated.err, validated

    project.ok("up", "-d", timeout=900)
    greeting = wait_for(lambda: get_json(f"{app.url}/greeting"), "the api to serve /greeting", timeout=120)
    serving = time.monotonic() - started
    assert greeting == {"version": "v1", "text": "hello from alembic", "page_size": 50}
    print(f"\n[trial] init --from compose.yaml → serving a row through SQLAlchemy: {serving:.1f} s")

    # The container's env is production's: the overlay's values as Kustomize renders them, the
    # cluster's Secret from the local secrets file, and nothing but the secrets devenv.toml declares.
    shown = json.loads(project.ok("env", "show", "api", "--json").out)
    variables = {v["key"]: v for v in shown["variables"]}
    expected, cluster_secrets = overlay_env(kustomize, project.root, "api")
    assert {k: v["value"] for k, v in variables.items() if not v["secret"]} == expected
    secret = {k for k, v in variables.items() if v["secret"]}
    assert cluster_secrets <= secret and secret - cluster_secrets <= set(config["env"]["secret_keys"])
    (container,) = docker_client.containers.list(
        filters={"label": [f"dev.devenv.project={project.name}", "dev.devenv.service=api"]}
    )
    received = dict(e.split("=", 1) for e in container.attrs["Config"]["Env"])
    local = local_secrets(project.root)
    wanted = {k: local[k] if v["secret"] else v["value"] for k, v in variables.items()}
    differ = sorted(k for k in wanted if received.get(k) != wanted[k])  # names only: no secret printed
    assert differ == [], f"the container's env differs from `env show api` for {differ}"

    watch = Running(project)
    try:
        wait_until(lambda: watch.said("watching"), timeout=60, what=lambda: "the watching line\n" + watch.dump())
        main = project.root / "backend" / "app" / "main.py"
        main.write_text(main.read_text().replace('VERSION = "v1"', 'VERSION = "v2"'))
        wait_for(lambda: get_json(f"{app.url}/greeting")["version"] == "v2", "v2 served after the save")
        wait_until(lambda: any(line.startswith("api") and "reloaded" in line for line in watch.err),
                   what=lambda: "api's reload line\n" + watch.dump())  # fmt: skip
    finally:
        watch.interrupt()

    tested = project.ok("test", "-s", "api", "--", "python3", "-m", "pytest", "-q", timeout=900)
    assert "3 passed" in tested.out, tested
    failed = project.run("test", "-s", "api", "--", "python3", "-m", "pytest", "-q", "-k", "no_such_test", timeout=900)
    assert failed.code == 5, failed  # pytest's "no tests collected", passed through

    assert_down_volumes_leaves_none(docker_client, project)
