"""The catalog's services beside an app — Redis and MariaDB, from Debian's packages on `base` —
as a team meets them: built with `devenv images build NAME`, healthy by the image's own health
check, set up from the official images' variables, a value written survives a stop and a start,
and `docker stop` ends them cleanly (exit code 0: they stopped on the signal, not on SIGKILL)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest

from tests.conftest import harness_run_options

pytestmark = pytest.mark.engine
STOP_TIMEOUT_S = 30  # what devenv gives a service with a named volume


@pytest.fixture(scope="module")
def services_catalog(docker_client, registry) -> str:
    from tests.integration.real_stack import ensure_catalog

    ensure_catalog(registry, ("redis", "mariadb"))
    return registry


@pytest.fixture
def started(docker_client) -> Iterator[list]:
    containers: list = []
    yield containers
    for container in containers:
        container.remove(force=True, v=True)


def _run(docker_client, started: list, image: str, environment: dict[str, str]):
    docker_client.images.pull(image)  # the engine may have it by digest only
    container = docker_client.containers.run(
        image, detach=True, environment=environment, name=f"devenv-test-{uuid.uuid4().hex[:8]}",
        **harness_run_options(docker_client),
    )  # fmt: skip
    started.append(container)
    return container


def _healthy(container, budget_s: float = 120) -> None:
    """Until the engine's health check (the image's HEALTHCHECK) says healthy."""
    deadline = time.monotonic() + budget_s
    while time.monotonic() < deadline:
        container.reload()
        state = container.attrs["State"]
        assert state["Running"], container.logs().decode(errors="replace")[-2000:]
        if state["Health"]["Status"] == "healthy":
            return
        time.sleep(0.5)
    pytest.fail(f"{container.name} never became healthy: {container.attrs['State']['Health']}")


def _exec(container, argv: list[str], environment: dict[str, str]) -> str:
    code, out = container.exec_run(argv, environment=environment)
    text = out.decode(errors="replace").strip()
    assert code == 0, text
    return text


def _stop_cleanly(container) -> None:
    container.stop(timeout=STOP_TIMEOUT_S)
    container.reload()
    # 0: it ended on the stop signal by itself; SIGKILL after the timeout would be 137.
    assert container.attrs["State"]["ExitCode"] == 0, container.logs().decode(errors="replace")[-2000:]


def _image_config(docker_client, image: str) -> dict:
    docker_client.images.pull(image)
    return docker_client.api.inspect_image(image)["Config"]


def test_redis_keeps_a_value_across_a_clean_stop_and_asks_for_its_password(
    docker_client, services_catalog, started
) -> None:
    image = f"{services_catalog}/redis:latest"
    config = _image_config(docker_client, image)
    assert config["StopSignal"] == "SIGTERM" and "/data" in config["Volumes"] and config["Healthcheck"]
    password = 'p"w\\x y'  # quoting: a double quote, a backslash and a space
    redis = _run(docker_client, started, image, {"REDIS_PASSWORD": password})
    _healthy(redis)
    auth = {"REDISCLI_AUTH": password}
    assert "NOAUTH" in _exec(redis, ["redis-cli", "-h", "127.0.0.1", "GET", "k"], {})
    assert _exec(redis, ["redis-cli", "SET", "k", "kept"], auth) == "OK"
    assert password.encode() not in redis.top()["Processes"][0][-1].encode()  # not on a command line

    _stop_cleanly(redis)
    assert b"DB saved on disk" in redis.logs()
    redis.start()
    _healthy(redis)
    assert _exec(redis, ["redis-cli", "GET", "k"], auth) == "kept"


def test_mariadb_sets_up_its_users_and_keeps_a_row_across_a_clean_stop(
    docker_client, services_catalog, started
) -> None:
    image = f"{services_catalog}/mariadb:latest"
    config = _image_config(docker_client, image)
    assert config["StopSignal"] == "SIGTERM" and "/var/lib/mysql" in config["Volumes"] and config["Healthcheck"]
    env = {
        "MARIADB_ROOT_PASSWORD": "r'oot\\pw",
        "MARIADB_DATABASE": "app",
        "MARIADB_USER": "app_user",
        "MARIADB_PASSWORD": "s3cret'",
    }
    db = _run(docker_client, started, image, env)
    _healthy(db)
    as_user = {"MYSQL_PWD": env["MARIADB_PASSWORD"]}
    sql = ["mariadb", "-h", "127.0.0.1", "-uapp_user", "app", "-N", "-e"]
    _exec(db, [*sql, "CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('kept')"], as_user)
    root = ["mariadb", "-h", "127.0.0.1", "-uroot", "-N", "-e", "SELECT 1"]
    assert _exec(db, root, {"MYSQL_PWD": env["MARIADB_ROOT_PASSWORD"]}) == "1"
    assert db.exec_run(root, environment={"MYSQL_PWD": "wrong"})[0] != 0

    _stop_cleanly(db)
    assert b"Shutdown complete" in db.logs()
    db.start()
    _healthy(db)
    assert _exec(db, [*sql, "SELECT v FROM t"], as_user) == "kept"


def test_mariadb_refuses_a_root_without_a_password(docker_client, services_catalog, started) -> None:
    refused = _run(docker_client, started, f"{services_catalog}/mariadb:latest", {"MARIADB_DATABASE": "app"})
    assert refused.wait(timeout=60)["StatusCode"] == 1
    assert b"MARIADB_ROOT_PASSWORD is not set" in refused.logs()
