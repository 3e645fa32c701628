"""`devenv images list|build|push`: the team's standard images, on the engine and the registry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

from devenv.config.model import Project
from devenv.engine.connect import connect
from devenv.images import publish
from devenv.images.catalog import BuildPlan, plan_builds
from devenv.images.publish import BuildProgress, BuiltImage, CatalogEntry, PushedImage, PushProgress

__all__ = ["BuildPlan", "build", "list_images", "plan_builds", "push"]


def list_images(project: Project) -> list[CatalogEntry]:
    return publish.list_catalog(connect(), project)


def build(
    project: Project,
    plans: Sequence[BuildPlan],
    *,
    force: bool = False,
    push: bool = False,
    progress: Optional[BuildProgress] = None,
    push_progress: Optional[PushProgress] = None,
) -> tuple[list[BuiltImage], list[PushedImage]]:
    """Build `plans` in order (what the registry or engine holds already is not built again,
    unless `force`); `push` publishes each image as soon as it is ready."""
    return publish.build_images(
        connect(), project, plans, force=force, push=push, progress=progress, push_progress=push_progress
    )


def push(plans: Sequence[BuildPlan], *, progress: Optional[PushProgress] = None) -> list[PushedImage]:
    """Publish what `images build` made for HEAD."""
    return publish.push_images(connect(), plans, progress=progress)
