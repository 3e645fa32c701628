"""`devenv pull`: every service image present, locked digests first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Callable, Optional

from devenv.config.model import Project
from devenv.config.selection import require_services
from devenv.engine.connect import connect
from devenv.engine.port import Engine
from devenv.reconcile.resolve import load_lock
from devenv.registry.lockfile import locked_digest
from devenv.registry.locking import image_services
from devenv.registry.pull import PullEvent, ensure_image

TransferFor = Callable[[str], Optional[Callable[[PullEvent], None]]]  # service -> its progress (or None)


@dataclass(frozen=True)
class Pulled:
    service: str
    image: str  # as written in devenv.toml
    reference: str  # what runs: pinned when the digest is known
    digest: Optional[str]
    locked: bool
    state: str  # pulled | present | offline
    warning: Optional[str]


@dataclass(frozen=True)
class PullResult:
    images: list[Pulled]
    built: list[str]  # services built from source: nothing to pull


def pull(
    project: Project,
    services: Sequence[str] = (),
    *,
    transfer_for: TransferFor = lambda service: None,
    done: Callable[[str], None] = lambda service: None,
    engine: Optional[Engine] = None,
) -> PullResult:
    """A locked digest is pulled only if absent (no network otherwise); an unlocked tag is
    resolved through the registry and pulled. `transfer_for(service)` gives the progress
    sink of one pull, `done(service)` follows it."""
    require_services(project, services)
    targets = image_services(project)
    wanted = [s for s in (services or sorted(targets)) if s in targets]
    lock = load_lock(project)
    engine = engine or connect()
    rows = []
    for name in wanted:
        image, ref = targets[name]
        digest = locked_digest(lock, name, image)
        ensured = ensure_image(
            engine,
            ref,
            locked_digest=digest,
            policy="missing" if digest else "always",
            progress=transfer_for(name),
        )
        done(name)
        state = "pulled" if ensured.pulled else ("offline" if ensured.warning else "present")
        rows.append(
            Pulled(
                name, image, ensured.ref.display, ensured.digest, digest is not None, state, ensured.warning
            )
        )
    built = [
        s.name for s in project.services if s.name not in targets and (not services or s.name in services)
    ]
    return PullResult(rows, built)
