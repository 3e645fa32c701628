"""`env check`: drift between prod and the profiles, and between the sources and devenv.lock.

Drift is: a prod key a profile lost without `unset`-ing it; a key a profile sets or unsets that
prod does not have (a typo guard; `dev_only` keys are allowed); a source whose content changed,
appeared or vanished since devenv.lock recorded its hash. Secret values are never needed here,
so CI can run it without a secrets file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from devenv.config.model import EnvSpec
from devenv.envvars.layering import declare_secrets, known_profiles, layer
from devenv.envvars.sources import hash_files, load_prod
from devenv.errors import ConfigError

KINDS = (
    "missing",
    "unknown-key",
    "unknown-unset",
    "source-changed",
    "source-unlocked",
    "source-removed",
    "service-env",
)


@dataclass(frozen=True)
class DriftProblem:
    kind: str  # one of KINDS
    message: str
    hint: str
    key: Optional[str] = None
    file: Optional[str] = None
    profile: Optional[str] = None


@dataclass(frozen=True)
class DriftReport:
    profiles: tuple[str, ...]
    problems: tuple[DriftProblem, ...]
    notes: tuple[str, ...] = ()
    sources: Mapping[str, str] = field(default_factory=dict)  # current hashes

    @property
    def ok(self) -> bool:
        return not self.problems


def source_hashes(project_root: Path, spec: EnvSpec) -> dict[str, str]:
    """path -> sha256 hex of every file a target (prod, staging, ...) is read from; recorded in
    devenv.lock [env] sources, whichever target a check compares against."""
    from devenv.envvars.targets import all_sources

    return hash_files(project_root, all_sources(spec))


def _strip(digest: str) -> str:
    return digest.split(":", 1)[1] if digest.startswith("sha256:") else digest


def check_drift(
    project_root: Path,
    spec: EnvSpec,
    profile: Optional[str],
    locked_source_hashes: Optional[Mapping[str, str]],
    services: Sequence[str] = (),
) -> DriftReport:
    """Check one profile, or (profile None) `dev`, `test` and every declared profile; and that
    each of `services` (those told to receive prod's env) gets some of it."""
    names = [profile] if profile else [p for p in known_profiles(spec) if p != "prod"]
    prod = load_prod(project_root, spec.prod)
    declare_secrets(prod, spec)  # a declared secret is a prod key too, if only a local one
    problems: list[DriftProblem] = []
    notes: list[str] = list(prod.warnings)
    prod_keys = set(prod.values) | set(prod.unmirrorable)
    for name in names:
        layers = layer(project_root, spec, name, prod=prod, process_env={})
        unset = {k for p in layers.chain for k in p.unset}
        dev_only = {k for p in layers.chain for k in p.dev_only}
        have = set(layers.values) | set(layers.unmirrorable)
        for key in sorted(set(prod.values) - have - unset):
            problems.append(
                DriftProblem(
                    "missing",
                    f"profile {name}: {key} is in {spec.target} ({prod.values[key].source}) but missing from the profile",
                    f'add it, or unset it on purpose: unset = ["{key}"] in [env.profiles.{name}]',
                    key=key,
                    profile=name,
                )
            )
        for p in layers.chain:
            for key, _ in p.set:
                if key not in prod_keys and key not in dev_only:
                    problems.append(
                        DriftProblem(
                            "unknown-key",
                            f"profile {p.name} sets {key}, which {spec.target} does not have",
                            f'fix the name, or declare it dev-only: dev_only = ["{key}"] in [env.profiles.{p.name}]',
                            key=key,
                            profile=p.name,
                        )
                    )
                elif key in prod_keys and key in dev_only:
                    notes.append(
                        f"profile {p.name}: dev-only key {key} now exists in {spec.target}; drop it from dev_only"
                    )
            for key in p.unset:
                if key not in prod_keys:
                    problems.append(
                        DriftProblem(
                            "unknown-unset",
                            f"profile {p.name} unsets {key}, which {spec.target} does not have",
                            "fix the name, or remove it from unset",
                            key=key,
                            profile=p.name,
                        )
                    )
    problems.extend(_service_problems(project_root, spec, services))
    current = source_hashes(project_root, spec)
    if locked_source_hashes is None:
        notes.append("no devenv.lock: source hashes were not checked (run `devenv lock` to record them)")
    else:
        problems.extend(_lock_problems(current, locked_source_hashes))
    unique = tuple(dict.fromkeys(problems))  # a base profile's typo is reported once
    return DriftReport(tuple(names), unique, tuple(dict.fromkeys(notes)), current)


def _service_problems(project_root: Path, spec: EnvSpec, services: Sequence[str]) -> list[DriftProblem]:
    """A service that would mirror nothing (or cannot tell which container to mirror) passes no
    check by saying nothing: CI would go green with production's env missing."""
    problems: list[DriftProblem] = []
    for name in services if spec.prod else ():
        try:
            load_prod(project_root, spec.prod, name)
        except ConfigError as err:
            problems.append(DriftProblem("service-env", f"services.{name}: {err.message}", err.hint or ""))
    return problems


def _lock_problems(current: Mapping[str, str], locked: Mapping[str, str]) -> list[DriftProblem]:
    problems: list[DriftProblem] = []
    for path, digest in current.items():
        if path not in locked:
            problems.append(
                DriftProblem(
                    "source-unlocked",
                    f"{path}: env source not recorded in devenv.lock",
                    "run `devenv lock` and commit devenv.lock",
                    file=path,
                )
            )
        elif _strip(locked[path]) != digest:
            problems.append(
                DriftProblem(
                    "source-changed",
                    f"{path}: changed since devenv.lock recorded it",
                    "review the change, then run `devenv lock` and commit devenv.lock",
                    file=path,
                )
            )
    for path in locked:
        if path not in current:
            problems.append(
                DriftProblem(
                    "source-removed",
                    f"{path}: recorded in devenv.lock but no longer an env source",
                    "run `devenv lock` and commit devenv.lock",
                    file=path,
                )
            )
    return problems
