"""`devenv lock` and `devenv lock --check`: tags -> digests for every service that names an image."""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Optional

from devenv.registry.api import RegistryClient
from devenv.registry.lockfile import LOCK_NAME, LockedImage, LockFile
from devenv.registry.reference import ImageRef, resolve_image
from devenv.registry.resolve import client_for, resolve_digest


@dataclass(frozen=True)
class LockDrift:
    service: str
    problem: str  # "not locked" | "image changed" | "tag moved" | "stale entry"
    locked: Optional[str] = None  # digest or image in the lock
    current: Optional[str] = None  # digest or image now
    include: Optional[str] = None  # the include a service came from (None: this project's own)

    def describe(self) -> str:
        if self.problem == "image changed" and self.include:
            return (
                f"{self.service} (include {self.include}): the included stack now runs '{self.current}' "
                f"(its devenv.toml and devenv.lock) but this devenv.lock has '{self.locked}'"
            )
        if self.problem == "tag moved":
            return f"{self.service}: tag moved from {self.locked} to {self.current}"
        if self.problem == "image changed":
            return f"{self.service}: devenv.toml says '{self.current}' but the lock has '{self.locked}'"
        if self.problem == "include moved":
            now = "its tag now names" if self.locked and self.locked.startswith("sha256:") else "its ref now names"
            return f"include {self.service}: devenv.lock pins {self.locked}, {now} {self.current}"
        if self.problem == "include not locked":
            return f"include {self.service}: {self.current} is not pinned in devenv.lock"
        if self.problem == "stale entry":
            return f"{self.service}: locked but no longer a service with an image in devenv.toml"
        return f"{self.service}: '{self.current}' is not in devenv.lock"


def image_services(project: Any, environ: Mapping[str, str] = os.environ) -> dict[str, tuple[str, ImageRef]]:
    """service name -> (image as written, resolved ref): the image a service pulls, or the
    base image (`build.from`) a service's own image is built from."""
    out = {}
    for svc in project.services:
        image = svc.build.base if svc.build is not None else svc.image
        if image:
            out[svc.name] = (image, resolve_image(image, project.registry, environ))
    return out


def _resolve_all(refs: list[ImageRef], environ: Mapping[str, str]) -> dict[ImageRef, str]:
    """Digest of every distinct ref; in parallel, one client (and token) per registry host."""
    unique = sorted(set(refs), key=str)
    clients: dict[str, RegistryClient] = {r.registry: client_for(r.registry, environ) for r in unique}

    def one(ref: ImageRef) -> str:
        return ref.digest or resolve_digest(ref, clients[ref.registry])

    with ThreadPoolExecutor(max_workers=8) as pool:
        return dict(zip(unique, pool.map(one, unique)))


def lock_images(project: Any, *, environ: Mapping[str, str] = os.environ) -> LockFile:
    """A fresh lock for `project`; the [env] part of an existing lock is kept as it was."""
    services = image_services(project, environ)
    digests = _resolve_all([ref for _, ref in services.values()], environ)
    previous = LockFile.load(project.root / LOCK_NAME)
    return LockFile(
        images={
            name: LockedImage(image=image, reference=str(ref), digest=digests[ref])
            for name, (image, ref) in services.items()
        },
        env_hash=previous.env_hash if previous else None,
        env_sources=dict(previous.env_sources) if previous else {},
    )


def check_lock(project: Any, lock: LockFile, *, environ: Mapping[str, str] = os.environ) -> list[LockDrift]:
    """Every way `lock` differs from what devenv.toml and the registry say now (empty = in sync)."""
    services = image_services(project, environ)
    drifts: list[LockDrift] = []
    to_resolve: dict[str, ImageRef] = {}
    for name, (image, ref) in sorted(services.items()):
        entry = lock.images.get(name)
        if entry is None:
            drifts.append(LockDrift(name, "not locked", current=image))
        elif entry.image != image:
            include = project.service(name).include
            drifts.append(LockDrift(name, "image changed", locked=entry.image, current=image, include=include))
        else:
            to_resolve[name] = ref
    drifts += [LockDrift(name, "stale entry") for name in sorted(set(lock.images) - set(services))]
    digests = _resolve_all(list(to_resolve.values()), environ)
    for name, ref in to_resolve.items():
        if digests[ref] != lock.images[name].digest:
            drifts.append(LockDrift(name, "tag moved", locked=lock.images[name].digest, current=digests[ref]))
    return sorted(drifts, key=lambda d: d.service)
