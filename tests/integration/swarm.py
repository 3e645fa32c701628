"""A single-node Docker Swarm for the length of one `with` block — only on the project's own
test engine (the socket scripts/engine-up.sh starts), only when that engine is in no swarm
already, and always left again (`docker swarm leave --force`), with what joining created
removed, so the engine is as it was for everyone else using it.

Other test runs share the engine: the swarm window is kept short, and a host-wide lock keeps
two runs from joining and leaving under each other."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import IN_CI

ENGINE_ROOT = Path(os.environ.get("DEVENV_ENGINE_ROOT", "/tmp/devenv-engine"))
TEST_ENGINE = f"unix://{ENGINE_ROOT}/docker.sock"
GATEWAY_BRIDGE = "docker_gwbridge"  # created by the first swarm task on a host; a swarm leftover


def _needs(what: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true but {what}", pytrace=False)
    pytest.skip(what)


def docker(*args: str, input: str | None = None, check: bool = True, timeout: float = 120) -> str:
    proc = subprocess.run(
        ["docker", *args], input=input, capture_output=True, text=True, timeout=timeout, env=os.environ.copy()
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)}: exit {proc.returncode}\n{proc.stderr}")
    return proc.stdout


def swarm_state() -> str:
    return docker("info", "--format", "{{.Swarm.LocalNodeState}}").strip()


def _networks() -> set[str]:
    return set(docker("network", "ls", "--format", "{{.Name}}").split())


@contextmanager
def single_node_swarm() -> Iterator[None]:
    if os.environ.get("DOCKER_HOST") != TEST_ENGINE:
        _needs(
            f"Swarm tests join only the project's test engine (DOCKER_HOST={TEST_ENGINE}), never another one"
        )
    lock = (ENGINE_ROOT / "swarm-test.lock").open("a")
    fcntl.flock(lock, fcntl.LOCK_EX)  # another run's swarm window ends first
    try:
        if swarm_state() != "inactive":
            _needs(f"the test engine is in a swarm already ({swarm_state()}): not ours to use or leave")
        before = _networks()
        docker("swarm", "init", "--advertise-addr", "127.0.0.1")
        try:
            yield
        finally:
            docker("swarm", "leave", "--force")
            if GATEWAY_BRIDGE not in before and GATEWAY_BRIDGE in _networks():
                docker("network", "rm", GATEWAY_BRIDGE, check=False)
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


def remove_stack(stack: str, volumes: Sequence[str], secrets: Sequence[str], timeout: float = 120) -> None:
    """`docker stack rm` returns before the tasks are gone: wait for their containers, then
    remove the stack's volumes (in use until then) and secrets."""
    docker("stack", "rm", stack, check=False)
    deadline = time.monotonic() + timeout
    while docker("ps", "-aq", "--filter", f"label=com.docker.stack.namespace={stack}").strip():
        if time.monotonic() > deadline:
            raise AssertionError(f"the tasks of stack {stack} were not gone within {timeout:.0f} s")
        time.sleep(0.2)
    for volume in volumes:
        docker("volume", "rm", volume, check=False)
    for secret in secrets:
        docker("secret", "rm", secret, check=False)


def service_env(service: str) -> list[str]:
    spec = json.loads(docker("service", "inspect", service))[0]["Spec"]
    return list(spec["TaskTemplate"]["ContainerSpec"].get("Env") or [])
