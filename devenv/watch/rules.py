"""What to do for a batch of changed paths: per-path action from the service's rules (first
matching rule wins, else the spec's action), then one plan for the whole batch.

A plan is a short list of steps. `sync` and `exec` are preparation steps (copy the files in,
run the compiler); then at most one of `rebuild`, `restart-container`, `restart`. When a batch
mixes actions the strongest wins: rebuild > restart-container > restart > sync/exec > none.
The compound actions compose files use are the same steps in one rule: `sync+restart` copies
then restarts (in place under the supervisor, else the container), `sync+exec` copies then
runs the rule's command. A rule with a `target` copies into its own container folder.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple, Optional

from devenv.config.model import WatchRule, WatchSpec
from devenv.config.watch_actions import (
    EXEC,
    EXEC_ACTIONS,
    INITIAL_SYNC,
    NONE,
    REBUILD,
    RESTART,
    RESTART_CONTAINER,
    SYNC,
    SYNC_ACTIONS,
    SYNC_EXEC,
    SYNC_RESTART,
    Step,
    WatchAction,
)

STRENGTH: dict[WatchAction, int] = {
    NONE: 0,
    SYNC: 1,
    EXEC: 1,
    SYNC_EXEC: 1,
    RESTART: 2,
    SYNC_RESTART: 2,
    RESTART_CONTAINER: 3,
    REBUILD: 4,
}


class RuleSync(NamedTuple):
    """Changed paths (project-relative) that a rule copies from its `source` to its `target`."""

    source: str  # project-relative folder or file ("" = the project)
    target: str
    paths: frozenset[str]


@dataclass(frozen=True)
class Plan:
    action: WatchAction  # the strongest action in the batch (what the feedback line names)
    steps: tuple[Step, ...]  # in order, from: sync, initial-sync, exec, restart, restart-container, rebuild
    paths: frozenset[str]
    sync_paths: frozenset[str]  # copied to the service's sync target
    targeted: tuple[RuleSync, ...] = ()  # copied by rules with their own target
    execs: tuple[tuple[str, ...], ...] = ()  # the exec step's commands, in rule order (() = none set)


class RuleSet:
    """Compiled rules of one service's watch spec. `supervised`: the service's process runs under
    devenv's supervisor, so `sync+restart` restarts it in place (else the container)."""

    def __init__(self, spec: WatchSpec, *, supervised: bool = True):
        import pathspec  # lazy: the CLI imports watch modules only when watching

        self.spec = spec
        self.supervised = supervised
        self._rules: list[tuple[Any, WatchRule]] = [
            (pathspec.GitIgnoreSpec.from_lines(list(rule.paths)), rule) for rule in spec.rules
        ]

    def rule_for(self, rel_posix_path: str) -> Optional[WatchRule]:
        for matcher, rule in self._rules:
            if matcher.match_file(rel_posix_path):
                return rule
        return None

    def action_for(self, rel_posix_path: str) -> WatchAction:
        rule = self.rule_for(rel_posix_path)
        return rule.action if rule is not None else self.spec.action

    def initial_syncs(self) -> list[WatchRule]:
        """Rules that copy their source in when watching starts (and after a rebuild)."""
        return [rule for _, rule in self._rules if rule.initial_sync and rule.target]

    def plan(self, paths: Iterable[str]) -> Plan:
        batch = frozenset(paths)
        per_path = {path: self.rule_for(path) for path in batch}
        actions = {p: r.action if r is not None else self.spec.action for p, r in per_path.items()}
        if not actions:
            return Plan(NONE, (), batch, frozenset())
        action = max(actions.values(), key=lambda a: STRENGTH.get(a, 0))
        syncing = self.spec.action == SYNC  # no bind mount: every change must be copied in
        if action == REBUILD:
            # A new container starts from the image: what was copied in must be copied again.
            again = syncing or bool(self.initial_syncs())
            return Plan(action, (REBUILD, INITIAL_SYNC) if again else (REBUILD,), batch, frozenset())
        targeted: dict[WatchRule, set[str]] = {}
        plain: set[str] = set()
        for path, rule in per_path.items():
            if rule is not None and rule.target and rule.action in SYNC_ACTIONS:
                targeted.setdefault(rule, set()).add(path)
            elif syncing or actions[path] in SYNC_ACTIONS:
                plain.add(path)
        steps: list[Step] = [SYNC] if plain or targeted else []
        execs = self._execs(per_path, actions)
        if execs:
            steps.append(EXEC)
        restart = self._restart_step(set(actions.values()), bool(execs))
        if restart:
            steps.append(restart)
        syncs = tuple(
            RuleSync(rule.source or "", rule.target or "", frozenset(found))
            for rule, found in targeted.items()
        )
        return Plan(action, tuple(steps), batch, frozenset(plain), syncs, execs)

    def _execs(
        self, per_path: dict[str, Optional[WatchRule]], actions: dict[str, WatchAction]
    ) -> tuple[tuple[str, ...], ...]:
        commands: list[tuple[str, ...]] = []
        order = {rule: i for i, (_, rule) in enumerate(self._rules)}

        def rank(path: str) -> tuple[int, str]:
            rule = per_path[path]
            return (order[rule] if rule is not None else len(order), path)

        for path in sorted(actions, key=rank):
            if actions[path] in EXEC_ACTIONS:
                rule = per_path[path]
                command = (rule.exec if rule is not None else ()) or self.spec.exec
                if command not in commands:
                    commands.append(command)
        return tuple(commands)

    def _restart_step(self, actions: set[WatchAction], has_exec: bool) -> Optional[Step]:
        if RESTART_CONTAINER in actions:
            return RESTART_CONTAINER
        if RESTART in actions:
            return RESTART
        if SYNC_RESTART in actions:
            return RESTART if self.supervised else RESTART_CONTAINER
        if has_exec and self.spec.restart_after_exec:
            return RESTART
        return None
