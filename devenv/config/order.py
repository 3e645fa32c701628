"""Dependency order of services (`depends_on`), as waves that may start in parallel: the loader
rejects a cycle, the planner starts services wave by wave."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol


class _HasDeps(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def depends_on(self) -> Sequence[str]: ...


class CycleError(ValueError):
    def __init__(self, cycle: list[str]):
        super().__init__(" → ".join(cycle))
        self.cycle = cycle


def dependency_waves(services: Iterable[_HasDeps]) -> list[list[str]]:
    """Services grouped so each wave depends only on earlier waves; names sorted within a wave."""
    return waves_of({s.name: s.depends_on for s in services})


def waves_of(dependencies: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The same, from a mapping of name → names it depends on (unknown names are ignored)."""
    deps = {name: set(d) & set(dependencies) for name, d in dependencies.items()}
    done: set[str] = set()
    waves: list[list[str]] = []
    while len(done) < len(deps):
        wave = sorted(n for n, d in deps.items() if n not in done and d <= done)
        if not wave:
            raise CycleError(_find_cycle({n: d - done for n, d in deps.items() if n not in done}))
        waves.append(wave)
        done.update(wave)
    return waves


def dependency_order(services: Iterable[_HasDeps]) -> list[str]:
    return [name for wave in dependency_waves(services) for name in wave]


def _find_cycle(deps: dict[str, set[str]]) -> list[str]:
    start = sorted(deps)[0]
    path = [start]
    while True:
        nxt = sorted(d for d in deps[path[-1]] if d in deps)[0]
        if nxt in path:
            return [*path[path.index(nxt) :], nxt]
        path.append(nxt)
