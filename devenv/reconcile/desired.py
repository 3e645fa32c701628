"""Desired state: the container of each service (everything the engine needs to create it),
the instance's network and its named volumes, computed purely from the model, the resolved
image and the resolved env.

The config hash covers exactly what a container is created from (not host ports, which are
allocated at create time), so `up` recreates a service only when its definition changed. Its
parts, digested one by one, go on the container beside it: they say which part changed.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any, Callable, NamedTuple, Optional

from devenv.config.model import DOCKER_SOCKET, Project, Service
from devenv.config.watch_actions import runs_supervised
from devenv.engine import labels as L
from devenv.engine.host import engine_socket
from devenv.engine.records import ContainerSpec, Mount
from devenv.reconcile.parts import format_parts
from devenv.stack import names


class ResolvedService(NamedTuple):
    """What `up` learned about a service before planning: its image and its env. A NamedTuple,
    not a dataclass (cheaper to create at import); never part of the config hash's document."""

    image: str
    image_label: str
    image_digest: str
    environment: Mapping[str, str]
    env_hash: str  # public hash (no secret values): shown in status
    env_full_hash: str  # includes secret values: decides recreation
    image_id: str = ""  # the engine's content id: what the config hash compares (run refs vary)


def host_user(user: Optional[str]) -> Optional[str]:
    if user == "host":
        return f"{os.getuid()}:{os.getgid()}" if hasattr(os, "getuid") else None
    return user


def container_spec(
    project: Project,
    service: Service,
    instance: str,
    resolved: ResolvedService,
    *,
    shim_dir: Optional[str],
    wrap: Optional[Callable[[tuple[str, ...], bool], list[str]]] = None,
    extra_labels: Optional[Mapping[str, str]] = None,
) -> ContainerSpec:
    """`shim_dir`/`wrap`: the supervisor's host folder and command wrapper (None = not supervised)."""
    mounts: list[Mount] = []
    stack = project.included(service.include) if service.include else None
    if service.code:
        # An included service mounts its own project; a pinned git commit is shared, never edited.
        root = stack.project.root if stack else project.root
        mounts.append(
            Mount("bind", str(service.code_folder(root)), service.code, read_only=bool(stack and stack.source == "git"))
        )
    for data in service.data:
        mounts.append(Mount("bind", str(data.source), data.target, data.read_only))
    declared = {v.name: v for v in project.volumes}
    for volume in service.volumes:
        decl = declared.get(volume.name)
        engine_name = (
            volume.name if decl and decl.external else names.volume_name(project.name, instance, volume.name)
        )
        mounts.append(Mount("volume", engine_name, volume.target, volume.read_only))
    if service.docker_socket:
        # The socket devenv itself talks to (DOCKER_HOST, a context, Podman's): the service
        # reaches the same engine. A remote engine's own default socket is on its machine.
        mounts.append(Mount("bind", engine_socket() or DOCKER_SOCKET, DOCKER_SOCKET))
    command = service.command
    supervised = False
    if runs_supervised(command, service.restart) and command and shim_dir and wrap is not None:
        supervised = True
        mounts.append(Mount("bind", str(shim_dir), "/.devenv", read_only=True))
        command = tuple(wrap(command, service.watch is not None and service.watch.preload))
    health = None
    if service.health:
        h = service.health
        test = ["CMD-SHELL", h.cmd[2]] if h.cmd[:2] == ("/bin/sh", "-c") else ["CMD", *h.cmd]
        health = {
            "test": test,
            "interval": int(h.interval_s * 1e9),
            "timeout": int(h.timeout_s * 1e9),
            "retries": h.retries,
            "start_period": int(h.start_period_s * 1e9),
        }
    security = [
        s for s, on in (("privileged", service.privileged), ("docker-socket", service.docker_socket)) if on
    ]
    labels = {
        **L.base_labels(project.name, instance),
        L.SERVICE: service.name,
        L.PROJECT_DIR: str(project.root),
        L.IMAGE_REF: resolved.image_label,
        L.IMAGE_DIGEST: resolved.image_digest,
        L.ENV_HASH: resolved.env_hash,
        **({L.SECURITY: ",".join(security)} if security else {}),
        **({L.INCLUDE: stack.name, L.INCLUDE_SOURCE: stack.source} if stack else {}),
        **(extra_labels or {}),
    }
    spec = ContainerSpec(
        service=service.name,
        name=names.container_name(project.name, instance, service.name),
        image=resolved.image,
        image_id=resolved.image_id or resolved.image,
        image_label=resolved.image_label,
        image_digest=resolved.image_digest,
        command=command,
        entrypoint=service.entrypoint,
        environment=tuple(sorted(resolved.environment.items())),
        env_hash=resolved.env_hash,
        workdir=service.workdir,
        user=host_user(service.user),
        mounts=tuple(mounts),
        ports=service.ports,
        health=health,
        read_only=service.read_only,
        privileged=service.privileged,
        stop_timeout_s=service.stop_timeout_s,
        stop_signal=service.stop_signal,
        init=not supervised,
        labels=labels,
        depends_on=service.depends_on,
    )
    whole, parts = _digests(_hash_document(spec, resolved.env_full_hash))
    return spec._replace(
        labels={
            **spec.labels,
            L.CONFIG_HASH: whole[:16],
            L.CONFIG_PARTS: format_parts({k: v[:8] for k, v in parts.items() if k != "v"}),
            L.ENV_KEYS: ",".join(sorted(resolved.environment)),
        }
    )


# What json.dumps(doc, sort_keys=True, default=str) builds on every call, built once: a no-op
# `up` of 50 services dumps some 1,500 parts.
_dumped = json.JSONEncoder(sort_keys=True, default=str).encode


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _digests(doc: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The digest of the whole document and of each of its parts, each part dumped once: the
    whole's JSON is its parts' JSON joined as `json.dumps(sort_keys=True)` joins them."""
    dumped = {key: _dumped(doc[key]) for key in sorted(doc)}
    whole = "{" + ", ".join(f"{json.dumps(key)}: {text}" for key, text in dumped.items()) + "}"
    return _sha256(whole), {key: _sha256(text) for key, text in dumped.items()}


def _hash_document(spec: ContainerSpec, env_full_hash: str) -> dict[str, Any]:
    stable_labels = L.without_owner(dict(spec.labels))
    doc: dict[str, Any] = {
        "v": 1,
        "image": spec.image_id,  # repo@digest and the bare id name the same image
        "command": spec.command,
        "entrypoint": spec.entrypoint,
        "env": env_full_hash,
        "workdir": spec.workdir,
        "user": spec.user,
        "mounts": [m._asdict() for m in spec.mounts],
        "ports": [p._asdict() for p in spec.ports],
        "health": spec.health,
        "read_only": spec.read_only,
        "privileged": spec.privileged,
        "stop_timeout": spec.stop_timeout_s,
        "init": spec.init,
        "labels": stable_labels,
    }
    if spec.stop_signal:  # only when set: hashes of services without one stay as they were
        doc["stop_signal"] = spec.stop_signal
    return doc


class DesiredVolume(NamedTuple):
    name: str  # the engine's name
    logical: str  # the name in devenv.toml
    driver: str
    options: Optional[Mapping[str, str]]
    external: bool


class Desired(NamedTuple):
    """What the file asks for, resolved: the containers, the network, the volumes they mount."""

    specs: tuple[ContainerSpec, ...]
    network: str
    volumes: tuple[DesiredVolume, ...]


def desired_state(
    project: Project,
    services: Sequence[Service],
    instance: str,
    resolved: Mapping[str, ResolvedService],
    *,
    profile: Optional[str] = None,
    extra_labels: Optional[Mapping[str, str]] = None,
) -> Desired:
    shim_dir, wrap = None, None
    if any(runs_supervised(s.command, s.restart) for s in services):
        # Only for stacks that use the shim.
        from devenv.watch.supervisor import shim_host_dir, wrap_command

        shim_dir, wrap = str(shim_host_dir()), wrap_command
    extra = {**(extra_labels or {}), **({L.PROFILE: profile} if profile else {})}
    # `up --target staging`: on the services that mirror the target's env (in their config hash,
    # shown by status); a service with an env of its own, or an included stack's, is not recreated
    # for it — what it takes from the layered env is in its env hash either way.
    target = {L.TARGET: project.env.target} if project.env.target != "prod" else {}
    specs = tuple(
        container_spec(
            project,
            s,
            instance,
            resolved[s.name],
            shim_dir=shim_dir,
            wrap=wrap,
            extra_labels={**extra, **target} if s.env == "prod" and s.include is None else extra,
        )
        for s in services
    )
    return Desired(specs, names.network_name(project.name, instance), _volumes(project, instance, services))


def _volumes(project: Project, instance: str, services: Sequence[Service]) -> tuple[DesiredVolume, ...]:
    declared = {v.name: v for v in project.volumes}
    out: dict[str, DesiredVolume] = {}
    for service in services:
        for volume in service.volumes:
            decl = declared.get(volume.name)
            external = bool(decl and decl.external)
            name = volume.name if external else names.volume_name(project.name, instance, volume.name)
            out.setdefault(
                name,
                DesiredVolume(
                    name,
                    volume.name,
                    decl.driver if decl else "local",
                    dict(decl.options) if decl and decl.options else None,
                    external,
                ),
            )
    return tuple(out.values())
