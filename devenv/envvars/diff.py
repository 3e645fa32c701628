"""Differences between two layered envs (profiles, or targets such as staging and prod). Secrets
are compared by hash only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from devenv.envvars.model import EnvValue, LayeredEnv, value_hash


@dataclass(frozen=True)
class Change:
    key: str
    a: EnvValue
    b: EnvValue

    @property
    def secret(self) -> bool:
        return self.a.secret or self.b.secret


@dataclass(frozen=True)
class EnvDiff:
    a: str  # profile names
    b: str
    added: tuple[EnvValue, ...]  # in b, not in a
    removed: tuple[EnvValue, ...]  # in a, not in b
    changed: tuple[Change, ...]
    unchanged: int

    @property
    def same(self) -> bool:
        return not (self.added or self.removed or self.changed)


def _differs(a: EnvValue, b: EnvValue) -> bool:
    if a.secret or b.secret:
        return value_hash(a.value) != value_hash(b.value)
    return a.value != b.value


def diff_envs(a: LayeredEnv, b: LayeredEnv) -> EnvDiff:
    keys_a, keys_b = set(a.values), set(b.values)
    changed = tuple(
        Change(k, a.values[k], b.values[k])
        for k in sorted(keys_a & keys_b)
        if _differs(a.values[k], b.values[k])
    )
    return EnvDiff(
        a=a.profile,
        b=b.profile,
        added=tuple(b.values[k] for k in sorted(keys_b - keys_a)),
        removed=tuple(a.values[k] for k in sorted(keys_a - keys_b)),
        changed=changed,
        unchanged=len(keys_a & keys_b) - len(changed),
    )


@dataclass(frozen=True)
class ServiceDiff:
    service: Optional[str]  # None: the project's env (a project without services)
    diff: EnvDiff
    secrets: tuple[tuple[str, bool], ...]  # (key, differs) of each secret both sides have

    @property
    def same(self) -> bool:
        return self.diff.same


def diff_targets(project: Any, a: str, b: str) -> list[ServiceDiff]:
    """Per service with an env, production's values of target `a` against target `b`: the
    `prod` profile of each, no local override or secret value in it."""
    from devenv.envvars.layering import resolve_env, service_env
    from devenv.envvars.targets import with_target

    one, two = with_target(project, a), with_target(project, b)
    if not project.services:
        envs = [resolve_env(p.root, p.env, "prod") for p in (one, two)]
        return [_service_diff(None, envs[0], envs[1], a, b)]
    found = []
    for svc in project.services:
        env_a, env_b = service_env(one, svc.name, "prod"), service_env(two, svc.name, "prod")
        if env_a.values or env_b.values:
            found.append(_service_diff(svc.name, env_a, env_b, a, b))
    return found


def _service_diff(
    service: Optional[str], env_a: LayeredEnv, env_b: LayeredEnv, a: str, b: str
) -> ServiceDiff:
    diff = diff_envs(env_a, env_b)
    both = sorted(set(env_a.values) & set(env_b.values))
    secrets = tuple(
        (k, _differs(env_a.values[k], env_b.values[k]))
        for k in both
        if env_a.values[k].secret or env_b.values[k].secret
    )
    named = EnvDiff(a, b, diff.added, diff.removed, diff.changed, diff.unchanged)
    return ServiceDiff(service, named, secrets)
