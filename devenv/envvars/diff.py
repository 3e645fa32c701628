"""Differences between two layered envs (profiles or prod). Secrets are compared by hash only."""

from __future__ import annotations

from dataclasses import dataclass

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
