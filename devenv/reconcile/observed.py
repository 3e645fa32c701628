"""Observed state: one snapshot of what the engine has for an instance — its containers, its
network, the volumes — read through the engine port, so the planner compares two values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import NamedTuple, Optional

from devenv.engine import labels as L
from devenv.engine.port import EngineReads
from devenv.engine.records import ContainerInfo, ContainerSpec, NetworkInfo, VolumeInfo
from devenv.reconcile.parts import parse_parts

_EMPTY: Mapping[str, str] = MappingProxyType({})


class Observed(NamedTuple):
    """A container this project/instance owns, as the engine reports it."""

    id: str
    name: str
    service: str
    config_hash: str
    running: bool
    health: Optional[str] = None  # "healthy" | "unhealthy" | "starting" | None
    labels: Mapping[str, str] = _EMPTY
    env: Optional[Mapping[str, str]] = None  # read only for a container whose env changed

    @classmethod
    def of(cls, info: ContainerInfo, env: Optional[Mapping[str, str]] = None) -> Observed:
        return cls(
            info.id, info.name, info.service, info.config_hash, info.running, info.health, info.labels, env
        )


class Snapshot(NamedTuple):
    infos: tuple[ContainerInfo, ...]  # the instance's containers
    networks: tuple[NetworkInfo, ...]  # the instance's networks
    volumes: tuple[VolumeInfo, ...]  # the instance's volumes (its labels)
    volume_names: frozenset[str] = frozenset()  # every volume on the engine (an external one has no labels)
    env: Mapping[str, Mapping[str, str]] = MappingProxyType({})  # container id -> its env, when read

    @property
    def containers(self) -> tuple[Observed, ...]:
        return tuple(Observed.of(c, self.env.get(c.id)) for c in self.infos)


def observe(reads: EngineReads, project: str, instance: str, *, every_volume: bool = True) -> Snapshot:
    """Three list calls. `every_volume`: list the engine's volumes, not only the instance's, so
    an external volume is seen (`up`); `down` needs only its own."""
    selector = L.selector(project, instance)
    containers = tuple(reads.containers(selector))
    networks = tuple(reads.networks(selector))
    if every_volume:
        found = reads.volumes([])
        own = tuple(v for v in found if L.carries(v.labels, selector))
        return Snapshot(containers, networks, own, frozenset(v.name for v in found))
    own = tuple(reads.volumes(selector))
    return Snapshot(containers, networks, own, frozenset(v.name for v in own))


def with_env(reads: EngineReads, snapshot: Snapshot, specs: Sequence[ContainerSpec]) -> Snapshot:
    """The snapshot with the env of each container whose env part changed (one inspect each):
    what names the variables a recreate is for. Values stay in memory, never in a message."""
    wanted = {s.service: s for s in specs}
    env: dict[str, Mapping[str, str]] = dict(snapshot.env)
    for info in snapshot.infos:
        spec = wanted.get(info.service)
        if spec is None or info.config_hash == spec.config_hash or info.id in env:
            continue
        old = parse_parts(info.labels.get(L.CONFIG_PARTS, "")).get("env")
        if old is not None and old == parse_parts(spec.labels.get(L.CONFIG_PARTS, "")).get("env"):
            continue
        details = reads.inspect_container(info.id)
        env[info.id] = details.env_map
    return snapshot._replace(env=MappingProxyType(env))
