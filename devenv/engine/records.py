"""What the engine port takes and returns: small typed records, read from the engine's JSON in
this one module so both clients (docker-py and the lite one) answer alike.

NamedTuples, not dataclasses: every devenv process creates these classes, and a NamedTuple
class costs a fraction of a dataclass's to create (a no-op `devenv up` notices). Annotations are
evaluated, not postponed: NamedTuple compiles each string one into a ForwardRef (see config/model.py).
"""

import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Literal, NamedTuple, Optional

from devenv.config.model import PortSpec
from devenv.engine import labels as L

JSON = dict[str, Any]  # an engine API answer: JSON has no type of its own (read only in this module)


MountKind = Literal["bind", "volume", "tmpfs"]


class Mount(NamedTuple):
    kind: MountKind
    source: str  # host path or engine volume name ("" for tmpfs)
    target: str
    read_only: bool = False


class ContainerSpec(NamedTuple):
    """Everything the engine needs to create one service's container (built by `reconcile.desired`)."""

    service: str
    name: str
    image: str  # what to run: an image id or repo@digest
    image_id: str  # the engine's id of that image (sha256:...), which the config hash covers
    image_label: str  # what the file asked for, resolved (registry/repo:tag)
    image_digest: str  # repo digest or image id, shown in status
    command: Optional[tuple[str, ...]]
    entrypoint: Optional[tuple[str, ...]]
    environment: tuple[tuple[str, str], ...]
    env_hash: str
    workdir: Optional[str]
    user: Optional[str]
    mounts: tuple[Mount, ...]
    ports: tuple[PortSpec, ...]
    health: Optional[Mapping[str, Any]]  # the engine's Healthcheck document (durations in ns)
    read_only: bool
    privileged: bool
    stop_timeout_s: float
    stop_signal: Optional[str] = None  # None: the image's STOPSIGNAL
    init: bool = True  # docker's tiny init as PID 1 (signals, zombies) unless the supervisor is PID 1
    labels: Mapping[str, str] = MappingProxyType({})
    depends_on: tuple[str, ...] = ()

    @property
    def config_hash(self) -> str:
        return self.labels[L.CONFIG_HASH]


PortBindings = dict[str, list[tuple[str, Optional[int]]]]  # "8000/tcp" -> [(host ip, host port or None)]


class ContainerInfo(NamedTuple):
    """A container as the list call shows it (no per-container inspect needed)."""

    id: str
    name: str
    service: str
    instance: str
    state: str  # running, exited, created, ...
    status: str  # "Up 3 seconds (healthy)"
    labels: dict[str, str]
    ports: tuple[tuple[str, int, int, str], ...]  # (host_ip, host_port, container_port, proto)
    health: Optional[str] = None  # starting | healthy | unhealthy | None (no health check)
    exit_code: Optional[int] = None  # of an exited container, from the list's status text

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def config_hash(self) -> str:
        return self.labels.get(L.CONFIG_HASH, "")


class Probe(NamedTuple):
    exit_code: Optional[int]
    output: str


class ContainerState(NamedTuple):
    status: str  # created | running | exited | ...
    running: bool
    exit_code: Optional[int]
    error: str
    health: Optional[str]  # starting | healthy | unhealthy | None (no health check)
    last_probe: Optional[Probe]
    probes: tuple[Probe, ...] = ()  # the engine's recent health checks, oldest first (Docker keeps 5)


class ContainerDetails(NamedTuple):
    """A container as inspect shows it."""

    id: str
    name: str
    labels: dict[str, str]
    state: ContainerState
    args: tuple[str, ...]  # the process: Path + Args (an init and the supervisor included)
    stop_timeout: Optional[int]  # seconds; None = the engine's default
    env: tuple[str, ...] = ()  # "KEY=value", the image's and devenv's together (never printed)
    started_at: str = ""  # RFC 3339, the engine's; "" if never started
    restart_count: int = 0  # restarts by the engine's restart policy
    pid: int = 0  # the main process, as the engine's host sees it; 0 when not running

    @property
    def service(self) -> str:
        return self.labels.get(L.SERVICE) or self.name

    @property
    def env_map(self) -> dict[str, str]:
        """`env` as a mapping (a later KEY wins, as in the process)."""
        return dict(item.partition("=")[::2] for item in self.env)


class EngineEvent(NamedTuple):
    """One container event of the engine's stream (start, die, health_status: healthy, ...)."""

    action: str
    container: str  # the container's id
    service: str
    instance: str
    time: float  # seconds since the epoch


class ImageInfo(NamedTuple):
    id: str
    repo_digests: tuple[str, ...]
    labels: dict[str, str]


class NetworkInfo(NamedTuple):
    id: str
    name: str
    labels: dict[str, str]


class VolumeInfo(NamedTuple):
    name: str
    labels: dict[str, str]


class ExecResult(NamedTuple):
    exit_code: int
    output: bytes


class Message(NamedTuple):
    """One line of a pull, push or build stream."""

    status: str  # "Downloading", "Pull complete", ... ("" for build output)
    id: Optional[str]  # layer id (or tag/digest for whole-image events)
    current: Optional[int]
    total: Optional[int]
    stream: str  # build output text
    error: Optional[str]  # the engine's error text: the operation failed
    aux: JSON  # {"ID": ...} after a build, {"Digest": ...} after a push


# --- reading the engine's JSON ---
def _labels(raw: Optional[JSON]) -> dict[str, str]:
    return dict(raw or {})


def health_of_status(status: str) -> Optional[str]:
    """The health in a list's status text: Docker's "Up 3 seconds (healthy)"."""
    for word in ("unhealthy", "healthy", "health: starting"):
        if f"({word})" in status:
            return "starting" if word == "health: starting" else word
    return None


_EXITED = re.compile(r"^Exited \((-?\d+)\)")


def exit_code_of_status(status: str) -> Optional[int]:
    """The exit code in a list's status text: "Exited (1) 3 seconds ago" (Docker and Podman)."""
    found = _EXITED.match(status)
    return int(found.group(1)) if found else None


# The list calls: what the engine answered for a label filter, checked against that filter
# again. An engine should AND several label filters; Podman before 4.7 ORs them for volumes
# (containers/podman#19219), so `down --volumes` of one project would remove another's. What
# devenv lists is what it may remove: it never takes the engine's word for the filter.
def container_list(raw: list[JSON], selector: Sequence[str]) -> list[ContainerInfo]:
    return [container_info(c) for c in raw if L.carries(c.get("Labels"), selector)]


def network_list(raw: list[JSON], selector: Sequence[str]) -> list[NetworkInfo]:
    return [network_info(n) for n in raw if L.carries(n.get("Labels"), selector)]


def attached_names(raw: Optional[JSON]) -> list[str]:
    """A network inspect's containers, by name (Docker and Podman both key them by ID)."""
    found = (raw or {}).get("Containers") or {}
    return sorted(str(c.get("Name") or key) for key, c in found.items())


def volume_list(raw: Optional[JSON], selector: Sequence[str]) -> list[VolumeInfo]:
    found = (raw or {}).get("Volumes") or []
    return [volume_info(v) for v in found if L.carries(v.get("Labels"), selector)]


def image_list(raw: list[JSON], selector: Sequence[str]) -> list[ImageInfo]:
    return [image_info(i) for i in raw if L.carries(i.get("Labels"), selector)]


def container_info(raw: JSON) -> ContainerInfo:
    labels = _labels(raw.get("Labels"))
    ports = tuple(
        sorted(
            (p.get("IP", ""), int(p["PublicPort"]), int(p["PrivatePort"]), p.get("Type", "tcp"))
            for p in raw.get("Ports") or ()
            if p.get("PublicPort")
        )
    )
    status = raw.get("Status", "")
    return ContainerInfo(
        id=raw["Id"],
        name=(raw.get("Names") or ["/?"])[0].lstrip("/"),
        service=labels.get(L.SERVICE, "?"),
        instance=labels.get(L.INSTANCE, "?"),
        state=raw.get("State", "unknown"),
        status=status,
        labels=labels,
        ports=ports,
        health=health_of_status(status),
        exit_code=exit_code_of_status(status),
    )


def container_state(raw: JSON) -> ContainerState:
    health = raw.get("Health") or {}
    log = health.get("Log") or []
    probes = tuple(Probe(entry.get("ExitCode"), entry.get("Output") or "") for entry in log)
    return ContainerState(
        status=raw.get("Status", "unknown"),
        running=bool(raw.get("Running")),
        exit_code=raw.get("ExitCode"),
        error=raw.get("Error") or "",
        health=health.get("Status"),
        last_probe=probes[-1] if probes else None,
        probes=probes,
    )


def container_details(raw: JSON) -> ContainerDetails:
    config = raw.get("Config") or {}
    timeout = config.get("StopTimeout")
    return ContainerDetails(
        id=raw["Id"],
        name=(raw.get("Name") or "").lstrip("/"),
        labels=_labels(config.get("Labels")),
        state=container_state(raw.get("State") or {}),
        args=(raw.get("Path") or "", *(raw.get("Args") or ())),
        stop_timeout=int(timeout) if timeout is not None else None,
        env=tuple(config.get("Env") or ()),
        started_at=(raw.get("State") or {}).get("StartedAt") or "",
        restart_count=int(raw.get("RestartCount") or 0),
        pid=int((raw.get("State") or {}).get("Pid") or 0),
    )


def engine_event(raw: JSON) -> Optional[EngineEvent]:
    """A container event of `/events`, None for any other (network, image, ...)."""
    if raw.get("Type", "container") != "container":
        return None
    actor = raw.get("Actor") or {}
    labels = _labels(actor.get("Attributes"))
    nanos = raw.get("timeNano")
    return EngineEvent(
        action=str(raw.get("Action") or raw.get("status") or ""),
        container=str(actor.get("ID") or raw.get("id") or ""),
        service=labels.get(L.SERVICE, ""),
        instance=labels.get(L.INSTANCE, ""),
        time=nanos / 1e9 if isinstance(nanos, int) else float(raw.get("time") or 0),
    )


def image_info(raw: JSON) -> ImageInfo:
    config = raw.get("Config") or {}
    labels = config.get("Labels") if "Config" in raw else raw.get("Labels")
    return ImageInfo(raw["Id"], tuple(raw.get("RepoDigests") or ()), _labels(labels))


def network_info(raw: JSON) -> NetworkInfo:
    return NetworkInfo(raw["Id"], raw["Name"], _labels(raw.get("Labels")))


def volume_info(raw: JSON) -> VolumeInfo:
    return VolumeInfo(raw["Name"], _labels(raw.get("Labels")))


# A push's last status line: "TAG: digest: sha256:... size: N" (Docker adds an aux event with
# the digest; Podman sends only this line).
_PUSHED_DIGEST = re.compile(r"\bdigest: (sha256:[0-9a-f]{64})\b")


def message(raw: JSON) -> Message:
    detail = raw.get("progressDetail") or {}
    error = raw.get("error")
    aux = raw.get("aux")
    if not isinstance(aux, dict):
        pushed = _PUSHED_DIGEST.search(str(raw.get("status") or ""))
        aux = {"Digest": pushed.group(1)} if pushed else None
    return Message(
        status=raw.get("status") or "",
        id=raw.get("id"),
        current=detail.get("current"),
        total=detail.get("total"),
        stream=raw.get("stream") or "",
        error=str(error) if error is not None else None,
        aux=aux if isinstance(aux, dict) else {},
    )


def demultiplex(raw: bytes) -> bytes:
    """The payload of the engine's multiplexed stream (a container without a TTY): frames of an
    8-byte header — stream, 0, 0, 0, big-endian size — and that many bytes; stdout and stderr
    kept in the order they came. A cut-off last frame keeps what arrived."""
    out, at = [], 0
    while at + 8 <= len(raw):
        size = int.from_bytes(raw[at + 4 : at + 8], "big")
        out.append(raw[at + 8 : at + 8 + size])
        at += 8 + size
    return b"".join(out)
