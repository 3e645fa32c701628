"""Every unit test keeps devenv's state (locks, caches such as the built projects) in a folder of
its own: none reads what an earlier test left, none writes into the user's."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def own_state_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("DEVENV_STATE_DIR", str(folder))
    return folder
