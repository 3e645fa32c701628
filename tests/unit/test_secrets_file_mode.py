"""A secrets file devenv writes (`init --from` moving `.env` secrets) is 0600 from its first
byte: with a umask of 0, no file at any step of the write (the temporary one, the renamed one)
is ever readable by others."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from devenv.convert import write_local_secrets

SECRETS = ".devenv/secrets.env"


@pytest.fixture
def no_umask():
    old = os.umask(0)
    yield
    os.umask(old)


def watch_modes(monkeypatch) -> list[tuple[str, int]]:
    """(step, mode) of every file when it is renamed into place or chmod-ed."""
    seen: list[tuple[str, int]] = []
    real_replace, real_chmod = os.replace, os.chmod

    def replace(src, dst, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append((f"rename {Path(dst).name}", stat.S_IMODE(os.stat(src).st_mode)))
        return real_replace(src, dst, *args, **kwargs)

    def chmod(path, mode, *args, **kwargs):  # type: ignore[no-untyped-def]
        result = real_chmod(path, mode, *args, **kwargs)
        seen.append((f"chmod {Path(path).name}", stat.S_IMODE(os.stat(path).st_mode)))
        return result

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "chmod", chmod)
    return seen


def test_a_new_secrets_file_is_never_wider_than_0600(tmp_path, monkeypatch, no_umask):
    seen = watch_modes(monkeypatch)
    assert write_local_secrets(tmp_path, SECRETS, {"DB_PASSWORD": "local-pw"}) == ["DB_PASSWORD"]
    assert seen and all(mode == 0o600 for _, mode in seen), seen
    assert stat.S_IMODE((tmp_path / SECRETS).stat().st_mode) == 0o600


def test_adding_to_a_secrets_file_keeps_it_0600(tmp_path, monkeypatch, no_umask):
    write_local_secrets(tmp_path, SECRETS, {"DB_PASSWORD": "local-pw"})
    seen = watch_modes(monkeypatch)
    assert write_local_secrets(tmp_path, SECRETS, {"DB_PASSWORD": "other", "API_TOKEN": "t"}) == ["API_TOKEN"]
    assert seen and all(mode == 0o600 for _, mode in seen), seen
    assert (tmp_path / SECRETS).read_text().endswith("DB_PASSWORD=local-pw\nAPI_TOKEN=t\n")
