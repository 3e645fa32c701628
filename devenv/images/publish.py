"""Carry out catalog plans: build each image from `git archive` of HEAD (unless its inputs are
already built), tag it, push it; and list what the registry holds."""

from __future__ import annotations

import datetime
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Callable, NamedTuple, Optional

from devenv.config.model import Project
from devenv.engine.port import Engine
from devenv.errors import DevenvError, RegistryError, RegistryNotFound
from devenv.images import gitexport
from devenv.images.build_run import follow_build, follow_push
from devenv.images.catalog import (
    CATALOG_LABEL,
    INPUTS_LABEL,
    OCI,
    BuildPlan,
    catalog_names,
    catalog_registry,
    registry_path,
    tag_safe,
)
from devenv.registry.pull import PullEvent
from devenv.registry.reference import CONTENT_TAG_PREFIX, registry_host
from devenv.registry.resolve import client_for

BUILT = "built"  # built now
LOCAL = "local"  # these inputs were built earlier on this engine: tagged, not rebuilt
REGISTRY = "registry"  # the registry already holds these inputs: nothing built


@dataclass(frozen=True)
class BuiltImage:
    plan: BuildPlan
    image_id: Optional[str]  # on this engine; None when only the registry holds it
    status: str  # BUILT | LOCAL | REGISTRY
    labels: dict[str, str] = field(default_factory=dict)
    digest: Optional[str] = None  # in the registry, when known

    @property
    def references(self) -> list[str]:
        return [f"{self.plan.repository}:{t}" for t in self.plan.tags]


@dataclass(frozen=True)
class PushedImage:
    reference: str
    digest: Optional[str]


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    tags: tuple[str, ...]  # in the registry (content tags left out)
    digest: Optional[str]  # of the branch (else latest) tag in the registry
    last_build: Optional[str]  # org.opencontainers.image.created of the newest local build
    error: Optional[str] = None  # registry problem for this row


BuildProgress = Callable[[str, str], None]
PushProgress = Callable[[PullEvent], None]


def labels_for(plan: BuildPlan, source: Optional[str]) -> dict[str, str]:
    labels = {
        f"{OCI}.revision": plan.revision,
        f"{OCI}.created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        f"{OCI}.title": plan.name,
        CATALOG_LABEL: plan.name,
    }
    if plan.inputs:
        labels[INPUTS_LABEL] = plan.inputs
    if plan.base_image:
        labels[f"{OCI}.base.name"] = plan.base_image
    if source:
        labels[f"{OCI}.source"] = source
    return labels


class ImageEvent(NamedTuple):
    """What one catalog image is doing, for a progress display: `phase` is "building" (its
    turn came), "ready" (`status` BUILT, LOCAL or REGISTRY), "pushing", or "done" (built and,
    with push, published); `seconds` since its turn came."""

    name: str
    phase: str
    seconds: float = 0.0
    status: Optional[str] = None


ImageEvents = Callable[[ImageEvent], None]


def build_images(
    engine: Engine,
    project: Project,
    plans: Sequence[BuildPlan],
    *,
    force: bool = False,
    push: bool = False,
    progress: Optional[BuildProgress] = None,
    push_progress: Optional[PushProgress] = None,
    events: Optional[ImageEvents] = None,
    environ: Mapping[str, str] = os.environ,
    workers: int = 4,
) -> tuple[list[BuiltImage], list[PushedImage]]:
    """Build `plans` (parents first), each as soon as the catalog image it is built on is ready:
    images on the same parent build at the same time. Inputs the registry or the engine already
    holds are not built again (unless `force`); `push` publishes each image right after it is
    ready. The first failure stops what has not started and is raised once the rest finished."""
    from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

    root = gitexport.repo_root(project.root)
    source = gitexport.source_url(root, environ)
    say: ImageEvents = events or (lambda event: None)

    def one(plan: BuildPlan) -> tuple[BuiltImage, list[PushedImage]]:
        started = time.monotonic()
        say(ImageEvent(plan.name, "building"))
        item = None if force else _already_built(engine, plan, environ)
        if item is None:
            labels = labels_for(plan, source)
            context = (
                gitexport.archive_worktree(root, plan.relpath)
                if plan.dirty
                else gitexport.archive_head(root, plan.relpath, plan.revision)
            )
            image_id = _build(engine, plan, context, labels, progress)
            item = BuiltImage(plan, image_id, BUILT, labels)
        if item.image_id is not None:
            for tag in _all_tags(plan):
                engine.tag(item.image_id, plan.repository, tag)
        say(ImageEvent(plan.name, "ready", time.monotonic() - started, item.status))
        published: list[PushedImage] = []
        if push:
            say(ImageEvent(plan.name, "pushing", time.monotonic() - started, item.status))
            published = publish(engine, item, push_progress, environ)
        say(ImageEvent(plan.name, "done", time.monotonic() - started, item.status))
        return item, published

    results: dict[str, tuple[BuiltImage, list[PushedImage]]] = {}
    waiting = list(plans)
    running: dict[Future[tuple[BuiltImage, list[PushedImage]]], str] = {}
    failure: Optional[BaseException] = None
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="devenv-images") as pool:
        while waiting or running:
            if failure is None:
                ready = [p for p in waiting if p.parent is None or p.parent in results or not _planned(plans, p)]
                for plan in ready:
                    waiting.remove(plan)
                    running[pool.submit(one, plan)] = plan.name
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                name = running.pop(future)
                error = future.exception()
                if error is not None:
                    failure = failure or error
                else:
                    results[name] = future.result()
    if failure is not None:
        raise failure
    built = [results[p.name][0] for p in plans]
    pushed = [tag for p in plans for tag in results[p.name][1]]
    return built, pushed


def _planned(plans: Sequence[BuildPlan], plan: BuildPlan) -> bool:
    """Whether `plan`'s parent is among `plans` (else it was built before: nothing to wait for)."""
    return any(p.name == plan.parent for p in plans)


def _already_built(engine: Engine, plan: BuildPlan, environ: Mapping[str, str]) -> Optional[BuiltImage]:
    if plan.content_tag is None:
        return None
    host, path = registry_path(plan.repository)
    digest = client_for(host, environ).manifest_digest_if_present(path, plan.content_tag)
    if digest is not None:
        return BuiltImage(plan, None, REGISTRY, {}, digest)
    local = engine.inspect_image(f"{plan.repository}:{plan.content_tag}")
    if local is not None:
        return BuiltImage(plan, local.id, LOCAL, dict(local.labels))
    return None


def _all_tags(plan: BuildPlan) -> list[str]:
    return [*plan.tags, *([plan.content_tag] if plan.content_tag else [])]


def _build(
    engine: Engine,
    plan: BuildPlan,
    context: bytes,
    labels: dict[str, str],
    progress: Optional[BuildProgress],
) -> str:
    tag = f"{plan.repository}:{plan.build_tag}"
    return follow_build(
        engine,
        lambda: engine.build(tag=tag, labels=labels, context_tar=context, build_args=dict(plan.build_args)),
        tag=tag,
        what=plan.relpath,
        failed=lambda error: DevenvError(
            f"{plan.relpath}/Dockerfile: build failed: {error}", hint="fix the Dockerfile, commit, and build again"
        ),
        progress=(lambda line: progress(plan.name, line)) if progress is not None else None,
    )


def push_images(
    engine: Engine,
    plans: Sequence[BuildPlan],
    *,
    progress: Optional[PushProgress] = None,
    environ: Mapping[str, str] = os.environ,
) -> list[PushedImage]:
    """`devenv images push`: publish what `images build` made for HEAD — a local build is pushed,
    inputs the registry already holds are only tagged there."""
    pushed: list[PushedImage] = []
    for plan in plans:
        local = engine.inspect_image(f"{plan.repository}:{plan.build_tag}")
        item = BuiltImage(plan, local.id, LOCAL) if local else _already_built(engine, plan, environ)
        if item is None:
            raise DevenvError(
                f"{plan.repository}:{plan.build_tag} is not built", hint="run `devenv images build` first"
            )
        pushed += publish(engine, item, progress, environ)
    return pushed


def publish(
    engine: Engine, item: BuiltImage, progress: Optional[PushProgress], environ: Mapping[str, str]
) -> list[PushedImage]:
    """Every tag of `item` into the registry: pushed from the engine, or — when the registry
    already holds the image — tagged there by copying its manifest (no layer moves)."""
    plan = item.plan
    host = registry_host(plan.repository)
    api = client_for(host, environ)
    api.check_login()  # our deadlines and login hint before the engine's slow failure
    if item.status == REGISTRY:
        _, path = registry_path(plan.repository)
        body, media_type, digest = api.manifest(path, plan.content_tag or "")
        out = []
        for tag in plan.tags:
            if api.manifest_digest_if_present(path, tag) != digest:
                api.put_manifest(path, tag, body, media_type)
            out.append(PushedImage(f"{plan.repository}:{tag}", digest))
        return out
    return [_push_tag(engine, plan, tag, progress, environ) for tag in _all_tags(plan)]


def _push_tag(
    engine: Engine, plan: BuildPlan, tag: str, progress: Optional[PushProgress], environ: Mapping[str, str]
) -> PushedImage:
    digest = follow_push(engine, plan.repository, tag, environ=environ, progress=progress)
    return PushedImage(f"{plan.repository}:{tag}", digest)


def list_catalog(
    engine: Engine, project: Project, *, environ: Mapping[str, str] = os.environ
) -> list[CatalogEntry]:
    host, prefix = registry_path(catalog_registry(project, environ))
    api = client_for(registry_host(host), environ)
    root = gitexport.repo_root(project.root)
    branch = gitexport.current_branch(root, environ)
    entries = []
    for name in catalog_names(project):
        repo = f"{prefix}/{name}" if prefix else name
        tags: tuple[str, ...] = ()
        digest = error = None
        try:
            tags = tuple(t for t in api.tags(repo) if not t.startswith(CONTENT_TAG_PREFIX))
            wanted = tag_safe(branch) if branch and tag_safe(branch) in tags else "latest"
            digest = api.manifest_digest(repo, wanted) if wanted in tags else None
        except RegistryNotFound:
            pass  # not pushed yet is a normal state, not an error
        except RegistryError as err:
            error = err.message
        entries.append(CatalogEntry(name, tags, digest, _last_build(engine, name), error))
    return entries


def _last_build(engine: Engine, name: str) -> Optional[str]:
    images = engine.images([f"{CATALOG_LABEL}={name}"])
    created = [img.labels.get(f"{OCI}.created") for img in images]
    return max((c for c in created if c), default=None)
