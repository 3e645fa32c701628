"""`devenv lock` and `devenv lock --check`: devenv.lock written, or compared with the registry."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Optional, Union

from devenv.config import bounded
from devenv.config import toml as tomllib
from devenv.config.model import Project
from devenv.envvars import resolve_env, source_hashes
from devenv.errors import ConfigError
from devenv.images.service_build import check_from_used
from devenv.registry.lockfile import LOCK_NAME, LockedInclude, LockedStack, LockFile
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


class Afresh(NamedTuple):
    """A project with its includes resolved as they are now, and their pins."""

    project: Project
    pins: dict[str, Union[LockedInclude, LockedStack]]


def write_lock(project: Project, afresh: Optional[Afresh] = None) -> LockFile:
    """Pin every image tag to its digest, and the env part: the hash of production's env (no
    secret values in it) and of every source file, which `devenv env check` compares. Includes
    are resolved afresh (`afresh`, when the caller did): each pinned, and their services'
    images as their own locks pin them."""
    fresh, pins = afresh or resolved_afresh(project)
    for service in fresh.services:
        check_from_used(fresh, service)  # a `from` the build never uses must not be pinned
    lock = lock_images(fresh)
    lock.includes = pins
    if project.env.prod:
        lock.env_hash = resolve_env(project.root, project.env, "prod").public_hash()
        lock.env_sources = source_hashes(project.root, project.env)
    lock.save(lock_path(project))
    return lock


def resolved_afresh(project: Project) -> Afresh:
    """`project` (as written, or as resolved with the lock in force) with its includes resolved
    as they are now — every git include's ref fetched afresh, every stack include's tag asked
    afresh (the lock in force is not consulted; an included stack's own lock still pins what it
    includes and its images) — and their pins."""
    if not project.include_specs:
        return Afresh(project, {})
    from devenv.config.load import load_project
    from devenv.include.expand import RealFetch, expand_with

    own = load_project(project.root, explicit=True) if project.includes else project
    fetch = RealFetch(own, refresh=True, use_lock=False)
    fresh = expand_with(own, fetch)
    pins: dict[str, Union[LockedInclude, LockedStack]] = {
        s.name: LockedInclude(s.spec.git, s.spec.ref, s.commit)
        for s in fresh.includes
        if s.spec is not None and s.spec.git and s.spec.ref and s.commit
    }
    for stack in fresh.includes:
        if stack.spec is not None and stack.spec.stack and stack.spec.name in fetch.stacks:
            pins[stack.name] = LockedStack(*fetch.stacks[stack.spec.name])
    return Afresh(fresh, pins)


def check(project: Project, afresh: Optional[Afresh] = None) -> LockCheck:
    existing = LockFile.load(lock_path(project))
    if existing is None:
        return LockCheck(None, [])
    fresh, pins = afresh or resolved_afresh(project)
    drifts = check_lock(fresh, existing)
    for name, pin in sorted(pins.items()):
        if isinstance(pin, LockedStack):
            locked = existing.pinned_stack(pin.stack)
            now, shown = pin.digest, pin.reference
        else:
            locked = existing.pinned_commit(pin.git, pin.ref)
            now, shown = pin.commit, f"{pin.git}@{pin.ref}"
        if locked is None:
            drifts.append(LockDrift(name, "include not locked", None, shown))
        elif locked != now:
            drifts.append(LockDrift(name, "include moved", _short(locked), _short(now)))
    return LockCheck(existing, drifts)


def _short(pin: str) -> str:
    return pin[:19] if pin.startswith("sha256:") else pin[:12]


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
