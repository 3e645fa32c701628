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

    @property
    def shown(self) -> str:
        return shown_cycle(self.cycle, "services")


def shown_cycle(cycle: Sequence[str], what: str) -> str:
    """A cycle for a message: whole when short, else its ends and how many `what` it holds."""
    if len(cycle) <= 12:
        return " → ".join(cycle)
    return f"{' → '.join(cycle[:5])} → … ({len(cycle) - 1} {what}) → {' → '.join(cycle[-3:])}"


def dependency_waves(services: Iterable[_HasDeps]) -> list[list[str]]:
    """Services grouped so each wave depends only on earlier waves; names sorted within a wave."""
    return waves_of({s.name: s.depends_on for s in services})


def waves_of(dependencies: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The same, from a mapping of name → names it depends on (unknown names are ignored).

    Each name's wave is one past its deepest dependency's, found in one pass over the edges
    (Kahn's order): a 2,000-service chain is 2,000 waves, each found without rescanning the rest."""
    deps = {name: set(d) & dependencies.keys() for name, d in dependencies.items()}
    dependants: dict[str, list[str]] = {name: [] for name in deps}
    waiting = {name: len(d) for name, d in deps.items()}
    for name, d in deps.items():
        for dep in d:
            dependants[dep].append(name)
    level = {name: 0 for name, count in waiting.items() if count == 0}
    ready = list(level)
    for name in ready:  # grows while it is read: each name is appended once, when its last dependency is placed
        for after in dependants[name]:
            level[after] = max(level.get(after, 0), level[name] + 1)
            waiting[after] -= 1
            if waiting[after] == 0:
                ready.append(after)
    if len(ready) < len(deps):
        placed = set(ready)
        raise CycleError(_find_cycle({n: d - placed for n, d in deps.items() if n not in placed}))
    waves: list[list[str]] = [[] for _ in range(max(level.values(), default=-1) + 1)]
    for name in sorted(level):
        waves[level[name]].append(name)
    return waves


def dependency_order(services: Iterable[_HasDeps]) -> list[str]:
    return [name for wave in dependency_waves(services) for name in wave]


def _find_cycle(deps: dict[str, set[str]]) -> list[str]:
    start = sorted(deps)[0]
    path = [start]
    at = {start: 0}
    while True:
        nxt = sorted(d for d in deps[path[-1]] if d in deps)[0]
        if nxt in at:
            return [*path[at[nxt] :], nxt]
        at[nxt] = len(path)
        path.append(nxt)
