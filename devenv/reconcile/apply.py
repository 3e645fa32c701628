"""Carrying out a plan on the engine: removals, network, volumes, then each container as soon
as its own dependencies are ready.

Each step is one engine object created with its labels, so an interrupt at any point leaves
a state the next `up` converges from (a created-but-stopped container is simply started).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple, Optional

from devenv.config.model import Project
from devenv.engine import labels as L
from devenv.engine.health import POLL_S, Look, died, wait_healthy
from devenv.engine.port import EngineStack
from devenv.engine.records import ContainerInfo, ContainerSpec, PortBindings
from devenv.errors import DevenvError, EngineError, about
from devenv.reconcile.desired import Desired
from devenv.reconcile.plan import CREATE, KEEP, RECREATE, START, Action, Plan
from devenv.reconcile.ports import PortAllocator
from devenv.reconcile.settle import settle_started
from devenv.reconcile.teardown import Progress, remove_container, silent
from devenv.stack.ports import port_is_free

if TYPE_CHECKING:  # loaded when a plan is carried out (see _Schedule.run)
    from concurrent.futures import Future, ThreadPoolExecutor

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
    """Execute `plan`. Each service starts the moment its own dependencies are ready (healthy,
    or running when they have no health check), not when the slowest of an earlier wave is."""
    say = progress
    by_service = {s.service: s for s in desired.specs}
    for action in plan.removals:
        say(action.service, f"removing ({action.cause})")
        remove_container(engine, action.container_id or "", None, action.service)
    create_missing(engine, project, instance, plan, desired, owner_labels(desired.specs))
    if not any(a.kind != KEEP for wave in plan.waves for a in wave):
        return [Applied(a.service, a.kind, a.container_id or "") for wave in plan.waves for a in wave]
    look = _Looks(engine, L.selector(project.name, instance))
    return _Schedule(engine, plan, by_service, desired.network, say, wait, look).run(project, instance)


class _Schedule:
    """One `up`'s containers, each brought up as soon as what it depends on is ready. A job is
    a service's whole turn (create or start, then its wait), so a dependant is released by its
    own dependencies' jobs alone."""

    def __init__(
        self,
        engine: EngineStack,
        plan: Plan,
        by_service: dict[str, ContainerSpec],
        network: str,
        say: Progress,
        wait: bool,
        look: Look,
    ) -> None:
        self.engine, self.by_service, self.network = engine, by_service, network
        self.say, self.wait, self.look = say, wait, look
        # Engine work (create, start) UP_WORKERS at a time; a health wait holds a thread, not a slot.
        self.slots = threading.BoundedSemaphore(UP_WORKERS)
        self.actions = [a for wave in plan.waves for a in wave]
        planned = {a.service for a in self.actions}
        # Dependencies outside the plan (not selected) are not waited for, as before.
        self.deps = {a.service: set(by_service[a.service].depends_on) & planned for a in self.actions}
        self.allocator = PortAllocator(port_is_free)
        self.ahead: dict[str, Future[str]] = {}  # containers created while their dependencies start
        self.ids: dict[str, str] = {}
        self.pool: ThreadPoolExecutor

    def run(self, project: Project, instance: str) -> list[Applied]:
        # Here, not at import: concurrent.futures loads logging, which a no-op `up` never needs.
        from concurrent.futures import ThreadPoolExecutor

        # A thread per job at most (turns and early creations): started only as jobs come.
        with ThreadPoolExecutor(max_workers=2 * len(self.actions), thread_name_prefix="devenv-up") as pool:
            self.pool = pool
            applied = self._run()
        if self.wait:  # did a service die a moment after its start, or its supervisor never run?
            settle_started(
                self.engine,
                [(a.container_id, self.by_service[a.service]) for a in applied if a.action != KEEP],
                L.selector(project.name, instance),
            )
        return applied

    def _run(self) -> list[Applied]:
        from concurrent.futures import FIRST_COMPLETED
        from concurrent.futures import wait as wait_any

        todo = {a.service: a for a in self.actions}
        running: dict[Future[str], str] = {}
        ready: set[str] = set()
        failure: Optional[BaseException] = None
        while todo or running:
            if failure is None:
                batch = [a for name, a in todo.items() if self.deps[name] <= ready]
                for action in batch:
                    del todo[action.service]
                self._release_ports(batch)
                running.update((self.pool.submit(self._turn, a), a.service) for a in batch)
                if self.wait and not any(a.kind == RECREATE for a in todo.values()):
                    self._create_ahead(todo.values())
            if not running:
                break
            done, _ = wait_any(list(running), return_when=FIRST_COMPLETED)
            for job in done:
                service = running.pop(job)
                try:
                    self.ids[service] = job.result()
                    ready.add(service)
                except BaseException as err:  # the others in flight finish; nothing new starts
                    failure = failure or err
        for job in self.ahead.values():  # a failure leaves some created: the next `up` starts them
            if job.done() and job.exception() is not None and failure is None:
                failure = job.exception()
        if failure is not None:
            raise failure
        return [Applied(a.service, a.kind, self.ids[a.service]) for a in self.actions]

    def _release_ports(self, batch: Sequence[Action]) -> None:
        """Recreated containers release their host ports before anything allocates new ones."""
        for action in batch:
            if action.kind == RECREATE:
                self.say(action.service, f"recreating ({action.cause})")
                spec = self.by_service[action.service]
                remove_container(self.engine, action.container_id or "", spec.stop_timeout_s, action.service)

    def _create_ahead(self, waiting: Iterable[Action]) -> None:
        """As compose does, what waits on a dependency is created now, while that dependency
        starts: only its start waits. Not while a recreated container may still hold a port."""
        for action in waiting:
            if action.kind == CREATE and action.service not in self.ahead:
                self.say(action.service, "creating")
                spec = self.by_service[action.service]
                self.ahead[action.service] = self.pool.submit(self._gated, _create, spec)

    def _gated(
        self, step: Callable[[EngineStack, ContainerSpec, str, PortAllocator], str], spec: ContainerSpec
    ) -> str:
        with self.slots:
            return step(self.engine, spec, self.network, self.allocator)

    def _turn(self, action: Action) -> str:
        spec = self.by_service[action.service]
        if action.service in self.ahead:
            created = self.ahead[action.service].result()
            with self.slots:
                container_id = _start_created(self.engine, created, action.service)
        else:
            with self.slots:
                container_id = _bring_up(self.engine, action, spec, self.network, self.allocator, self.say)
        if self.wait:
            _wait(self.engine, container_id, spec, self.look)
        return container_id


class _Looks:
    """The instance's containers by id, listed again only when the last list is POLL_S old:
    every health wait of one `up` reads the same list."""

    def __init__(self, engine: EngineStack, labels: Sequence[str]) -> None:
        self.engine, self.labels = engine, labels
        self.lock = threading.Lock()
        self.at = -POLL_S
        self.seen: dict[str, ContainerInfo] = {}

    def __call__(self) -> dict[str, ContainerInfo]:
        with self.lock:
            if time.monotonic() - self.at >= POLL_S:
                self.seen = {c.id: c for c in self.engine.containers(self.labels)}
                self.at = time.monotonic()
            return self.seen


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


def _wait(engine: EngineStack, container_id: str, spec: ContainerSpec, look: Optional[Look] = None) -> None:
    if spec.health:
        wait_healthy(engine, container_id, spec.service, spec.health, look=look)
        return
    with about(spec.service):
        state = engine.inspect_container(container_id).state
    if not state.running and state.status != "created":
        raise died(engine, container_id, spec.service, state)
