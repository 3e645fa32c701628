"""Carrying out a plan on the engine: network, volumes, containers, in dependency waves.

Each step is one engine object created with its labels, so an interrupt at any point leaves
a state the next `up` converges from (a created-but-stopped container is simply started).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Optional

from devenv.config.model import Project
from devenv.engine.client import translated
from devenv.engine.health import died, health_timeout, wait_healthy
from devenv.errors import DevenvError, EngineError
from devenv.stack import names
from devenv.stack.plan import CREATE, KEEP, RECREATE, START, Action, Plan, PortAllocator
from devenv.stack.ports import port_is_free
from devenv.stack.spec import ContainerSpec

Progress = Callable[[str, str], None]  # (service, message)


@dataclass(frozen=True)
class Applied:
    service: str
    action: str
    container_id: str


def owner_labels(specs: Sequence[ContainerSpec]) -> dict[str, str]:
    """The owner labels of a `devenv test` instance, carried by its network and volumes too, so
    a run killed before its first container exists still leaves nothing cleanup cannot find."""
    return {k: v for s in specs[:1] for k, v in s.labels.items() if k in (names.OWNER_PID, names.OWNER_HOST)}


def ensure_network(
    client: Any, project: Project, instance: str, extra_labels: Optional[dict[str, str]] = None
) -> str:
    name = names.network_name(project.name, instance)
    with translated("creating the network"):
        existing = client.api.networks(
            names=[name], filters={"label": names.label_filters(project.name, instance)}
        )
        if not any(n["Name"] == name for n in existing):
            client.api.create_network(
                name,
                driver="bridge",
                labels={**names.base_labels(project.name, instance), **(extra_labels or {})},
                check_duplicate=True,
            )
    return name


def ensure_volumes(
    client: Any,
    project: Project,
    instance: str,
    specs: Sequence[ContainerSpec],
    extra_labels: Optional[dict[str, str]] = None,
) -> None:
    declared = {v.name: v for v in project.volumes}
    wanted = {m.source for s in specs for m in s.mounts if m.kind == "volume"}
    with translated("creating volumes"):
        existing = {v["Name"] for v in (client.api.volumes().get("Volumes") or [])}
        for volume in project.volumes:
            if volume.external and volume.name in wanted and volume.name not in existing:
                raise DevenvError(
                    f'external volume "{volume.name}" does not exist',
                    f"create it (`docker volume create {volume.name}`) or drop `external`",
                )
        for spec in specs:
            for mount in spec.mounts:
                if mount.kind != "volume" or mount.source in existing:
                    continue
                logical = mount.source[len(names.prefix(project.name, instance)) + 1 :]
                decl = declared.get(logical)
                if decl is not None and decl.external:
                    continue
                client.api.create_volume(
                    mount.source,
                    driver=decl.driver if decl else "local",
                    driver_opts=dict(decl.options) if decl and decl.options else None,
                    labels={
                        **names.base_labels(project.name, instance),
                        names.VOLUME_NAME: logical,
                        **(extra_labels or {}),
                    },
                )
                existing.add(mount.source)


def remove_container(
    client: Any, container_id: str, stop_timeout: Optional[float], service: str = ""
) -> None:
    """Stop (the container's own stop signal, then SIGKILL after the grace period) and remove.
    `stop_timeout` None: the grace period the container was created with."""
    with translated("removing a container", service=service or None):
        try:
            client.api.stop(
                container_id, timeout=None if stop_timeout is None else max(0, round(stop_timeout))
            )
        except Exception as err:  # already gone or stopped: removal below decides
            if "No such container" in str(err):
                return
        client.api.remove_container(container_id, v=False, force=True)


def create_container(client: Any, spec: ContainerSpec, network: str, allocator: PortAllocator) -> str:
    import docker.types

    bindings: dict[str, Any] = {}
    for port in spec.ports:
        host_port = allocator.allocate(port.host_ip, port.host, port.protocol, port.strict)
        if host_port is None:
            raise DevenvError(
                f"service {spec.service}: host port {port.host} is taken and the port is strict",
                f"free port {port.host} (see `devenv doctor`) or drop `strict` to take the next free one",
            )
        key = f"{port.container}/{port.protocol}"
        bindings.setdefault(key, []).append((port.host_ip, host_port or None))
    mounts = [
        docker.types.Mount(m.target, m.source or None, type=m.kind, read_only=m.read_only)
        for m in spec.mounts
    ]
    host_config = client.api.create_host_config(
        mounts=mounts,
        port_bindings=bindings or None,
        read_only=spec.read_only or None,
        tmpfs={"/tmp": "rw,exec,mode=1777"} if spec.read_only else None,
        privileged=spec.privileged,
        init=spec.init or None,
    )
    networking = client.api.create_networking_config(
        {network: client.api.create_endpoint_config(aliases=[spec.service])}
    )
    with translated("creating the container", service=spec.service):
        created = client.api.create_container(
            spec.image,
            command=list(spec.command) if spec.command is not None else None,
            entrypoint=list(spec.entrypoint) if spec.entrypoint is not None else None,
            name=spec.name,
            hostname=spec.service,
            environment=[f"{k}={v}" for k, v in spec.environment],
            labels=dict(spec.labels),
            working_dir=spec.workdir,
            user=spec.user or "",
            host_config=host_config,
            networking_config=networking,
            healthcheck=spec.health,
            stop_timeout=max(0, round(spec.stop_timeout_s)),
            stop_signal=spec.stop_signal,
            ports=[(p.container, p.protocol) for p in spec.ports] or None,
            detach=True,
        )
    return created["Id"]


def start_container(client: Any, container_id: str, service: str) -> None:
    with translated("starting the container", service=service):
        client.api.start(container_id)


def apply_plan(
    client: Any,
    project: Project,
    instance: str,
    plan: Plan,
    specs: Sequence[ContainerSpec],
    *,
    progress: Optional[Progress] = None,
    wait: bool = True,
) -> list[Applied]:
    """Execute `plan`. Independent services in a wave start in parallel; health is awaited per wave."""
    say = progress or (lambda service, message: None)
    by_service = {s.service: s for s in specs}
    for action in plan.removals:
        say(action.service, f"removing ({action.reason})")
        remove_container(client, action.container_id or "", None, action.service)
    if not any(a.kind != KEEP for wave in plan.waves for a in wave):
        return [Applied(a.service, a.kind, a.container_id or "") for wave in plan.waves for a in wave]

    owner = owner_labels(specs)
    network = ensure_network(client, project, instance, owner)
    ensure_volumes(client, project, instance, [by_service[a.service] for w in plan.waves for a in w], owner)
    allocator = PortAllocator(port_is_free)
    applied: list[Applied] = []
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="devenv-up") as pool:
        for wave in plan.waves:
            # Recreated containers release their host ports before anything allocates new ones.
            for action in wave:
                if action.kind == RECREATE:
                    say(action.service, f"recreating ({action.reason})")
                    remove_container(
                        client,
                        action.container_id or "",
                        by_service[action.service].stop_timeout_s,
                        action.service,
                    )
            jobs = [
                (a, pool.submit(_bring_up, client, a, by_service[a.service], network, allocator, say))
                for a in wave
            ]
            for action, job in jobs:
                applied.append(Applied(action.service, action.kind, job.result()))
            if wait:
                waits = [
                    pool.submit(_wait, client, applied_one.container_id, by_service[applied_one.service])
                    for applied_one in applied[-len(wave) :]
                ]
                for job in waits:
                    job.result()
    return applied


def _bring_up(
    client: Any, action: Action, spec: ContainerSpec, network: str, allocator: PortAllocator, say: Progress
) -> str:
    if action.kind == KEEP:
        return action.container_id or ""
    if action.kind == START:
        say(spec.service, "starting")
        try:
            start_container(client, action.container_id or "", spec.service)
            return action.container_id or ""
        except EngineError as err:
            # After dockerd was killed, containerd may keep the old task of a stopped container;
            # starting it then fails with "task ...: already exists" on every try. Recreate it.
            if "already exists" not in err.message:
                raise
        say(spec.service, "recreating (its old task outlived an engine restart)")
        remove_container(client, action.container_id or "", spec.stop_timeout_s, spec.service)
    if action.kind == CREATE:
        say(spec.service, "creating")
    container_id = create_container(client, spec, network, allocator)
    start_container(client, container_id, spec.service)
    return container_id


def _wait(client: Any, container_id: str, spec: ContainerSpec) -> None:
    if spec.health:
        wait_healthy(client, container_id, spec.service, health_timeout(spec.health))
        return
    with translated("checking the container", service=spec.service):
        state = client.api.inspect_container(container_id)["State"]
    if not state.get("Running") and state.get("Status") != "created":
        raise died(client, container_id, spec.service, state)


__all__ = [
    "CREATE",
    "RECREATE",
    "Applied",
    "apply_plan",
    "ensure_network",
    "ensure_volumes",
    "remove_container",
]
