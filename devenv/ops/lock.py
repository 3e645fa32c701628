"""`devenv lock` and `devenv lock --check`: devenv.lock written, or compared with the registry."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from devenv.config import bounded
from devenv.config import toml as tomllib
from devenv.config.model import Project
from devenv.envvars import resolve_env, source_hashes
from devenv.errors import ConfigError
from devenv.images.service_build import check_from_used
from devenv.registry.lockfile import LOCK_NAME, LockedInclude, LockFile
from devenv.registry.locking import LockDrift, check_lock, lock_images


@dataclass(frozen=True)
class LockCheck:
    lock: Optional[LockFile]  # None: there is no devenv.lock
    drifts: list[LockDrift]

    @property
    def ok(self) -> bool:
        return self.lock is not None and not self.drifts


def lock_path(project: Project) -> Path:
    return project.root / LOCK_NAME


def write_lock(project: Project) -> LockFile:
    """Pin every image tag to its digest, and the env part: the hash of production's env (no
    secret values in it) and of every source file, which `devenv env check` compares."""
    for service in project.services:
        check_from_used(project, service)  # a `from` the build never uses must not be pinned
    fresh = lock_images(project)
    fresh.includes = include_pins(project)
    if project.env.prod:
        fresh.env_hash = resolve_env(project.root, project.env, "prod").public_hash()
        fresh.env_sources = source_hashes(project.root, project.env)
    fresh.save(lock_path(project))
    return fresh


def include_pins(project: Project) -> dict[str, LockedInclude]:
    """Every git include's commit, its ref fetched afresh (the lock in force is not consulted)."""
    if not project.include_specs:
        return {}
    from devenv.config.loader import load_project
    from devenv.include.expand import expand

    fresh = expand(load_project(project.root, explicit=True), refresh=True, use_lock=False)
    return {
        s.name: LockedInclude(s.spec.git, s.spec.ref, s.commit)
        for s in fresh.includes
        if s.spec is not None and s.spec.git and s.spec.ref and s.commit
    }


def check(project: Project) -> LockCheck:
    existing = LockFile.load(lock_path(project))
    if existing is None:
        return LockCheck(None, [])
    drifts = check_lock(project, existing)
    for name, pin in sorted(include_pins(project).items()):
        locked = existing.pinned_commit(pin.git, pin.ref)
        if locked is None:
            drifts.append(LockDrift(name, "include not locked", None, f"{pin.git}@{pin.ref}"))
        elif locked != pin.commit:
            drifts.append(LockDrift(name, "include moved", locked[:12], pin.commit[:12]))
    return LockCheck(existing, drifts)


def locked_env_sources(project: Project) -> Optional[dict[str, str]]:
    """`[env] sources = { "path" = "sha256 hex" }` of devenv.lock (`devenv env check` compares
    them); None when there is no lock. Read on its own: an env-only lock (no images) is valid."""
    from devenv.fsutil import read_text

    path = lock_path(project)
    try:
        text = read_text(path, LOCK_NAME)
    except FileNotFoundError:
        return None
    try:
        data = bounded.toml_loads(text, LOCK_NAME)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(
            f"{LOCK_NAME}: not valid TOML: {err}", "run `devenv lock` to write it again"
        ) from None
    sources = (data.get("env") or {}).get("sources") or {}
    return {str(k): str(v) for k, v in sources.items()}
