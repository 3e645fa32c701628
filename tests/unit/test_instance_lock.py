"""The per-instance lock file goes with its instance, and removing it never lets two commands
hold the instance's lock at once."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

import pytest

from devenv.ops.instance_lock import instance_lock, lock_path, remove_lock_file

ROOT = Path("/srv/checkout")


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DEVENV_STATE_DIR", str(tmp_path))
    return tmp_path


def _locked_by_someone(path: Path) -> bool:
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_the_lock_file_is_removed_with_the_instance_and_kept_otherwise() -> None:
    path = lock_path(ROOT, "shop", "default")
    with instance_lock(ROOT, "shop", "default"):
        pass
    assert path.exists()  # an `up`: the instance is still there
    with instance_lock(ROOT, "shop", "default", remove_after=True):
        assert path.exists()
    assert not path.exists()


def test_a_failed_block_keeps_the_file() -> None:
    with pytest.raises(RuntimeError), instance_lock(ROOT, "shop", "default", remove_after=True):
        raise RuntimeError("down failed half-way")
    assert lock_path(ROOT, "shop", "default").exists()


def test_a_waiter_on_the_unlinked_file_locks_the_new_one() -> None:
    """B opened the file before A (a `down`) unlinked it; B must not hold a lock on the dead file
    while a third command locks a fresh one at the same path."""
    path = lock_path(ROOT, "shop", "default")
    waiting, held, release = threading.Event(), threading.Event(), threading.Event()

    def second() -> None:
        with instance_lock(ROOT, "shop", "default", waiting=lambda _: waiting.set()):
            held.set()
            release.wait(10)

    with instance_lock(ROOT, "shop", "default", remove_after=True):
        thread = threading.Thread(target=second)
        thread.start()
        assert waiting.wait(10)
    assert held.wait(10)
    try:
        assert path.exists() and _locked_by_someone(path), "the waiter holds a lock on the unlinked file"
    finally:
        release.set()
        thread.join(10)


def test_remove_lock_file_leaves_a_held_lock_alone() -> None:
    path = lock_path(ROOT, "shop", "t-1234")
    with instance_lock(ROOT, "shop", "t-1234"):
        remove_lock_file(ROOT, "shop", "t-1234")
        assert path.exists()
    remove_lock_file(ROOT, "shop", "t-1234")
    assert not path.exists()
    remove_lock_file(ROOT, "shop", "t-1234")  # gone already: fine
