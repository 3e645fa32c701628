"""`devenv images list|build|push`: the team's standard images, on the engine and the registry."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Callable, Optional

from devenv.config.model import Project
from devenv.engine.connect import connect
from devenv.images import catalog
from devenv.images.catalog import BuildPlan, BuiltImage, CatalogEntry, PushedImage, plan_builds
from devenv.registry.pull import PullEvent

__all__ = ["BuildPlan", "build", "list_images", "plan_builds", "push"]


def list_images(project: Project) -> list[CatalogEntry]:
    return catalog.list_catalog(connect(), project)


def build(
    project: Project,
    plans: Sequence[BuildPlan],
    *,
    build_args: Optional[Mapping[str, str]] = None,
    progress: Optional[Callable[[str, str], None]] = None,
) -> list[BuiltImage]:
    return catalog.build_images(connect(), project, plans, build_args=build_args, progress=progress)


def push(
    plans: Sequence[BuildPlan],
    *,
    transfer_for: Callable[[BuildPlan], Optional[Callable[[PullEvent], None]]] = lambda plan: None,
    done: Callable[[BuildPlan], None] = lambda plan: None,
) -> list[PushedImage]:
    """Push plan by plan; `transfer_for(plan)` gives the progress sink of one, `done(plan)` follows it."""
    engine = connect()
    pushed: list[PushedImage] = []
    for plan in plans:
        pushed += catalog.push_images(engine, [plan], progress=transfer_for(plan))
        done(plan)
    return pushed
