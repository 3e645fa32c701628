"""One devenv command per project instance at a time: an flock in the state folder.

The kernel drops an flock when its holder dies, so a stale lock never blocks; the holder's
pid and command are written into the file so a waiting command can say who it waits for.
Different instances use different files and never block each other.
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
    # digest: loading hashlib's OpenSSL costs every `down` 3 ms, and a collision would only make
    # two checkouts wait for each other.
    key = f"{zlib.crc32(str(project_root).encode()):08x}"
    return paths.state_dir() / "locks" / f"{project_name}-{key}-{instance}.lock"


def describe_holder(path: Path) -> str:
    try:
        holder = json.loads(path.read_text() or "{}")
        return f"pid {holder.get('pid')}: {holder.get('command')}"
    except (OSError, ValueError):
        return "another devenv command"


@contextmanager
def instance_lock(
    project_root: Path,
    project_name: str,
    instance: str,
    *,
    waiting: Optional[Callable[[str], None]] = None,
    timeout_s: float = 600.0,
) -> Iterator[None]:
    path = lock_path(project_root, project_name, instance)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
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
        holder = {"version": LOCK_VERSION, "pid": os.getpid(), "command": " ".join(["devenv", *sys.argv[1:]])}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the flock
