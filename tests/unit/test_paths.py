"""devenv's state folder: the override, and on Linux platformdirs' own rule (spelled out in
devenv/paths.py to keep platformdirs' imports off every command's path)."""

from __future__ import annotations

import sys
from pathlib import Path

import platformdirs
import pytest

from devenv import paths


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the spelled-out rule is Linux's")
@pytest.mark.parametrize("xdg", [None, "", "   ", "/srv/state"])
def test_the_state_dir_is_the_one_platformdirs_gives(monkeypatch, tmp_path: Path, xdg) -> None:
    monkeypatch.delenv("DEVENV_STATE_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    if xdg is None:
        monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_STATE_HOME", xdg if xdg.strip() == "" else str(tmp_path / xdg.lstrip("/")))
    assert paths._linux_state_dir() == Path(platformdirs.user_state_dir("devenv", appauthor=False))


def test_the_override_wins(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DEVENV_STATE_DIR", str(tmp_path / "s"))
    assert paths.state_dir() == tmp_path / "s" and (tmp_path / "s").is_dir()
