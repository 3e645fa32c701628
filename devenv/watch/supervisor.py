"""The supervisor shim: where it lives on the host, how a service command is wrapped in it,
and how a running service is told to restart.

The scripts in `shim/` are copied once per content hash into the state folder, so a running
container's read-only bind mount never points into a virtualenv that may be replaced.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

from devenv import paths, settings
from devenv.config.pycommand import python_command

SHIM_MOUNT = "/.devenv"
SUPERVISE = f"{SHIM_MOUNT}/supervise.sh"
RESTART = f"{SHIM_MOUNT}/restart.sh"
PRELOAD = f"{SHIM_MOUNT}/pywarm.py"  # the supervisor of a Python command with watch.preload
# One line, rewritten on every change: "<shim pid> <generation> <state> <child pid> <exit code>".
STATUS_FILE = settings.SUPERVISOR_STATUS.default
# What the shim prints on stderr (so in the container log) when the process exits by itself.
EXIT_MARKER = "devenv-supervise: exited with code "

_SOURCE = Path(__file__).with_name("shim")
_FILES = ("supervise.sh", "restart.sh", "pywarm.py")


def _content_hash() -> str:
    digest = hashlib.sha256()
    for name in _FILES:
        digest.update(name.encode() + b"\0" + (_SOURCE / name).read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def shim_host_dir() -> Path:
    """The host folder to bind-mount read-only at `SHIM_MOUNT` (created once per shim version)."""
    target = paths.state_dir() / "shim" / _content_hash()
    if all((target / name).is_file() for name in _FILES):
        return target
    import shutil  # only the first `up` after an upgrade builds the folder: not on every no-op `up`
    import tempfile

    target.parent.mkdir(parents=True, exist_ok=True)
    # Build in a temp folder, then rename: a concurrent `devenv up` sees all of it or none.
    staging = Path(tempfile.mkdtemp(prefix=".shim-", dir=target.parent))
    try:
        for name in _FILES:
            shutil.copyfile(_SOURCE / name, staging / name)
            os.chmod(staging / name, 0o755)
        os.chmod(staging, 0o755)  # readable by any container user (uid mapping)
        try:
            os.rename(staging, target)
        except OSError:
            if not all((target / name).is_file() for name in _FILES):
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


def wrap_command(command: Sequence[str], preload: bool = False) -> list[str]:
    """The container command that runs `command` under the supervisor: the shell one, or with
    `preload` the Python one, run by the command's own interpreter with its own options."""
    split = python_command(command) if preload else None
    if split is not None:
        return [*split.interpreter, PRELOAD, *split.target]
    return ["/bin/sh", SUPERVISE, *command]


def restart_command(timeout_s: int = 10, *, after: Optional[str] = None) -> list[str]:
    """What to exec in the container to restart the service process (waits until it has).
    `after` ("SHIM_PID:GEN"): the SIGHUP was sent already, after that generation; only wait.

    Exits 0 when the new process runs, 1 when it already exited, 2 without a supervisor.
    """
    return ["/bin/sh", RESTART, str(timeout_s), *([after] if after else [])]


def signal_reaches_supervisor(container_args: Sequence[str]) -> bool:
    """Whether a signal sent to the container (its PID 1) reaches the supervisor: it is the
    container's process itself, or the child of the engine's init (which forwards signals).
    Not when an image's ENTRYPOINT runs first: that one would get it."""
    args = list(container_args)
    if args[:1] == ["/sbin/docker-init"] or args[:1] == ["/dev/init"]:
        args = args[args.index("--") + 1 :] if "--" in args else args[1:]
    if args[:2] == ["/bin/sh", SUPERVISE]:
        return True
    if PRELOAD in args:
        before = args[: args.index(PRELOAD)]
        return bool(before) and all(a.startswith("-") for a in before[1:])
    return False


def is_supervised(container_args: Sequence[str]) -> bool:
    """Whether a container's `Path` + `Args` show the shim (directly or under an init)."""
    return SUPERVISE in container_args or PRELOAD in container_args


def parse_status(line: str) -> dict[str, str]:
    """The shim's status line as a dict (keys: shim_pid, generation, state, pid, code)."""
    parts = line.split()
    if len(parts) != 5:
        return {}
    return dict(zip(("shim_pid", "generation", "state", "pid", "code"), parts))
