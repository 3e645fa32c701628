"""The planner: desired state + observed snapshot → ordered, typed actions, each with its cause.
Pure: no I/O.

Compose's convergence, kept small: a container whose config-hash label matches its spec is
kept (started if stopped); one whose hash differs is recreated, and the parts of the hash that
differ say why; one whose service left the file is removed. The network and the volumes the
containers mount are created when missing. Containers are created in dependency waves so health
can be awaited between them.

The records are NamedTuples, not dataclasses: every `up` builds these classes at import, and a
dataclass compiles its generated methods (see config/model.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Optional

from devenv.config.order import waves_of
from devenv.engine.records import ContainerSpec
from devenv.errors import DevenvError
from devenv.reconcile.causes import recreate_cause
from devenv.reconcile.observed import Observed, Snapshot

if TYPE_CHECKING:  # `down` plans too, without the hashing of desired specs
    from devenv.reconcile.desired import Desired

CREATE = "create"
RECREATE = "recreate"
START = "start"
KEEP = "keep"
REMOVE = "remove"
PULL = "pull"
BUILD = "build"

CONTAINER = "container"
NETWORK = "network"
VOLUME = "volume"
IMAGE = "image"
INSTANCE = "instance"  # a dead `devenv test` run's, removed whole before anything else

PLAN_VERSION = 1  # of the JSON document (`devenv.plan/v1`)


class Action(NamedTuple):
    """One step: `kind` done to the `target` named `name` (a container's service name), and why."""

    kind: str
    name: str
    id: Optional[str] = None  # the engine's id of what the step acts on, when it exists
    cause: str = ""
    target: str = CONTAINER

    @property
    def service(self) -> str:
        return self.name

    @property
    def container_id(self) -> Optional[str]:
        return self.id

    def describe(self) -> str:
        """`recreate web: env changed (DATABASE_URL)`, `create network shop-default: missing`."""
        what = self.name if self.target == CONTAINER else f"{self.target} {self.name}"
        return f"{self.kind} {what}: {self.cause}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.kind,
            "object": self.target,
            "name": self.name,
            "id": self.id,
            "cause": self.cause,
        }


class Plan(NamedTuple):
    removals: tuple[Action, ...]  # orphans and duplicates, done first
    waves: tuple[tuple[Action, ...], ...]  # per dependency wave: create/recreate/start/keep
    network: tuple[Action, ...] = ()
    volumes: tuple[Action, ...] = ()
    images: tuple[Action, ...] = ()  # pulls and builds (a dry run's: `up` does them before planning)
    leftovers: tuple[Action, ...] = ()  # dead test runs' instances (a dry run's: `up` removes them first)

    @property
    def changes(self) -> list[Action]:
        """What happens to containers (the count `up` reports)."""
        return [a for a in (*self.removals, *(a for w in self.waves for a in w)) if a.kind != KEEP]

    @property
    def is_noop(self) -> bool:
        rest = (*self.network, *self.volumes, *self.images, *self.leftovers)
        return not self.changes and all(a.kind == KEEP for a in rest)

    def steps(self) -> list[Action]:
        """Every action in the order they are carried out."""
        waves = (a for w in self.waves for a in w)
        return [*self.leftovers, *self.images, *self.removals, *self.network, *self.volumes, *waves]

    def to_dict(self) -> dict[str, Any]:
        steps = self.steps()
        return {
            "version": PLAN_VERSION,
            "changes": sum(1 for a in steps if a.kind != KEEP),
            "actions": [a.to_dict() for a in steps],
        }


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
    desired: Desired,
    observed: Snapshot,
    *,
    selected: Optional[Iterable[str]] = None,
    force_recreate: Iterable[str] = (),
    images: Sequence[Action] = (),
    leftovers: Sequence[Action] = (),
) -> Plan:
    """`selected`: only these services (and their dependencies); orphans are then left alone.
    `images`, `leftovers`: a dry run's pulls and builds, and dead test runs it would remove."""
    removals, waves = containers_plan(
        desired.specs, observed.containers, selected=selected, force_recreate=force_recreate
    )
    network = (
        Action(KEEP, desired.network, None, "exists", NETWORK)
        if any(n.name == desired.network for n in observed.networks)
        else Action(CREATE, desired.network, None, "missing", NETWORK)
    )
    wanted = {s.service for w in waves for s in w}
    mounted = {m.source for s in desired.specs if s.service in wanted for m in s.mounts if m.kind == "volume"}
    volumes = []
    for volume in desired.volumes:
        if volume.name not in mounted:
            continue
        if volume.name in observed.volume_names:
            volumes.append(
                Action(KEEP, volume.name, None, "external, exists" if volume.external else "exists", VOLUME)
            )
        elif volume.external:
            raise DevenvError(
                f'external volume "{volume.name}" does not exist',
                f"create it (`docker volume create {volume.name}`) or drop `external`",
            )
        else:
            volumes.append(Action(CREATE, volume.name, None, "missing", VOLUME))
    return Plan(removals, waves, (network,), tuple(volumes), tuple(images), tuple(leftovers))


def containers_plan(
    desired: Sequence[ContainerSpec],
    observed: Sequence[Observed],
    *,
    selected: Optional[Iterable[str]] = None,
    force_recreate: Iterable[str] = (),
) -> tuple[tuple[Action, ...], tuple[tuple[Action, ...], ...]]:
    """(removals, waves) for the containers alone."""
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
    return tuple(removals), tuple(waves)


def _converge(spec: ContainerSpec, current: Optional[Observed], force: bool) -> Action:
    if current is None:
        return Action(CREATE, spec.service, None, "not created yet")
    if force:
        return Action(RECREATE, spec.service, current.id, "recreate requested (--force-recreate)")
    if current.config_hash != spec.config_hash:
        return Action(RECREATE, spec.service, current.id, recreate_cause(spec, current.labels, current.env))
    if current.name != spec.name:
        return Action(RECREATE, spec.service, current.id, f"container was renamed ({current.name})")
    if not current.running:
        return Action(START, spec.service, current.id, "stopped")
    return Action(KEEP, spec.service, current.id, "up to date")


def teardown_plan(observed: Snapshot, *, volumes: bool) -> Plan:
    """What `down` removes: every container and network of the instance; its volumes only with
    `volumes` (kept otherwise, and said so)."""
    removals = tuple(
        Action(REMOVE, c.service, c.id, "devenv down") for c in sorted(observed.infos, key=lambda c: c.name)
    )
    networks = tuple(Action(REMOVE, n.name, n.id, "devenv down", NETWORK) for n in observed.networks)
    kept = "named volumes stay (remove them with --volumes)"
    vols = tuple(
        Action(REMOVE, v.name, None, "--volumes", VOLUME)
        if volumes
        else Action(KEEP, v.name, None, kept, VOLUME)
        for v in sorted(observed.volumes, key=lambda v: v.name)
    )
    return Plan(removals, (), networks, vols)
