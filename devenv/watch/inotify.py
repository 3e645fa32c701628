"""inotify's limits on Linux: the watches this process holds, the limits in force (the sysctl or a
lower one of this user namespace), and the exact commands that raise them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

MAX_WATCHES_FILE = "/proc/sys/fs/inotify/max_user_watches"
USERNS_WATCHES_FILE = "/proc/sys/user/max_inotify_watches"  # per user namespace (Linux >= 5.11)
MAX_INSTANCES_FILE = "/proc/sys/fs/inotify/max_user_instances"
USERNS_INSTANCES_FILE = "/proc/sys/user/max_inotify_instances"


def inotify_watched_inodes() -> Optional[list[int]]:
    """Inode numbers of every inotify watch this process holds (None off Linux)."""
    fd_dir = Path("/proc/self/fd")
    if not fd_dir.is_dir():
        return None
    inodes: list[int] = []
    for fd in os.listdir(fd_dir):
        try:
            if os.readlink(fd_dir / fd) != "anon_inode:inotify":
                continue
            info = Path(f"/proc/self/fdinfo/{fd}").read_text()
        except OSError:
            continue
        for line in info.splitlines():
            if line.startswith("inotify wd:"):
                for part in line.split():
                    if part.startswith("ino:"):
                        inodes.append(int(part[4:], 16))
    return inodes


def _read_int(name: str) -> Optional[int]:
    try:
        return int(Path(name).read_text().strip())
    except (OSError, ValueError):
        return None


def _lowest(*names: str) -> Optional[int]:
    limits = [n for n in map(_read_int, names) if n is not None]
    return min(limits) if limits else None


def max_user_watches() -> Optional[int]:
    """The watch limit in force: the sysctl, or a lower one of this user namespace."""
    return _lowest(MAX_WATCHES_FILE, USERNS_WATCHES_FILE)


def inotify_fix(limit: Optional[int], missing: int, setting: str = "max_user_watches") -> str:
    """The exact commands that raise the limit now and after a reboot."""
    watches = setting == "max_user_watches"
    wanted = 524288 if watches else 1024
    while limit is not None and wanted < (limit + missing) * 2:
        wanted *= 2
    conf = "90-devenv-inotify.conf" if watches else "90-devenv-inotify-instances.conf"
    return (
        f"sudo sysctl fs.inotify.{setting}={wanted} && "
        f"echo fs.inotify.{setting}={wanted} | sudo tee /etc/sysctl.d/{conf}"
    )


def no_instance_note() -> str:
    limit = _lowest(MAX_INSTANCES_FILE, USERNS_INSTANCES_FILE)
    return (
        f"no inotify instance is left (fs.inotify.max_user_instances = {limit if limit is not None else '?'}, "
        f"shared by all your programs). Fix: {inotify_fix(limit, 1, 'max_user_instances')}"
    )
