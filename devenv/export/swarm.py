"""The stack as a Swarm stack file (`docker stack deploy -c docker-stack.yml NAME`).

Not the compose export with another name: Swarm takes only what a cluster can carry.
- Every image by digest, and a service with `code` (or its own build) runs its *release image*,
  the service image with the committed code in it: a cluster cannot mount a laptop's folder.
- Secrets are external Swarm secrets (`<project>_<KEY>`), mounted as files and turned back into
  the env vars the app reads by a short `sh` prologue (`secret_env.py`); never values.
- Ports are long-form `mode: host`: published on the node that runs the task. (The routing mesh,
  `mode: ingress`, is the other choice; Swarm has no host address, so a port is on every interface.)
- `depends_on` is kept as a list, which Swarm ignores: services start together and restart
  (the default restart policy) until what they need answers; health checks gate the task state.
- `deploy.endpoint_mode: dnsrr`: a service's name resolves to its tasks, not to a virtual IP
  behind IPVS (which, like the routing mesh, is missing on many hosts).
Everything left out is named in the header, with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, Optional

from devenv.config.model import DOCKER_SOCKET, PortSpec, Project, Service
from devenv.errors import ConfigError
from devenv.export.common import Envs, dump_yaml, duration, service_env
from devenv.export.compose import data_source, escaped, healthcheck, volume_decls
from devenv.export.secret_env import PROLOGUE_NAME, SECRETS_DIR, prologue, secret_env

STACK_FILE = "docker-stack.yml"
STACK_VERSION = "3.8"  # long ports with mode (3.2), tmpfs volumes (3.6), healthcheck start_period (3.4)


class ImageArgv(NamedTuple):
    """An image's own ENTRYPOINT and CMD (from its config in the registry)."""

    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()


def needs_image_argv(project: Project, envs: Envs) -> list[str]:
    """Services whose real command the secret prologue must exec but devenv.toml does not fully
    give (no `entrypoint`): their image's config is needed."""
    out = []
    for svc in project.services:
        env = service_env(svc, envs)
        if any(v.secret for v in env.values()) and not svc.entrypoint:
            out.append(svc.name)
    return out


def secret_name(project: Project, key: str) -> str:
    return f"{project.name}_{key}"


def export_swarm(
    project: Project,
    *,
    images: Mapping[str, str],
    envs: Envs,
    image_argv: Optional[Mapping[str, ImageArgv]] = None,
    base_dir: Optional[Path] = None,
    profile: Optional[str] = None,
) -> str:
    """Stack-file YAML for `project`. `images`: service -> pinned reference (release images for
    the services with `code` or a `build`: images/release.py); `image_argv`: for the services `needs_image_argv` names."""
    base = (base_dir or project.root).resolve()
    argv = image_argv or {}
    services: dict[str, Any] = {}
    secrets: list[str] = []
    notes: list[str] = []
    for svc in project.services:
        services[svc.name] = _service(project, svc, images, envs, argv, base, secrets, notes)
    doc: dict[str, Any] = {"version": STACK_VERSION, "services": services}
    volumes = volume_decls(project)
    if volumes:
        doc["volumes"] = volumes
    if secrets:
        doc["secrets"] = {name: {"external": True} for name in secrets}
    return dump_yaml(doc, _header(project, profile, secrets, notes))


def _header(
    project: Project, profile: Optional[str], secrets: Sequence[str], notes: Sequence[str]
) -> list[str]:
    lines = [
        f"Exported by `devenv export compose --for swarm` from devenv.toml (project {project.name}"
        + (f", profile {profile}" if profile else "")
        + "). Regenerate it; do not edit.",
        "Images are pinned by digest: devenv.lock, and release images (the committed code inside) "
        "for services with code.",
        "Deploy from a Swarm manager:",
    ]
    if secrets:
        lines += [
            "  # each secret once, from your secret store (values never appear in this file):",
            *(f'  printf %s "$VALUE" | docker secret create {name} -' for name in secrets),
        ]
    lines.append(f"  docker stack deploy -c {STACK_FILE} {project.name}")
    if notes:
        lines += ["Not carried to Swarm:", *(f"  - {note}" for note in notes)]
    return lines


def _service(
    project: Project,
    svc: Service,
    images: Mapping[str, str],
    envs: Envs,
    argv: Mapping[str, ImageArgv],
    base: Path,
    secrets: list[str],
    notes: list[str],
) -> dict[str, Any]:
    image = images.get(svc.name)
    if not image:
        raise ConfigError(
            f"service {svc.name}: no pinned image to deploy"
            + (" (it runs its code from a mount)" if svc.code or svc.build else ""),
            "run `devenv lock`, and `devenv export compose --for swarm --push` for release images",
        )
    out: dict[str, Any] = {"image": image}
    env = service_env(svc, envs)
    wrapped = secret_env(svc.name, env)
    if wrapped.keys:
        out["entrypoint"] = ["/bin/sh", "-c", escaped(prologue(wrapped)), PROLOGUE_NAME]
        out["command"] = [escaped(a) for a in _real_argv(svc, argv)]
        out["secrets"] = []
        for key in wrapped.keys:
            name = secret_name(project, key)
            if name not in secrets:
                secrets.append(name)
            out["secrets"].append({"source": name, "target": key})
    else:
        if svc.entrypoint:
            out["entrypoint"] = [escaped(a) for a in svc.entrypoint]
        if svc.command:
            out["command"] = [escaped(a) for a in svc.command]
    if svc.workdir:
        out["working_dir"] = escaped(svc.workdir)
    if svc.ports:
        out["ports"] = [_port(p) for p in svc.ports]
        if any(p.host_ip not in ("0.0.0.0", "::") for p in svc.ports):
            notes.append(
                f"{svc.name}: the ports' host address (127.0.0.1 by default) — Swarm publishes on every "
                "interface of the node: firewall it, or drop `ports` and reach the service through a proxy"
            )
    mounts: list[Any] = []
    if svc.code:
        notes.append(
            f"{svc.name}: the code mount at {svc.code} — the release image holds the committed code there"
        )
    for data in svc.data:
        source = data_source(project, data, base)
        mounts.append(escaped(f"{source}:{data.target}") + (":ro" if data.read_only else ""))
        where = " (`~`: the home of whoever runs `docker stack deploy`)" if source.startswith("~") else ""
        notes.append(
            f"{svc.name}: data {data.target} stays a bind of this machine's folder — every node that may run "
            f"the task needs it at that path{where} (or use a volume)"
        )
    for vol in svc.volumes:
        mounts.append(escaped(f"{vol.name}:{vol.target}") + (":ro" if vol.read_only else ""))
    if svc.docker_socket:
        mounts.append(f"{DOCKER_SOCKET}:{DOCKER_SOCKET}")
    if svc.read_only:
        out["read_only"] = True
        mounts.append({"type": "tmpfs", "target": "/tmp"})
    if mounts:
        out["volumes"] = mounts
    plain = {k: escaped(v.value) for k, v in env.items() if not v.secret}
    if plain:
        out["environment"] = plain
    if svc.health:
        out["healthcheck"] = healthcheck(svc.health)
    if svc.depends_on:
        out["depends_on"] = list(svc.depends_on)
        notes.append(
            f"{svc.name}: start order ({', '.join(svc.depends_on)} first) — Swarm starts every service at "
            "once and restarts a task that exits until what it needs answers"
        )
    if svc.user == "host":
        notes.append(f'{svc.name}: user = "host" (your uid:gid) — the image\'s user runs it')
    elif svc.user:
        out["user"] = escaped(svc.user)
    if svc.privileged:
        notes.append(f"{svc.name}: privileged = true — Swarm services cannot be privileged")
    out["stop_grace_period"] = duration(svc.stop_timeout_s)
    if svc.stop_signal:
        out["stop_signal"] = svc.stop_signal
    # Services find each other by their tasks' addresses (DNS round robin), not through a
    # virtual IP: no IPVS in the path, which hosts without it (many CI runners, this one) lack,
    # and what host-mode ports go with. One replica, as devenv runs it.
    out["deploy"] = {"replicas": 1, "endpoint_mode": "dnsrr"}
    return out


def _real_argv(svc: Service, argv: Mapping[str, ImageArgv]) -> tuple[str, ...]:
    """What the container would run without the prologue (docker's rule: an `entrypoint` set in
    the service drops the image's CMD)."""
    if svc.entrypoint:
        return svc.entrypoint + (svc.command or ())
    image = argv.get(svc.name)
    if image is None:
        raise ConfigError(
            f"service {svc.name}: its image's ENTRYPOINT/CMD is unknown, and the secret prologue must run it",
            "give the service `entrypoint` (and `command`) in devenv.toml, or let the export read the image",
        )
    full = image.entrypoint + (svc.command if svc.command is not None else image.cmd)
    if not full:
        raise ConfigError(
            f"service {svc.name}: neither devenv.toml nor its image says what to run",
            "give the service a `command`",
        )
    return full


def _port(port: PortSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"target": port.container}
    if port.host:
        out["published"] = port.host
    out["protocol"] = port.protocol
    out["mode"] = "host"
    return out


__all__ = ["SECRETS_DIR", "STACK_FILE", "ImageArgv", "export_swarm", "needs_image_argv"]
