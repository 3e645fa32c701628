"""The machine-side checks of `devenv doctor`: engine, socket, disk, clock, inotify.

Each returns a `Check`; the verdicts that need no engine (`disk_verdict`, `inotify_verdict`,
`parse_engine_time`, `count_watch_dirs`) are pure so unit tests can cover their edges."""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from devenv.errors import ExitCode

OK, FAIL, WARN, SKIP = "ok", "fail", "warn", "skip"
MIN_API = (1, 41)  # devenv pins API 1.41 (Docker 20.10)
GIB = 1024**3
DISK_FAIL_BYTES = 1 * GIB  # below this a pull or a build fails half-way
DISK_WARN_BYTES = 5 * GIB
CLOCK_WARN_S = 2.0
WATCH_SKIP = frozenset({".git", "node_modules", ".venv"})
INOTIFY_LIMIT_FILE = Path("/proc/sys/fs/inotify/max_user_watches")


@dataclass(frozen=True)
class Check:
    """One line of the report. `fail` blocks `devenv up`; `warn` works but deserves the fix."""

    id: str  # stable key for --json: "engine", "registry:HOST", "image:SERVICE", ...
    title: str  # the short label of the line
    status: str  # ok | fail | warn | skip
    detail: str  # what was found
    fix: Optional[str] = None  # the exact fix, for every fail and warn
    exit_code: int = int(ExitCode.USER_ERROR)  # what a fail makes `devenv doctor` exit with


# --- engine ---
def api_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:2]) or (0,)


def engine_check(host: str, version: Optional[Mapping[str, Any]], error: Optional[BaseException]) -> Check:
    """From the result of connecting (the version document, or the EngineError)."""
    if version is None:
        return Check(
            "engine",
            "engine",
            FAIL,
            str(error) if error else f"cannot reach the Docker engine at {host}",
            getattr(error, "hint", None) or "start the Docker engine, or point DOCKER_HOST at one",
            int(ExitCode.ENGINE),
        )
    server, api = version.get("Version", "?"), version.get("ApiVersion", "?")
    if api_tuple(api) < MIN_API:
        return Check(
            "engine",
            "engine",
            FAIL,
            f"Docker {server} speaks API {api}; devenv needs API {'.'.join(map(str, MIN_API))}",
            "upgrade the engine to Docker 20.10 or newer",
            int(ExitCode.ENGINE),
        )
    return Check("engine", "engine", OK, f"Docker {server} (API {api}) at {host}")


def socket_check(host: str) -> Check:
    """Local unix socket: present, and readable and writable by this user."""
    if not host.startswith("unix://"):
        return Check("socket", "socket", SKIP, f"engine at {host}: no local socket to check")
    path = host[len("unix://") :]
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return Check("socket", "socket", SKIP, f"no socket at {path} (see the engine line)")
    except PermissionError:
        return Check(
            "socket",
            "socket",
            FAIL,
            f"cannot look up {path}: a parent folder denies access",
            f"ask for access to {os.path.dirname(path)}, or point DOCKER_HOST at a socket you can use",
            int(ExitCode.ENGINE),
        )
    owner = _user_name(info.st_uid)
    group = _group_name(info.st_gid)
    mode = stat.filemode(info.st_mode)
    shown = f"{path} ({mode} {owner}:{group})"
    if not stat.S_ISSOCK(info.st_mode):
        return Check(
            "socket",
            "socket",
            FAIL,
            f"{shown} is not a socket",
            "point DOCKER_HOST at the engine's socket (e.g. unix:///var/run/docker.sock)",
            int(ExitCode.ENGINE),
        )
    if not os.access(path, os.R_OK | os.W_OK):
        return Check(
            "socket",
            "socket",
            FAIL,
            f"{shown}: you may not read and write it",
            f"add yourself to its group: `sudo usermod -aG {group} $USER`, then log out and in "
            f"(or run `newgrp {group}`)",
            int(ExitCode.ENGINE),
        )
    return Check("socket", "socket", OK, f"{shown}, usable by you")


def _user_name(uid: int) -> str:
    try:
        import pwd  # POSIX only: elsewhere the id is shown as it is

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return str(uid)


def _group_name(gid: int) -> str:
    try:
        import grp  # POSIX only: elsewhere the id is shown as it is

        return grp.getgrgid(gid).gr_name
    except (ImportError, KeyError):
        return str(gid)


# --- disk ---
def disk_verdict(free: int, total: int) -> str:
    if free < DISK_FAIL_BYTES:
        return FAIL
    if free < DISK_WARN_BYTES:
        return WARN
    return OK


def disk_check(host: str, root_dir: Optional[str]) -> Check:
    """Free space where the engine keeps images and volumes (only when that folder is on this machine)."""
    if not root_dir:
        return Check("disk", "disk", SKIP, "the engine did not say where it keeps its data")
    if not host.startswith("unix://") or not os.path.exists(root_dir):
        return Check("disk", "disk", SKIP, f"{root_dir} is not on this machine (engine at {host})")
    try:
        fs = os.statvfs(root_dir)
    except OSError:
        fs = os.statvfs(os.path.dirname(root_dir) or "/")
    free, total = fs.f_bavail * fs.f_frsize, fs.f_blocks * fs.f_frsize
    verdict = disk_verdict(free, total)
    detail = f"{free / GIB:.1f} GiB free of {total / GIB:.1f} GiB at {root_dir}"
    if verdict == OK:
        return Check("disk", "disk", OK, detail)
    fix = (
        "free space: `docker system df` shows what uses it; `docker image prune` removes dangling "
        "images; `devenv down --volumes` removes an old instance's volumes"
    )
    return Check(
        "disk", "disk", verdict, detail + (" (pulls and builds will fail)" if verdict == FAIL else ""), fix
    )


# --- clock ---
def parse_engine_time(text: str) -> float:
    """`2024-11-25T16:24:00.123456789Z` (or with an offset) -> epoch seconds. Go prints nanoseconds;
    Python parses at most microseconds, so the fraction is cut to six digits."""
    match = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", text.strip())
    if not match:
        raise ValueError(f"not an engine timestamp: {text!r}")
    base, fraction, zone = match.groups()
    zone = "+00:00" if zone == "Z" else zone
    stamp = dt.datetime.fromisoformat(f"{base}.{(fraction or '0')[:6].ljust(6, '0')}{zone}")
    return stamp.timestamp()


def clock_check(engine_time: Optional[str], before: float, after: float) -> Check:
    """`before`/`after`: local time around the info call; the skew allows for that round trip."""
    if not engine_time:
        return Check("clock", "clock", SKIP, "the engine did not report its time")
    try:
        remote = parse_engine_time(engine_time)
    except ValueError as err:
        return Check("clock", "clock", SKIP, str(err))
    skew = remote - (before + after) / 2
    slack = (after - before) / 2
    if abs(skew) <= CLOCK_WARN_S + slack:
        return Check("clock", "clock", OK, f"engine and this machine agree (skew {skew:+.1f} s)")
    side = "ahead of" if skew > 0 else "behind"
    return Check(
        "clock",
        "clock",
        WARN,
        f"the engine's clock is {abs(skew):.1f} s {side} this machine's (file times, logs and "
        "registry tokens disagree)",
        "sync the clocks: `sudo timedatectl set-ntp true` here; for an engine in a VM "
        "(Docker Desktop, colima) restart the VM",
    )


# --- inotify ---
def count_watch_dirs(root: Path, stop_after: Optional[int] = None) -> int:
    """Folders under `root` (itself included) that watching needs one inotify watch each for.
    Symlinks are not followed; `.git`, `node_modules` and `.venv` are skipped, as watch does."""
    count = 0
    stack = [str(root)]
    while stack:
        folder = stack.pop()
        count += 1
        if stop_after is not None and count > stop_after:
            return count
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.name in WATCH_SKIP:
                        continue
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(entry.path)
                    except OSError:
                        continue
        except OSError:  # unreadable folder: watch cannot use it either
            continue
    return count


def inotify_verdict(folders: int, limit: int) -> str:
    """Over the limit: watch polls what it could not watch. Over half: editors and other tools
    share the same per-user limit, so the project alone should not take most of it."""
    if folders > limit:
        return "over"
    if folders * 2 > limit:
        return "high"
    return OK


def inotify_check(root: Path, limit_file: Path = INOTIFY_LIMIT_FILE) -> Check:
    try:
        limit = int(limit_file.read_text().strip())
    except (OSError, ValueError):
        return Check("inotify", "inotify", SKIP, "no inotify limit on this system (not Linux)")
    folders = count_watch_dirs(root, stop_after=limit * 2)
    more = "more than " if folders > limit * 2 else ""
    detail = f"{more}{folders} folders to watch in {root}, limit {limit}"
    verdict = inotify_verdict(folders, limit)
    if verdict == OK:
        return Check("inotify", "inotify", OK, detail)
    wanted = max(524288, 1 << (folders * 4 - 1).bit_length())
    fix = (
        f"raise the limit: `echo fs.inotify.max_user_watches={wanted} | sudo tee "
        "/etc/sysctl.d/60-devenv-inotify.conf && sudo sysctl --system`"
    )
    # Watching still works (it polls the rest), so this never blocks `up`.
    note = " (devenv will poll what it cannot watch: slower reloads)" if verdict == "over" else ""
    return Check("inotify", "inotify", WARN, detail + note, fix)
