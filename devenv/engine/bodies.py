"""What devenv sends the engine to create a container: one builder, used by both clients, so the
lite client and docker-py can never create different containers from the same spec.

The body is the one docker-py's `create_container(...)` builds for the same arguments (a unit
test holds them equal), spelled out with the standard library.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from devenv.engine import podman
from devenv.engine.errors import EngineRefused
from devenv.engine.records import JSON, ContainerSpec, PortBindings
from devenv.errors import ExitCode

TMP_ON_READ_ONLY_ROOT = "rw,exec,mode=1777"

_HEALTH_KEYS = {"test": "Test", "interval": "Interval", "timeout": "Timeout", "retries": "Retries",
                "start_period": "StartPeriod"}  # fmt: skip


def container_body(
    spec: ContainerSpec,
    *,
    network: str,
    port_bindings: PortBindings,
    for_podman: bool = False,
    ulimits: Sequence[podman.Ulimit] = (),
) -> JSON:
    """`for_podman`: the health test as Podman must receive it; `ulimits`: what the engine may
    grant (`podman.engine_ulimits`; empty: the engine's defaults)."""
    host: dict[str, Any] = {
        "Mounts": [
            {"Target": m.target, "Source": m.source or None, "Type": m.kind, "ReadOnly": m.read_only}
            for m in spec.mounts
        ],
        "NetworkMode": "default",
    }
    if port_bindings:
        host["PortBindings"] = {
            key: [{"HostIp": ip, "HostPort": str(port) if port else ""} for ip, port in binds]
            for key, binds in port_bindings.items()
        }
    if spec.read_only:
        host["ReadonlyRootfs"] = True
        host["Tmpfs"] = {"/tmp": TMP_ON_READ_ONLY_ROOT}
    if spec.privileged:
        host["Privileged"] = True
    if spec.init:
        host["Init"] = True
    if ulimits:
        host["Ulimits"] = [{"Name": u.name, "Soft": u.soft, "Hard": u.hard} for u in ulimits]
    health = (podman.healthcheck(spec.health) if for_podman else spec.health) or None
    return {
        "Hostname": spec.service,
        "Domainname": None,
        "ExposedPorts": {f"{p.container}/{p.protocol}": {} for p in spec.ports} or None,
        "User": spec.user or "",
        "Tty": False,
        "OpenStdin": False,
        "StdinOnce": False,
        "AttachStdin": False,
        "AttachStdout": False,
        "AttachStderr": False,
        "Env": [f"{k}={v}" for k, v in spec.environment],
        "Cmd": list(spec.command) if spec.command is not None else None,
        "Image": spec.image,
        "Volumes": None,
        "NetworkDisabled": False,
        # [""] is the engine's "no entrypoint" (an empty list would mean the image's).
        "Entrypoint": (list(spec.entrypoint) or [""]) if spec.entrypoint is not None else None,
        "WorkingDir": spec.workdir,
        "Labels": dict(spec.labels),
        "StopSignal": spec.stop_signal,
        "Healthcheck": {_HEALTH_KEYS[k]: v for k, v in health.items()} if health else None,
        "StopTimeout": max(0, round(spec.stop_timeout_s)),
        "HostConfig": host,
        "NetworkingConfig": {"EndpointsConfig": {network: {"Aliases": [spec.service]}}},
        "MacAddress": None,
        "Runtime": None,
    }


def check_bind_sources(spec: ContainerSpec, host: str) -> None:
    """Docker refuses a bind mount whose source is missing; Podman creates it (an empty folder,
    as root, where a file or socket was meant). On a local engine both refuse, before create."""
    if not host.startswith("unix://"):
        return  # a remote engine's paths are on its machine
    for mount in spec.mounts:
        if mount.kind == "bind" and not os.path.exists(mount.source):
            raise EngineRefused(
                f"creating the container: bind mount source {mount.source} (for {mount.target}) does not exist",
                "create it or fix `code`/`data`/`docker_socket` in devenv.toml; devenv never creates host paths",
                ExitCode.USER_ERROR,
            )
