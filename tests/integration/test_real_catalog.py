"""The real catalog images, as a service meets them: Debian with the catalog guarantees, Python
with pip and venv, Node.js with npm, PostgreSQL running as its own user — each checked as an
unprivileged user where that matters (devenv runs code-mounted services as the host user)."""

from __future__ import annotations

import pytest

from tests.conftest import harness_run_options

pytestmark = pytest.mark.engine
NOBODY = "65534:65534"


def run(client, image: str, script: str, user: str = NOBODY) -> str:
    out = client.containers.run(
        image, ["/bin/sh", "-c", script], user=user, remove=True, **harness_run_options(client)
    )
    return out.decode().strip()


def test_base_is_debian_with_the_catalog_guarantees(docker_client, real_catalog) -> None:
    out = run(docker_client, f"{real_catalog}/base:latest",
              ". /etc/os-release; echo $VERSION_CODENAME; grep -c '^root:\\|^nobody:' /etc/passwd; "
              "grep -q '^nogroup:' /etc/group && touch /tmp/ok && echo $LANG $TZ && pwd")  # fmt: skip
    assert out.split("\n") == ["bookworm", "2", "C.UTF-8 UTC", "/app"]


def test_python_has_pip_and_venv_for_any_user(docker_client, real_catalog) -> None:
    out = run(docker_client, f"{real_catalog}/python:latest",
              "python --version && python3 -m venv /tmp/v && /tmp/v/bin/python -m pip --version >/dev/null "
              "&& echo venv-ok && echo $PYTHONUNBUFFERED$PYTHONDONTWRITEBYTECODE")  # fmt: skip
    version, venv, env = out.split("\n")
    assert version.startswith("Python 3.") and venv == "venv-ok" and env == "11"


def test_node_runs_and_npm_has_a_writable_cache(docker_client, real_catalog) -> None:
    out = run(docker_client, f"{real_catalog}/node:latest",
              "node -e 'console.log(1 + 1)' && npm config get cache && npm --version >/dev/null && echo ok")  # fmt: skip
    assert out.split("\n") == ["2", "/tmp/.npm", "ok"]


def test_postgres_makes_its_cluster_as_postgres_and_refuses_no_password(docker_client, real_catalog) -> None:
    image = f"{real_catalog}/postgres:latest"
    docker_client.images.pull(image)  # the engine may have it by digest only (built on another engine)
    info = docker_client.api.inspect_image(image)["Config"]
    assert info["StopSignal"] == "SIGINT" and info["Env"] and "5432/tcp" in info["ExposedPorts"]
    refused = docker_client.containers.run(image, detach=True, **harness_run_options(docker_client))
    try:
        assert refused.wait(timeout=60)["StatusCode"] == 1
        assert b"POSTGRES_PASSWORD is not set" in refused.logs()
    finally:
        refused.remove(force=True)
