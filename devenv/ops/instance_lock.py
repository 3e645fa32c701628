"""One devenv command per project instance at a time: an flock in the state folder.

The kernel drops an flock when its holder dies, so a stale lock never blocks; the holder's
pid and command are written into the file so a waiting command can say who it waits for.
Different instances use different files and never block each other.

The file goes when its instance goes (`down`, a `devenv test` teardown): it is unlinked only
by a holder of the lock, and whoever locks a file checks that the path still names it — a
command that opened the file just before it was unlinked locks a file nobody else will, sees
that, and opens the path anew. So two commands never hold the instance's lock at once.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Optional

from devenv import paths
from devenv.errors import DevenvError

LOCK_VERSION = 1


def lock_path(project_root: Path, project_name: str, instance: str) -> Path:
    # Which checkout: two folders with the same project name lock apart. A checksum, not a
    # digest: loading hashlib's OpenSSL would slow every `down`, and a collision would only make
    # two checkouts wait for each other.
    key = f"{zlib.crc32(str(project_root).encode()):08x}"
    return paths.state_dir() / "locks" / f"{project_name}-{key}-{instance}.lock"


def describe_holder(path: Path) -> str:
    try:
        holder = json.loads(path.read_text() or "{}")
        return f"pid {holder.get('pid')}: {holder.get('command')}"
    except (OSError, ValueError):
        return "another devenv command"


def _same_file(fd: int, path: Path) -> bool:
    """Whether `path` still names the file open as `fd` (not unlinked, not replaced)."""
    try:
        named = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


def _acquire(fd: int, path: Path, instance: str, project_name: str,
             waiting: Optional[Callable[[str], None]], timeout_s: float) -> None:  # fmt: skip
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        if waiting:
            waiting(f"waiting for {describe_holder(path)} (instance {instance} of {project_name})")
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise DevenvError(
                        f"instance {instance} of {project_name} is still busy after {timeout_s:.0f}s "
                        f"({describe_holder(path)})",
                        "wait for that command to finish, or stop it",
                    ) from None
                time.sleep(0.05)


@contextmanager
def instance_lock(
    project_root: Path,
    project_name: str,
    instance: str,
    *,
    waiting: Optional[Callable[[str], None]] = None,
    timeout_s: float = 600.0,
    remove_after: bool = False,
) -> Iterator[None]:
    """Hold the instance's lock for the block. `remove_after`: the block takes the instance
    away, so its lock file goes too (only when the block succeeded)."""
    path = lock_path(project_root, project_name, instance)
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _acquire(fd, path, instance, project_name, waiting, timeout_s)
        except BaseException:
            os.close(fd)
            raise
        if _same_file(fd, path):
            break
        os.close(fd)  # unlinked by its last holder while this one waited: lock the new one
    try:
        holder = {"version": LOCK_VERSION, "pid": os.getpid(), "command": " ".join(["devenv", *sys.argv[1:]])}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)
        yield
        if remove_after:
            _unlink(path)  # still holding the lock: see the module's docstring
    finally:
        os.close(fd)  # closing releases the flock


def remove_lock_file(project_root: Path, project_name: str, instance: str) -> None:
    """The lock file of an instance that is gone, removed unless a command holds it now (that
    command then owns the instance again, and its file with it)."""
    path = lock_path(project_root, project_name, instance)
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if _same_file(fd, path):
            _unlink(path)
    except BlockingIOError:
        pass
    finally:
        os.close(fd)


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
