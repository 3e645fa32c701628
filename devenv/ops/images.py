"""`devenv images list|build|push`: the team's standard images, on the engine and the registry."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Optional

from devenv.config.model import Project
from devenv.engine.connect import connect
from devenv.images import publish
from devenv.images.catalog import BuildPlan, catalog_names, catalog_registry, plan_builds
from devenv.images.publish import (
    BuildProgress,
    BuiltImage,
    CatalogEntry,
    ImageEvent,
    ImageEvents,
    PushedImage,
    PushProgress,
)
from devenv.registry.offer import OfferedImage, registry_offer

__all__ = ["BuildPlan", "ImageEvent", "build", "list_images", "offered_images", "plan_builds", "push"]


def list_images(project: Project) -> list[CatalogEntry]:
    """The catalog of this repository's images/ folder (none in a product repository)."""
    if not catalog_names(project):
        return []  # no engine needed: what the registry offers is listed by `offered_images`
    return publish.list_catalog(connect(), project)


def offered_images(project: Project, environ: Mapping[str, str] = os.environ) -> tuple[str, list[OfferedImage]]:
    """(the team registry, what it offers): every image under it, with the commit it was built from."""
    registry = catalog_registry(project, environ)
    return registry, registry_offer(registry, environ)


def build(
    project: Project,
    plans: Sequence[BuildPlan],
    *,
    force: bool = False,
    push: bool = False,
    progress: Optional[BuildProgress] = None,
    push_progress: Optional[PushProgress] = None,
    events: Optional[ImageEvents] = None,
) -> tuple[list[BuiltImage], list[PushedImage]]:
    """Build `plans`, each once its parent is ready, siblings at the same time (what the
    registry or engine holds already is not built again, unless `force`); `push` publishes each
    image as soon as it is ready; `events` hears each image's phases."""
    return publish.build_images(
        connect(),
        project,
        plans,
        force=force,
        push=push,
        progress=progress,
        push_progress=push_progress,
        events=events,
    )


def push(plans: Sequence[BuildPlan], *, progress: Optional[PushProgress] = None) -> list[PushedImage]:
    """Publish what `images build` made for HEAD."""
    return publish.push_images(connect(), plans, progress=progress)
