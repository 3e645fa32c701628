"""What devenv sends the engine to create a container: one builder, used by both clients, so the
lite client and docker-py can never create different containers from the same spec.

The body is the one docker-py's `create_container(...)` builds for the same arguments (a unit
test holds them equal), spelled out with the standard library.
"""

from __future__ import annotations

from typing import Any

from devenv.engine.records import JSON, ContainerSpec, PortBindings

TMP_ON_READ_ONLY_ROOT = "rw,exec,mode=1777"

_HEALTH_KEYS = {"test": "Test", "interval": "Interval", "timeout": "Timeout", "retries": "Retries",
                "start_period": "StartPeriod"}  # fmt: skip


def container_body(spec: ContainerSpec, *, network: str, port_bindings: PortBindings) -> JSON:
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
        "Entrypoint": list(spec.entrypoint) if spec.entrypoint is not None else None,
        "WorkingDir": spec.workdir,
        "Labels": dict(spec.labels),
        "StopSignal": spec.stop_signal,
        "Healthcheck": {_HEALTH_KEYS[k]: v for k, v in spec.health.items()} if spec.health else None,
        "StopTimeout": max(0, round(spec.stop_timeout_s)),
        "HostConfig": host,
        "NetworkingConfig": {"EndpointsConfig": {network: {"Aliases": [spec.service]}}},
        "MacAddress": None,
        "Runtime": None,
    }
