"""`devenv export` as users meet it: `devenv lock` against the real registry, then compose and
Kubernetes files checked by docker-compose 1.29 `config` and kubernetes-validate."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.engine
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
SECRET = "never-in-an-export-0042"


def compose_bin() -> str:
    path = os.environ.get("DEVENV_COMPOSE_BIN") or "/opt/devenv-compose/bin/docker-compose"
    if not Path(path).is_file():
        message = f"docker-compose 1.29.2 not found at {path} (set DEVENV_COMPOSE_BIN; see docs/export.md)"
        if IN_CI:
            pytest.fail(f"CI=true but {message}", pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture
def locked(project, registry, busybox_image):
    (project.root / "deploy").mkdir()
    (project.root / "deploy" / "app.env").write_text("LOG_LEVEL=info\n")
    (project.root / "deploy" / "secret.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: app}\nstringData:\n  API_KEY: prod-value\n"
    )
    (project.root / ".devenv").mkdir()
    (project.root / ".devenv" / "secrets.env").write_text(f"API_KEY={SECRET}\n")
    project.write(
        f"""
        [project]
        name = "{project.name}"
        registry = "{registry}"

        [env]
        prod = ["deploy/app.env", "deploy/secret.yaml"]
        secrets = ".devenv/secrets.env"

        [env.profiles.dev]
        set = {{ LOG_LEVEL = "debug" }}

        [services.web]
        image = "busybox:test"
        command = ["httpd", "-f", "-p", "8080"]
        ports = ["8080:8080"]
        code = "/app"
        depends_on = ["db"]

        [services.db]
        image = "busybox:test"
        environment = {{ ROLE = "db" }}
        volumes = ["dbdata:/var/lib/db"]
        health = {{ cmd = ["true"], interval = "500ms" }}
        """
    )
    project.ok("lock")
    project.registry = registry
    return project


def test_export_compose_is_accepted_by_docker_compose(locked):
    binary = compose_bin()
    result = locked.ok("export", "compose", "-o", ".", "--profile", "dev")
    path = locked.root / "docker-compose.yml"
    assert result.out.strip() == str(path)
    text = path.read_text()
    assert SECRET not in text and "prod-value" not in text
    doc = yaml.safe_load(text)
    web = doc["services"]["web"]
    assert web["image"].startswith(f"{locked.registry}/busybox@sha256:")
    assert web["environment"] == {"API_KEY": "${API_KEY}", "LOG_LEVEL": "debug"}
    assert web["ports"] == ["127.0.0.1:8080:8080"] and web["volumes"] == [".:/app"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    env["API_KEY"] = "x"
    proc = subprocess.run(
        [binary, "config", "-q"], cwd=locked.root, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr


def test_export_to_stdout_needs_no_local_secret_values(locked):
    (locked.root / ".devenv" / "secrets.env").unlink()
    result = locked.ok("export", "compose")
    assert "API_KEY: ${API_KEY}" in result.out


def test_export_k8s_passes_the_schema(locked, tmp_path):
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    out = tmp_path / "k8s"
    locked.ok("export", "k8s", "-o", str(out))
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "configmap-db.yaml",
        "configmap-web.yaml",
        "deployment-db.yaml",
        "deployment-web.yaml",
        "pvc-dbdata.yaml",
        "service-db.yaml",  # headless: db has no ports, its name resolves all the same
        "service-web.yaml",
    ]
    for path in out.iterdir():
        text = path.read_text()
        assert SECRET not in text and "prod-value" not in text
        kubernetes_validate.validate(yaml.safe_load(text), "1.30", strict=True)


def test_export_without_a_lock_says_what_to_do(locked):
    (locked.root / "devenv.lock").unlink()
    result = locked.run("export", "k8s")
    assert result.code == 1
    assert "no devenv.lock" in result.err and "devenv lock" in result.err
