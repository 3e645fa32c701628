"""The stack as a compose file that `docker-compose config` (1.29) accepts.

Images are the locked digests, ports keep their declared host address (127.0.0.1 by default),
the code mount is a bind of the project folder, and secret env values are `${KEY}` references
filled from the shell (or a .env beside the file) when compose runs — never written here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional

from devenv.config.model import BASE_IMAGE_ARG as BASE_ARG
from devenv.config.model import DOCKER_SOCKET, DataMount, Health, PortSpec, Project, Service
from devenv.errors import ConfigError
from devenv.export.common import (
    EnvLike,
    Envs,
    dump_yaml,
    duration,
    pinned_image,
    secret_parts,
    service_env,
)

HOST_USER = "${DEVENV_UID:-1000}:${DEVENV_GID:-1000}"  # compose has no "the caller's uid"


def export_compose(
    project: Project,
    *,
    images: Mapping[str, str],
    envs: Envs,
    base_dir: Optional[Path] = None,
    profile: Optional[str] = None,
    bases: Optional[Mapping[str, str]] = None,
) -> str:
    """Compose YAML for `project`. `base_dir` is where the file will live (default: the project root);
    bind sources are written relative to it. `bases`: the pinned `build.from` image of each service
    that builds (passed as the BASE_IMAGE build arg, as devenv builds it)."""
    base = (base_dir or project.root).resolve()
    services: dict[str, Any] = {}
    secrets: list[str] = []
    for svc in project.services:
        services[svc.name] = _service(project, svc, images, envs, base, secrets, bases or {})
    doc: dict[str, Any] = {"services": services}
    volumes = volume_decls(project)
    if volumes:
        doc["volumes"] = volumes
    header = [
        f"Exported by `devenv export compose` from devenv.toml (project {project.name}"
        + (f", profile {profile}" if profile else "")
        + "). Regenerate it; do not edit.",
        "Images are pinned to the digests in devenv.lock.",
    ]
    if secrets:
        header += [
            "Secret values are not in this file: set these in the shell or in a .env beside it first:",
            "  " + ", ".join(sorted(set(secrets))),
        ]
    if any(s.user == "host" for s in project.services):
        header.append(
            'user = "host" is ${DEVENV_UID}:${DEVENV_GID}: export DEVENV_UID=$(id -u) DEVENV_GID=$(id -g)'
        )
    return dump_yaml(doc, header)


def _service(
    project: Project,
    svc: Service,
    images: Mapping[str, str],
    envs: Envs,
    base: Path,
    secrets: list[str],
    bases: Mapping[str, str],
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    image = None if svc.build is not None else pinned_image(project, svc, images)
    if image:
        out["image"] = image
    elif svc.build is not None:
        build: dict[str, Any] = {"context": escaped(bind_source(svc.build.context, base))}
        if svc.build.dockerfile != "Dockerfile":
            build["dockerfile"] = escaped(svc.build.dockerfile)
        args = {k: escaped(v) for k, v in svc.build.args}
        if svc.build.base is not None:
            args[BASE_ARG] = _base_image(svc, bases)
        if args:
            build["args"] = args
        if svc.build.target:
            build["target"] = escaped(svc.build.target)
        out["build"] = build
    # compose interpolates every string of the file: a literal `$` must be written `$$`
    # (`$(cat …)` would not parse, `echo $HOME` would silently become the host's home).
    if svc.entrypoint is not None:  # [] clears the image's, as here
        out["entrypoint"] = [escaped(a) for a in svc.entrypoint]
    if svc.command:
        out["command"] = [escaped(a) for a in svc.command]
    if svc.workdir:
        out["working_dir"] = escaped(svc.workdir)
    if svc.ports:
        out["ports"] = [_port(p) for p in svc.ports]
    mounts = []
    if svc.code:
        # An included service mounts its own project's folder, as `up` does.
        root = project.included(svc.include).project.root if svc.include else project.root
        mounts.append(escaped(f"{bind_source(svc.code_folder(root), base)}:{svc.code}"))
    for data in svc.data:
        mounts.append(
            escaped(f"{data_source(project, data, base)}:{data.target}") + (":ro" if data.read_only else "")
        )
    for vol in svc.volumes:
        mounts.append(escaped(f"{vol.name}:{vol.target}") + (":ro" if vol.read_only else ""))
    if svc.docker_socket:
        mounts.append(f"{DOCKER_SOCKET}:{DOCKER_SOCKET}")
    if mounts:
        out["volumes"] = mounts
    env = service_env(svc, envs)
    if env:
        out["environment"] = {key: _env_value(key, item, secrets) for key, item in env.items()}
    if svc.health:
        out["healthcheck"] = healthcheck(svc.health)
    if svc.depends_on:
        out["depends_on"] = {
            dep: {"condition": "service_healthy" if project.service(dep).health else "service_started"}
            for dep in svc.depends_on
        }
    if svc.user:
        out["user"] = HOST_USER if svc.user == "host" else escaped(svc.user)
    if svc.read_only:
        out["read_only"] = True
        out["tmpfs"] = ["/tmp"]  # as devenv runs it: a writable /tmp on a read-only root
    if svc.privileged:
        out["privileged"] = True
    out["stop_grace_period"] = duration(svc.stop_timeout_s)
    if svc.stop_signal:
        out["stop_signal"] = svc.stop_signal
    return out


def _base_image(svc: Service, bases: Mapping[str, str]) -> str:
    pinned = bases.get(svc.name)
    if pinned is None:
        raise ConfigError(
            f"devenv.lock has no digest for the base image of service {svc.name} ({svc.build and svc.build.base})",
            "run `devenv lock` so the export pins every image to its digest",
        )
    return pinned


def healthcheck(health: Health) -> dict[str, Any]:
    return {
        "test": ["CMD", *(escaped(a) for a in health.cmd)],
        "interval": duration(health.interval_s),
        "timeout": duration(health.timeout_s),
        "retries": health.retries,
        "start_period": duration(health.start_period_s),
    }


def escaped(text: str) -> str:
    """A literal for compose: it interpolates `$`, and `$$` is a literal dollar."""
    return text.replace("$", "$$")


def _env_value(key: str, item: EnvLike, secrets: list[str]) -> str:
    """A secret becomes a `${KEY}` reference filled when compose runs; a value built from secrets
    (`postgres://$(DB_USER):$(DB_PASSWORD)@db/shop`) refers to those parts and keeps the rest."""
    if not item.secret:
        return escaped(item.value)
    parts = secret_parts(key, item)
    if parts is None:
        secrets.append(key)
        return "${" + key + "}"
    out: list[str] = []
    for piece in parts:
        if piece.secret and piece.ref is not None:
            secrets.append(piece.ref)
            out.append("${" + piece.ref + "}")
        else:
            out.append(escaped(piece.text))
    return "".join(out)


def _port(port: PortSpec) -> str:
    host_ip = f"[{port.host_ip}]" if ":" in port.host_ip else port.host_ip
    host = str(port.host) if port.host else ""
    text = f"{host_ip}:{host}:{port.container}"
    return text + ("/udp" if port.protocol == "udp" else "")


def bind_source(path: Path, base: Path) -> str:
    """Relative to the compose file when under it or its project (portable), else absolute."""
    path = Path(path).resolve()
    rel = os.path.relpath(path, base).replace(os.sep, "/")
    if rel.startswith("../../") or os.path.isabs(rel):
        return str(path)
    return rel if rel.startswith(".") else f"./{rel}"


def data_source(project: Project, data: DataMount, base: Path) -> str:
    """A data mount's bind source: written under `~` and outside the project, `~/...` as written
    (compose expands `~` to the home of whoever runs it, not the exporter's); else `bind_source`."""
    root = project.root.resolve()
    if data.home is not None and root != data.source and root not in data.source.parents:
        return data.home
    return bind_source(data.source, base)


def volume_decls(project: Project) -> dict[str, Any]:
    names: list[str] = []
    for svc in project.services:
        names.extend(v.name for v in svc.volumes if v.name not in names)
    decls = {v.name: v for v in project.volumes}
    out: dict[str, Any] = {}
    for name in names + [n for n in decls if n not in names]:
        decl = decls.get(name)
        spec: dict[str, Any] = {}
        if decl is not None:
            if decl.external:
                spec["external"] = True
            else:
                if decl.driver != "local" or decl.options:
                    spec["driver"] = decl.driver
                if decl.options:
                    spec["driver_opts"] = {k: escaped(v) for k, v in decl.options}
        out[name] = spec
    return out
