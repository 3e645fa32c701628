"""Dependency order on the real engine: each service starts when its own dependencies are
healthy (not when a whole earlier wave is), and a change to one service recreates only it."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.engine


def containers(project) -> dict[str, str]:
    status = json.loads(project.ok("status", "--json").out)
    return {s["service"]: s["container"] for s in status["services"]}


def started_at(docker_client, container_id: str) -> str:
    # RFC 3339 with nanoseconds, all in UTC: compared as text, they order as the times do.
    return docker_client.api.inspect_container(container_id)["State"]["StartedAt"]


def test_a_dependant_starts_when_its_own_dependency_is_healthy(project, registry, docker_client) -> None:
    """`slow` is healthy only once `fast_user` has started (it leaves a mark in a shared volume),
    and `fast_user` depends on `fast` alone. Waiting for the whole first wave (`fast` and `slow`)
    before starting any of the second would never start `fast_user`: `up` would fail on
    `slow`'s health. Started per dependency, everything comes up, in that order."""
    image = f"{registry}/busybox:test"
    project.write(f"""
[services.fast]
image = "{image}"
command = ["sleep", "100000"]
supervise = false
health = {{ cmd = ["true"], interval = "100ms", retries = 50 }}

[services.slow]
image = "{image}"
command = ["sleep", "100000"]
supervise = false
volumes = ["marks:/marks"]
health = {{ cmd = ["test", "-f", "/marks/fast_user"], interval = "100ms", retries = 50 }}

[services.fast_user]
image = "{image}"
command = ["sh", "-c", "touch /marks/fast_user; exec sleep 100000"]
supervise = false
volumes = ["marks:/marks"]
depends_on = ["fast"]

[services.slow_user]
image = "{image}"
command = ["sleep", "100000"]
supervise = false
depends_on = ["slow"]
""")
    project.ok("up", "-d")
    ids = containers(project)
    fast_user, slow_user = (started_at(docker_client, ids[name]) for name in ("fast_user", "slow_user"))
    assert fast_user < slow_user


def test_a_change_to_a_dependency_recreates_only_it(project, registry) -> None:
    """A chain of three (`api` → `cache` → `db`): `db`'s env changes; `up` recreates `db` and
    keeps `cache` and `api`, which merely depend on it (compose 1.29 recreates them too)."""
    image = f"{registry}/busybox:test"

    def write(level: str) -> None:
        project.write(f"""
[services.db]
image = "{image}"
command = ["sh", "-c", "touch /tmp/ready; exec sleep 100000"]
supervise = false
environment = {{ LOG_LEVEL = "{level}" }}
health = {{ cmd = ["test", "-f", "/tmp/ready"], interval = "100ms", retries = 50 }}

[services.cache]
image = "{image}"
command = ["sleep", "100000"]
supervise = false
depends_on = ["db"]

[services.api]
image = "{image}"
command = ["sleep", "100000"]
supervise = false
depends_on = ["cache"]
""")

    write("info")
    project.ok("up", "-d")
    before = containers(project)
    write("debug")
    changed = project.ok("up", "-d")
    after = containers(project)
    assert "1 change" in changed.err, changed.err
    assert after["db"] != before["db"]
    assert (after["cache"], after["api"]) == (before["cache"], before["api"])
