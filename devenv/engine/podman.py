"""What Podman's Docker-compatible API needs sent (or read) differently from Docker, each decided
here once, for both clients. Nothing here runs on Docker: its requests and answers are unchanged.

- rlimits: rootful Podman asks the runtime for RLIMIT_NOFILE 1048576 (and a large nproc) when a
  container requests none; an engine that may not raise its hard limits (no CAP_SYS_RESOURCE: an
  engine in a container, a CI sandbox) then fails every start with "error setting rlimit type 7".
  Any requested ulimit replaces all of Podman's defaults, so devenv asks for the engine's own
  nofile and nproc: always grantable, and what Docker's containers inherit from dockerd.
- health test: Podman 4's compat layer joins a CMD test's arguments with spaces and splits them
  again, so `["python3", "-c", "import a; a.b()"]` arrives broken; the same test as a CMD-SHELL
  line (quoted) arrives whole.
- health in the container list: Docker's says "Up 3 seconds (healthy)", Podman's never says it,
  so the running containers are inspected for it.
"""

from __future__ import annotations

import functools
import json
import socket
import struct
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, NamedTuple, Optional

from devenv.engine.errors import EngineNotFound, EngineRefused
from devenv.engine.records import ContainerDetails, ContainerInfo

if TYPE_CHECKING:  # the port's module is for the type checker: the lite client's path skips it
    from devenv.engine.port import EngineReads

CAP_SYS_RESOURCE = 24  # linux/capability.h: may raise hard resource limits
_LIMIT_ROWS = {"Max open files": "nofile", "Max processes": "nproc"}


class Ulimit(NamedTuple):
    name: str  # "nofile", "nproc"
    soft: int
    hard: int


# --- rlimits ---
def parse_limits(text: str) -> dict[str, tuple[int, int]]:
    """{"nofile": (soft, hard), "nproc": (soft, hard)} from a /proc/<pid>/limits text; a row
    that says "unlimited" is left out (nothing to cap)."""
    found: dict[str, tuple[int, int]] = {}
    for line in text.splitlines():
        for title, name in _LIMIT_ROWS.items():
            if line.startswith(title):
                fields = line[len(title) :].split()
                if len(fields) >= 2 and fields[0].isdigit() and fields[1].isdigit():
                    found[name] = (int(fields[0]), int(fields[1]))
    return found


def holds_capability(status_text: str, capability: int) -> bool:
    """Whether a /proc/<pid>/status text shows `capability` in the effective set (True when the
    text does not say: then nothing is changed)."""
    for line in status_text.splitlines():
        if line.startswith("CapEff:"):
            return bool(int(line.split()[1], 16) >> capability & 1)
    return True


def ulimits_for(limits_text: str, status_text: str) -> tuple[Ulimit, ...]:
    """What to ask an engine process for: its own limits when it may not raise them, else nothing."""
    if holds_capability(status_text, CAP_SYS_RESOURCE):
        return ()
    return tuple(Ulimit(name, soft, hard) for name, (soft, hard) in sorted(parse_limits(limits_text).items()))


def peer_pid(socket_path: str) -> Optional[int]:
    """The pid of the process that listens on a local unix socket (SO_PEERCRED), if it can be known."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(socket_path)
            pid, _uid, _gid = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
    except (OSError, AttributeError):  # not Linux (no SO_PEERCRED), or the socket went away
        return None
    return pid or None


def serving_process(host: str) -> Optional[str]:
    """The name of the local process serving `host` ("podman", "dockerd"; None: remote or
    unknown, e.g. a VM's socket forwarder is not the engine)."""
    if not host.startswith("unix://"):
        return None
    pid = peer_pid(host[len("unix://") :])
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() if pid else None
    except OSError:
        return None


@functools.cache  # the engine's process keeps its limits: read /proc once
def engine_ulimits(host: str) -> tuple[Ulimit, ...]:
    """The ulimits to send a Podman engine at `host`: empty for a remote engine or one whose
    process this machine cannot read (then Podman's own defaults apply, as before)."""
    if not host.startswith("unix://"):
        return ()
    pid = peer_pid(host[len("unix://") :])
    if pid is None:
        return ()
    try:
        limits = Path(f"/proc/{pid}/limits").read_text()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:  # another pid namespace, or gone
        return ()
    return ulimits_for(limits, status)


# --- networks ---
NETWORK_TRIES = 3


def create_network_retried(create: Callable[[], None]) -> None:
    """Podman picks a free subnet by reading every host interface's routes; one that goes away
    meanwhile (another engine's bridge) fails the create, and nothing was made: try again."""
    for attempt in range(NETWORK_TRIES):
        try:
            return create()
        except EngineRefused as err:
            if "no such network interface" not in err.explanation or attempt + 1 == NETWORK_TRIES:
                raise


# --- health ---
def health_check_path(container_id: str) -> str:
    """libpod's route that runs a container's health check once, now (not in docker-py)."""
    from urllib.parse import quote

    return f"/libpod/containers/{quote(container_id, safe='')}/healthcheck"


def health_check_answer(status_code: int, body: bytes) -> Optional[str]:
    """The health that route reports, or None when the engine will not run the check (no such
    route or container, no health check, not running)."""
    if status_code >= 400:
        return None
    try:
        found = json.loads(body).get("Status")
    except (ValueError, AttributeError):
        return None
    return str(found) if found else None


def health_test(test: Sequence[str]) -> list[str]:
    """The health test as Podman must receive it: a CMD whose arguments hold whitespace becomes
    the equivalent CMD-SHELL line; every other test is sent as it is."""
    if not test or test[0] != "CMD" or not any(any(ch.isspace() for ch in arg) for arg in test[1:]):
        return list(test)
    import shlex  # only when a container is created, never on a no-op `up`

    return ["CMD-SHELL", shlex.join(test[1:])]


def healthcheck(health: Optional[Mapping[str, Any]]) -> Optional[dict[str, Any]]:  # the engine's JSON
    if not health:
        return None
    return {**health, "test": health_test(health["test"])}


def as_listed(found: list[ContainerInfo], engine: EngineReads) -> list[ContainerInfo]:
    """A container list as devenv reads it from either client: on Podman, with health."""
    if not found or not engine.is_podman():
        return found

    def inspect_or_none(container_id: str) -> Optional[ContainerDetails]:
        try:
            return engine.inspect_container(container_id)
        except EngineNotFound:  # removed since the list was made
            return None

    return with_health(found, inspect_or_none)


def with_health(
    infos: Sequence[ContainerInfo], inspect: Callable[[str], Optional[ContainerDetails]]
) -> list[ContainerInfo]:
    """The list with each running container's health filled in from `inspect` (None: gone)."""
    out = []
    for info in infos:
        if info.running and info.health is None:
            details = inspect(info.id)
            if details is not None and details.state.health:
                info = info._replace(health=details.state.health)
        out.append(info)
    return out
