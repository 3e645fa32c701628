"""The planner: desired containers + observed containers → ordered actions. Pure: no I/O.

Compose's convergence, kept small: a container whose config-hash label matches its spec is
kept (started if stopped); one whose hash differs is recreated; one whose service left the
file is removed. Creation happens in dependency waves so health can be awaited between them.

The records are NamedTuples and the allocator a plain class, not dataclasses: every `up` builds
these classes at import, and a dataclass compiles its generated methods (see config/model.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple, Optional

from devenv.config.order import waves_of
from devenv.engine.records import ContainerInfo, ContainerSpec

CREATE = "create"
RECREATE = "recreate"
START = "start"
KEEP = "keep"
REMOVE = "remove"


class Observed(NamedTuple):
    """A container this project/instance owns, as the engine reports it."""

    id: str
    name: str
    service: str
    config_hash: str
    running: bool
    health: Optional[str] = None  # "healthy" | "unhealthy" | "starting" | None

    @classmethod
    def of(cls, info: ContainerInfo) -> Observed:
        return cls(info.id, info.name, info.service, info.config_hash, info.running, info.health)


class Action(NamedTuple):
    kind: str
    service: str
    container_id: Optional[str] = None
    reason: str = ""


class Plan(NamedTuple):
    removals: tuple[Action, ...]  # orphans and duplicates, done first
    waves: tuple[tuple[Action, ...], ...]  # per dependency wave: create/recreate/start/keep

    @property
    def changes(self) -> list[Action]:
        return [a for a in (*self.removals, *(a for w in self.waves for a in w)) if a.kind != KEEP]

    @property
    def is_noop(self) -> bool:
        return not self.changes


def with_dependencies(dependencies: Mapping[str, Sequence[str]], selected: Iterable[str]) -> set[str]:
    """The selected services plus everything they (transitively) depend on."""
    todo = list(selected)
    out: set[str] = set()
    while todo:
        name = todo.pop()
        if name in out:
            continue
        out.add(name)
        todo.extend(dependencies[name])
    return out


def plan(
    desired: Sequence[ContainerSpec],
    observed: Sequence[Observed],
    *,
    selected: Optional[Iterable[str]] = None,
    force_recreate: Iterable[str] = (),
) -> Plan:
    """`selected`: only these services (and their dependencies); orphans are then left alone."""
    force = set(force_recreate)
    deps = {s.service: s.depends_on for s in desired}
    wanted = with_dependencies(deps, selected) if selected is not None else set(deps)
    by_service: dict[str, list[Observed]] = {}
    for container in observed:
        by_service.setdefault(container.service, []).append(container)

    removals: list[Action] = []
    known = {s.service for s in desired}
    if selected is None:
        for service, containers in sorted(by_service.items()):
            if service not in known:
                removals.extend(Action(REMOVE, service, c.id, "no longer in devenv.toml") for c in containers)

    specs = {s.service: s for s in desired if s.service in wanted}
    waves: list[tuple[Action, ...]] = []
    for wave in waves_of({name: spec.depends_on for name, spec in specs.items()}):
        actions = []
        for service in wave:
            spec = specs[service]
            current = sorted(by_service.get(service, []), key=lambda c: (c.name != spec.name, not c.running))
            # Extra containers for one service (e.g. renamed by hand) are duplicates: remove them.
            removals.extend(Action(REMOVE, service, c.id, "duplicate container") for c in current[1:])
            actions.append(_converge(spec, current[0] if current else None, service in force))
        waves.append(tuple(actions))
    return Plan(tuple(removals), tuple(waves))


def _converge(spec: ContainerSpec, current: Optional[Observed], force: bool) -> Action:
    if current is None:
        return Action(CREATE, spec.service, None, "not created yet")
    if force:
        return Action(RECREATE, spec.service, current.id, "recreate requested")
    if current.config_hash != spec.config_hash:
        return Action(RECREATE, spec.service, current.id, "configuration changed")
    if current.name != spec.name:
        return Action(RECREATE, spec.service, current.id, "container was renamed")
    if not current.running:
        return Action(START, spec.service, current.id, "stopped")
    return Action(KEEP, spec.service, current.id, "up to date")


class PortAllocator:
    """Host ports: the requested one when free, else the next free one (or an error if strict).

    `is_free` is injected (a socket bind test in real use) so the logic is unit-testable.
    """

    __slots__ = ("_lock", "is_free", "reserved", "search_span")

    def __init__(
        self,
        is_free: Callable[[str, int, str], bool],
        reserved: Optional[set[tuple[str, int, str]]] = None,
        search_span: int = 100,
    ) -> None:
        self.is_free = is_free
        self.reserved: set[tuple[str, int, str]] = set() if reserved is None else reserved
        self.search_span = search_span
        self._lock = threading.Lock()

    def allocate(self, host_ip: str, port: int, protocol: str, strict: bool) -> Optional[int]:
        """The host port to use, or None when `strict` and the port is taken."""
        if port == 0:
            return 0  # the engine picks one
        candidates = [port] if strict else range(port, min(port + self.search_span, 65536))
        with self._lock:  # services of one wave are created in parallel
            return self._first_free(host_ip, candidates, protocol)

    def _first_free(self, host_ip: str, candidates: Iterable[int], protocol: str) -> Optional[int]:
        for candidate in candidates:
            key = (host_ip, candidate, protocol)
            if key in self.reserved:
                continue
            if self.is_free(host_ip, candidate, protocol):
                self.reserved.add(key)
                return candidate
        return None
