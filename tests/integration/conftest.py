"""Fixtures shared by the watch tests on the real engine."""

from __future__ import annotations

import pytest

from tests.integration.test_watch_support import remove_project, unique_project


@pytest.fixture
def proj(docker_client, tmp_path, monkeypatch):
    """A unique project name (state dir in tmp); its containers and network go afterwards."""
    monkeypatch.setenv("DEVENV_STATE_DIR", str(tmp_path / "state"))
    name = unique_project()
    yield name
    remove_project(docker_client, name)
