"""Carrying out a plan on the engine: removals, network, volumes, containers in dependency waves.

Each step is one engine object created with its labels, so an interrupt at any point leaves
a state the next `up` converges from (a created-but-stopped container is simply started).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from devenv.config.model import Project
from devenv.engine import labels as L
from devenv.engine.health import died, wait_healthy
from devenv.engine.port import EngineStack
from devenv.engine.records import ContainerSpec, PortBindings
from devenv.errors import DevenvError, EngineError, about
from devenv.reconcile.desired import Desired
from devenv.reconcile.plan import CREATE, KEEP, RECREATE, START, Action, Plan
from devenv.reconcile.ports import PortAllocator
from devenv.reconcile.settle import settle_started
from devenv.reconcile.teardown import Progress, remove_container, silent
from devenv.stack.ports import port_is_free

# Containers created and started at once. The engine does the work (network endpoints, the
# runtime's start); with 4 in flight a 50-service stack waited on this pool, not on dockerd
# (benchmarks/bench_scale.py). Threads start only as jobs come: a small stack makes few.
UP_WORKERS = 16


class Applied(NamedTuple):
    """One service's outcome. A NamedTuple: cheaper to create at import than a dataclass."""

    service: str
    action: str
    container_id: str


def owner_labels(specs: Sequence[ContainerSpec]) -> dict[str, str]:
    """The owner labels of a `devenv test` instance, carried by its network and volumes too, so
    a run killed before its first container exists still leaves nothing cleanup cannot find."""
    return L.owned_only(dict(specs[0].labels)) if specs else {}


def create_missing(
    engine: EngineStack, project: Project, instance: str, plan: Plan, desired: Desired, owner: dict[str, str]
) -> None:
    """The network and the volumes the plan creates, with the instance's labels and `owner`'s."""
    labels = {**L.base_labels(project.name, instance), **owner}
    for action in plan.network:
        if action.kind == CREATE:
            engine.create_network(action.name, labels)
    volumes = {v.name: v for v in desired.volumes}
    for action in plan.volumes:
        if action.kind == CREATE:
            volume = volumes[action.name]
            engine.create_volume(
                volume.name,
                driver=volume.driver,
                options=volume.options,
                labels={**labels, L.VOLUME_NAME: volume.logical},
            )


def port_bindings(spec: ContainerSpec, allocator: PortAllocator) -> PortBindings:
    bindings: PortBindings = {}
    for port in spec.ports:
        host_port = allocator.allocate(port.host_ip, port.host, port.protocol, port.strict)
        if host_port is None:
            raise DevenvError(
                f"service {spec.service}: host port {port.host} is taken and the port is strict",
                f"free port {port.host} (see `devenv doctor`) or drop `strict` to take the next free one",
            )
        bindings.setdefault(f"{port.container}/{port.protocol}", []).append((port.host_ip, host_port or None))
    return bindings


def apply_plan(
    engine: EngineStack,
    project: Project,
    instance: str,
    plan: Plan,
    desired: Desired,
    *,
    progress: Progress = silent,
    wait: bool = True,
) -> list[Applied]:
    """Execute `plan`. Independent services in a wave start in parallel; health is awaited per wave."""
    say = progress
    by_service = {s.service: s for s in desired.specs}
    for action in plan.removals:
        say(action.service, f"removing ({action.cause})")
        remove_container(engine, action.container_id or "", None, action.service)
    create_missing(engine, project, instance, plan, desired, owner_labels(desired.specs))
    if not any(a.kind != KEEP for wave in plan.waves for a in wave):
        return [Applied(a.service, a.kind, a.container_id or "") for wave in plan.waves for a in wave]

    network = desired.network
    allocator = PortAllocator(port_is_free)
    applied: list[Applied] = []
    # Here, not at import: concurrent.futures loads logging, which a no-op `up` never needs.
    from concurrent.futures import Future, ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=UP_WORKERS, thread_name_prefix="devenv-up") as pool:
        ahead: dict[str, Future[str]] = {}  # containers of later waves, created while this one starts
        for index, wave in enumerate(plan.waves):
            # Recreated containers release their host ports before anything allocates new ones.
            for action in wave:
                if action.kind == RECREATE:
                    say(action.service, f"recreating ({action.cause})")
                    remove_container(
                        engine,
                        action.container_id or "",
                        by_service[action.service].stop_timeout_s,
                        action.service,
                    )
            jobs = [
                (a, pool.submit(_start_created, engine, ahead[a.service].result(), a.service))
                if a.service in ahead
                else (a, pool.submit(_bring_up, engine, a, by_service[a.service], network, allocator, say))
                for a in wave
            ]
            for action, job in jobs:
                applied.append(Applied(action.service, action.kind, job.result()))
            if wait:
                # As compose does, what a later wave creates is created now, while this wave's
                # health checks run: only its start waits for them (a dependency that fails
                # leaves it created, and the next `up` starts it).
                for later in plan.waves[index + 1 :]:
                    for a in later:
                        if a.kind == CREATE and a.service not in ahead:
                            say(a.service, "creating")
                            spec = by_service[a.service]
                            ahead[a.service] = pool.submit(_create, engine, spec, network, allocator)
                waits = [
                    pool.submit(_wait, engine, one.container_id, by_service[one.service])
                    for one in applied[-len(wave) :]
                ]
                for waited in waits:
                    waited.result()
    if wait:  # did a service die a moment after its start, or its supervisor never run?
        settle_started(
            engine,
            [(a.container_id, by_service[a.service]) for a in applied if a.action != KEEP],
            L.selector(project.name, instance),
        )
    return applied


def _create(engine: EngineStack, spec: ContainerSpec, network: str, allocator: PortAllocator) -> str:
    bindings = port_bindings(spec, allocator)
    with about(spec.service):
        return engine.create_container(spec, network=network, port_bindings=bindings)


def _start_created(engine: EngineStack, container_id: str, service: str) -> str:
    with about(service):
        engine.start(container_id)
    return container_id


def _bring_up(
    engine: EngineStack,
    action: Action,
    spec: ContainerSpec,
    network: str,
    allocator: PortAllocator,
    say: Progress,
) -> str:
    if action.kind == KEEP:
        return action.container_id or ""
    if action.kind == START:
        say(spec.service, "starting")
        try:
            with about(spec.service):
                engine.start(action.container_id or "")
            return action.container_id or ""
        except EngineError as err:
            # After dockerd was killed, containerd may keep the old task of a stopped container;
            # starting it then fails with "task ...: already exists" on every try. Recreate it.
            if "already exists" not in err.message:
                raise
        say(spec.service, "recreating (its old task outlived an engine restart)")
        remove_container(engine, action.container_id or "", spec.stop_timeout_s, spec.service)
    if action.kind == CREATE:
        say(spec.service, "creating")
    return _start_created(engine, _create(engine, spec, network, allocator), spec.service)


def _wait(engine: EngineStack, container_id: str, spec: ContainerSpec) -> None:
    if spec.health:
        wait_healthy(engine, container_id, spec.service, spec.health)
        return
    with about(spec.service):
        state = engine.inspect_container(container_id).state
    if not state.running and state.status != "created":
        raise died(engine, container_id, spec.service, state)
