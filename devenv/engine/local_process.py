"""A container's main process reached from this machine's kernel instead of through the engine.

On every save of a supervised service the watcher signals the container's PID 1 and waits for
the supervisor's status file to show the next process. Through the engine, that is a kill call
(~18 ms: dockerd → containerd → the runtime) and an exec (a process started in the container,
~30 ms of CPU, on the very cores the restarting app needs). When the container runs in this
kernel and this user may reach it (a local rootful engine as root, rootless Podman as its user),
the signal goes straight to the process (~0.01 ms) and the file is read through
/proc/PID/root. Anything else — an engine in a VM or on another host, devenv itself in a
container, a process that is not the container's PID 1 any more — is left to the engine.
"""

from __future__ import annotations

import os
import signal as signals
from typing import Optional


def is_container_init(pid: int, container_id: str) -> bool:
    """Whether `pid`, as this machine's /proc sees it, is PID 1 of the container `container_id`
    (in its cgroup, and the first process of its own PID namespace)."""
    if pid <= 0 or len(container_id) < 12:
        return False
    try:
        with open(f"/proc/{pid}/cgroup") as handle:
            if container_id not in handle.read():
                return False
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("NSpid:"):
                    return line.split()[-1] == "1"
    except OSError:
        return False
    return False


def send(pid: int, container_id: str, signal: str) -> bool:
    """Send `signal` ("SIGHUP") to the container's main process `pid` directly; False when that
    cannot be done here (the caller then asks the engine). A pidfd pins the process first, so a
    PID reused between the check and the signal is never hit."""
    try:
        number = signals.Signals[signal]
    except KeyError:
        return False
    try:
        handle = os.pidfd_open(pid) if pid > 0 and hasattr(os, "pidfd_open") else None
    except OSError:
        return False  # gone, or not in this PID namespace
    try:
        if not is_container_init(pid, container_id):
            return False
        if handle is not None:
            signals.pidfd_send_signal(handle, number)
        else:
            os.kill(pid, number)
        return True
    except OSError:  # not ours to signal (EPERM), or it just exited
        return False
    finally:
        if handle is not None:
            os.close(handle)


def read_file(pid: int, container_id: str, path: str, limit: int = 4096) -> Optional[str]:
    """The text of `path` inside the container whose PID 1 is `pid`, read through this kernel's
    /proc ("" when there is no such file); None when that cannot be done here (the caller then
    asks the engine)."""
    if not path.startswith("/") or not is_container_init(pid, container_id):
        return None
    try:
        with open(f"/proc/{pid}/root{path}", "rb") as handle:
            return handle.read(limit).decode(errors="replace")
    except FileNotFoundError:
        return ""  # the container is reachable; the file is not there (yet)
    except OSError:
        return None
