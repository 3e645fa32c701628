"""The read-only lite client answers what docker-py answers, and a no-op `up` needs nothing else."""

from __future__ import annotations

import subprocess
import sys

import pytest

from devenv.engine.lite import LiteAPIError, lite_client
from devenv.errors import EngineError

pytestmark = pytest.mark.engine

# Runs a command in-process, then prints which engine client modules it loaded.
PROBE = """
import sys
sys.argv = ["devenv", *sys.argv[1:]]
from devenv.cli.app import main
try:
    main()
except SystemExit as done:
    code = done.code
print("LOADED", sorted(m for m in sys.modules if m.split(".")[0] in ("docker", "requests", "urllib3")))
sys.exit(code)
"""


@pytest.fixture
def running(project, registry, busybox_image):
    project.write(
        f"""
[services.web]
image = "{busybox_image}"
command = ["sleep", "100000"]
supervise = false
"""
    )
    project.ok("up", "-d")
    return project


def test_same_answers_as_docker_py(running, docker_client, busybox_image) -> None:
    lite = lite_client()
    assert lite is not None and lite.api.ping()
    label = {"label": [f"dev.devenv.project={running.name}"]}
    ours = lite.api.containers(all=True, filters=label)
    theirs = docker_client.api.containers(all=True, filters=label)
    assert [c["Id"] for c in ours] == [c["Id"] for c in theirs] and len(ours) == 1
    assert ours[0]["Labels"] == theirs[0]["Labels"]
    assert (
        lite.api.inspect_container(ours[0]["Id"])["Config"]
        == docker_client.api.inspect_container(ours[0]["Id"])["Config"]
    )
    assert lite.api.inspect_image(busybox_image)["Id"] == docker_client.api.inspect_image(busybox_image)["Id"]
    nets = lite.api.networks(filters=label)
    assert [n["Id"] for n in nets] == [n["Id"] for n in docker_client.api.networks(filters=label)]


def test_errors_keep_the_engine_status(running) -> None:
    lite = lite_client()
    assert lite is not None
    with pytest.raises(LiteAPIError) as caught:
        lite.api.inspect_image("devenv-no-such-image:never")
    assert caught.value.status_code == 404 and "no such image" in caught.value.explanation.lower()


def test_an_unreachable_socket_is_an_engine_error(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/nothing.sock")
    lite = lite_client()
    assert lite is not None
    with pytest.raises(EngineError, match="cannot reach the Docker engine"):
        lite.api.containers()


def _probe_up(project) -> subprocess.CompletedProcess:
    """`devenv up -d` in-process, printing the engine-client modules it loaded."""
    return subprocess.run(
        [sys.executable, "-c", PROBE, "up", "-d"],
        cwd=project.root,
        env=project.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_noop_up_never_loads_docker_py(running) -> None:
    noop = _probe_up(running)
    assert noop.returncode == 0, noop.stderr
    assert "up to date" in noop.stderr
    assert "LOADED []" in noop.stdout
    running.ok("down")
    cold = _probe_up(running)  # the same probe sees docker-py when there is work to do
    assert cold.returncode == 0, cold.stderr
    assert "'docker'" in cold.stdout
