"""Fault-injection fixtures: an engine we may kill (`engine_harness.py`), a registry that
misbehaves on demand (`registry_harness.py`), and a project cleaned up after a fault; the stack and
the devenv child process the tests interrupt are in `stack_harness.py`.

The shared engine (DOCKER_HOST) is never stopped: engine faults use `private_engine`, a second
dockerd with its own data/exec roots, socket and address pool, started and killed by these tests.
"""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import remove_project_objects
from tests.faults.engine_harness import EngineCut, PrivateEngine
from tests.faults.registry_harness import BadRegistry
from tests.faults.stack_harness import SEED


def pytest_collection_modifyitems(config, items) -> None:
    """CI runs the bounded sample; the long random variants run with DEVENV_FAULT_SLOW=1 or -m slow."""
    if os.environ.get("DEVENV_FAULT_SLOW") == "1" or "slow" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="long random variant: DEVENV_FAULT_SLOW=1 (or -m slow) runs it")
    for item in items:
        if "slow" in item.keywords and "tests/faults" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture
def rng(request) -> random.Random:
    """Seeded per test, so a failing trial reruns identically (DEVENV_FAULT_SEED)."""
    return random.Random(f"{SEED}:{request.node.name}")


@pytest.fixture(scope="session")
def private_engine(tmp_path_factory, busybox_image, docker_client) -> Any:
    """An engine the tests may kill and restart.

    By default an `EngineCut` in front of the shared engine. With DEVENV_FAULT_PRIVATE_DOCKERD=1
    (a machine of your own only), a real second dockerd that is SIGKILLed: beware that a second
    dockerd started with `--bridge=none` or its own `--bridge` DELETES the host's docker0, which
    breaks every other engine's default bridge."""
    if os.environ.get("DEVENV_FAULT_PRIVATE_DOCKERD") != "1":
        root = tmp_path_factory.mktemp("engine-cut")
        upstream = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock").replace("unix://", "")
        cut = EngineCut(root, upstream)
        cut.start()
        yield cut
        cut.kill()
        return
    if shutil.which("dockerd") is None or os.geteuid() != 0:
        pytest.skip("a private dockerd needs the dockerd binary and root")
    root = Path(f"/tmp/devenv-faults-{os.getpid()}")  # unix socket paths must stay short
    root.mkdir(parents=True, exist_ok=True)
    engine = PrivateEngine(root)
    engine.start()
    try:
        client = engine.client()
        client.images.pull(busybox_image)
        client.close()
        yield engine
    finally:
        engine.stop()
        engine.remove_leftovers()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def bad_registry(registry, busybox_image, docker_client) -> Any:
    """A misbehaving registry on a free port; the images it served are untagged afterwards."""
    reg = BadRegistry(registry)
    yield reg
    reg.close()
    for image in docker_client.images.list(name=f"{reg.address}/busybox"):
        for tag in image.tags:
            if tag.startswith(reg.address + "/"):
                docker_client.images.remove(tag, noprune=True)
    for image in docker_client.images.list():
        for digest in image.attrs.get("RepoDigests") or []:
            if digest.startswith(reg.address + "/"):
                try:
                    docker_client.images.remove(digest, noprune=True)
                except Exception:  # another tag of ours may have taken it with it
                    pass


@pytest.fixture
def faults_project(project, docker_client):
    """The shared `project` fixture, plus removal of anything labelled for it left by a fault."""
    yield project
    remove_project_objects(docker_client, project.name)
