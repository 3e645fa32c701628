"""What to do for a batch of changed paths: per-path action from the service's rules (first
matching rule wins, else the spec's action), then one plan for the whole batch.

A plan is a short list of steps. `sync` and `exec` are preparation steps (copy the files in,
run the compiler); then at most one of `rebuild`, `restart-container`, `restart`. When a batch
mixes actions the strongest wins: rebuild > restart-container > restart > sync/exec > none.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from devenv.config.model import WatchSpec

STRENGTH = {"none": 0, "sync": 1, "exec": 1, "restart": 2, "restart-container": 3, "rebuild": 4}


@dataclass(frozen=True)
class Plan:
    action: str  # the strongest action in the batch (what the feedback line names)
    steps: tuple[str, ...]  # in order, from: sync, initial-sync, exec, restart, restart-container, rebuild
    paths: frozenset[str]
    sync_paths: frozenset[str]


class RuleSet:
    """Compiled rules of one service's watch spec."""

    def __init__(self, spec: WatchSpec):
        import pathspec  # lazy: the CLI imports watch modules only when watching

        self.spec = spec
        self._rules: list[tuple[Any, str]] = [
            (pathspec.GitIgnoreSpec.from_lines(list(rule.paths)), rule.action) for rule in spec.rules
        ]

    def action_for(self, rel_posix_path: str) -> str:
        for matcher, action in self._rules:
            if matcher.match_file(rel_posix_path):
                return action
        return self.spec.action

    def plan(self, paths: Iterable[str]) -> Plan:
        batch = frozenset(paths)
        per_path = {path: self.action_for(path) for path in batch}
        if not per_path:
            return Plan("none", (), batch, frozenset())
        action = max(per_path.values(), key=lambda a: STRENGTH.get(a, 0))
        syncing = self.spec.action == "sync"  # no bind mount: every change must be copied in
        if action == "rebuild":
            # A new container starts from the image: a sync service needs its full copy again.
            return Plan(action, ("rebuild", "initial-sync") if syncing else ("rebuild",), batch, frozenset())
        sync_paths = batch if syncing else frozenset(p for p, a in per_path.items() if a == "sync")
        steps: list[str] = []
        if sync_paths:
            steps.append("sync")
        has_exec = "exec" in per_path.values()
        if has_exec:
            steps.append("exec")
        if action in ("restart", "restart-container"):
            steps.append(action)
        elif has_exec and self.spec.restart_after_exec:
            steps.append("restart")
        return Plan(action, tuple(steps), batch, sync_paths)
