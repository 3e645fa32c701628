from __future__ import annotations

from pathlib import Path

import pytest

from devenv.errors import ConfigError
from devenv.registry.lockfile import LockedImage, LockFile, locked_digest

D1, D2 = "sha256:" + "1" * 64, "sha256:" + "2" * 64


def sample() -> LockFile:
    return LockFile(
        images={
            "web": LockedImage("python:3.12", "127.0.0.1:5555/python:3.12", D1),
            "db": LockedImage("postgres:16", "127.0.0.1:5555/postgres:16", D2),
        },
        env_hash="abc",
        env_sources={"deploy/z.yaml": "sha256:z", "deploy/a.yaml": "sha256:a"},
    )


def test_round_trip_is_sorted_stable_and_commented(tmp_path: Path) -> None:
    path = tmp_path / "devenv.lock"
    sample().save(path)
    text = path.read_text()
    assert text.startswith("# devenv.lock")
    assert "version = 1" in text
    assert text.index("[images.db]") < text.index("[images.web]")
    assert text.index('"deploy/a.yaml"') < text.index('"deploy/z.yaml"')
    loaded = LockFile.load(path)
    assert loaded == sample()
    loaded.save(path)
    assert path.read_text() == text  # re-saving rewrites the same bytes


def test_missing_lock_is_none(tmp_path: Path) -> None:
    assert LockFile.load(tmp_path / "devenv.lock") is None


def test_bad_toml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "devenv.lock"
    path.write_text("version = 1\n\n[images.web\n")
    with pytest.raises(ConfigError, match=r"^devenv.lock:3: not valid TOML"):
        LockFile.load(path)


def test_bad_digest_names_the_entry_and_line(tmp_path: Path) -> None:
    path = tmp_path / "devenv.lock"
    path.write_text('version = 1\n\n[images.web]\nimage = "a"\nreference = "r/a:1"\ndigest = "sha256:nope"\n')
    with pytest.raises(ConfigError) as info:
        LockFile.load(path)
    assert info.value.message == "devenv.lock:3 images.web.digest: 'sha256:nope' is not sha256:<64 hex>"
    assert "devenv lock" in info.value.hint


def test_a_newer_lock_version_asks_for_an_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "devenv.lock"
    path.write_text("version = 2\n")
    with pytest.raises(ConfigError, match="newer devenv"):
        LockFile.load(path)


def test_locked_digest_only_applies_to_the_image_that_was_locked() -> None:
    lock = sample()
    assert locked_digest(lock, "web", "python:3.12") == D1
    assert locked_digest(lock, "web", "python:3.13") is None  # devenv.toml changed since locking
    assert locked_digest(lock, "api", "python:3.12") is None
    assert locked_digest(None, "web", "python:3.12") is None
