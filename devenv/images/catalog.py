"""The standard-image catalog: `images/<name>/Dockerfile`, built from a clean `git archive` of
HEAD, tagged `<branch>`, `<short-sha>` (and `latest` on the default branch), labelled, pushed."""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from devenv.engine import labels as L
from devenv.engine.errors import EngineRefused
from devenv.engine.port import Engine
from devenv.errors import ConfigError, DevenvError, EngineError, RegistryError
from devenv.images import gitexport
from devenv.registry.pull import PullEvent
from devenv.registry.reference import effective_registry, registry_host
from devenv.registry.resolve import client_for, engine_auth

CATALOG_DIR = "images"
CATALOG_LABEL = L.CATALOG
OCI = L.OCI


@dataclass(frozen=True)
class BuildPlan:
    name: str
    relpath: str  # folder inside the git repository
    repository: str  # "<registry>/<name>"
    tags: tuple[str, ...]
    revision: str
    dirty: bool


@dataclass(frozen=True)
class BuiltImage:
    plan: BuildPlan
    image_id: str
    labels: dict[str, str] = field(default_factory=dict)

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
    tags: tuple[str, ...]  # in the registry
    digest: Optional[str]  # of the branch (else latest) tag in the registry
    last_build: Optional[str]  # org.opencontainers.image.created of the newest local build
    error: Optional[str] = None  # registry problem for this row


def catalog_names(project: Any) -> list[str]:
    folder = project.root / CATALOG_DIR
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if (p / "Dockerfile").is_file())


def _select(project: Any, names: Sequence[str]) -> list[str]:
    known = catalog_names(project)
    if not known:
        raise ConfigError(
            f"no catalog images: {project.root / CATALOG_DIR}/<name>/Dockerfile does not exist",
            hint="add images/<name>/Dockerfile (see docs/registry.md)",
        )
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(f"unknown catalog image '{unknown[0]}'", hint=f"known images: {', '.join(known)}")
    return list(names) or known


def _registry(project: Any, environ: Mapping[str, str]) -> str:
    registry = effective_registry(project.registry, environ)
    if not registry:
        raise ConfigError(
            "devenv.toml [project] registry is not set: catalog images need a registry to be tagged for",
            hint='add `registry = "registry.example.com/team"` under [project] (or set DEVENV_REGISTRY)',
        )
    return registry


def tag_safe(text: str) -> str:
    """Branch names like `feature/x` become valid tags (`feature-x`)."""
    tag = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip(".-")[:120]
    return tag or "unnamed"


def plan_builds(
    project: Any,
    names: Sequence[str] = (),
    *,
    allow_dirty: bool = False,
    environ: Mapping[str, str] = os.environ,
) -> list[BuildPlan]:
    registry = _registry(project, environ)
    root = gitexport.repo_root(project.root)
    sha = gitexport.head_sha(root)
    branch = gitexport.current_branch(root, environ)
    on_default = branch is not None and branch == gitexport.default_branch(root, environ)
    plans = []
    for name in _select(project, names):
        relpath = os.path.relpath(project.root / CATALOG_DIR / name, root).replace(os.sep, "/")
        dirty = gitexport.dirty_paths(root, relpath)
        if dirty and not allow_dirty:
            raise DevenvError(
                f"{relpath} has uncommitted changes ({', '.join(dirty[:3])}{', …' if len(dirty) > 3 else ''}): "
                "catalog images are built only from committed sources",
                hint="commit the changes, or pass --allow-dirty for a local `-dirty` build",
            )
        suffix = "-dirty" if dirty else ""
        tags = [tag_safe(branch) + suffix] if branch else []
        tags.append(sha[:12] + suffix)
        if on_default and not dirty:
            tags.append("latest")
        plans.append(BuildPlan(name, relpath, f"{registry}/{name}", tuple(tags), sha + suffix, bool(dirty)))
    return plans


def build_images(
    engine: Engine,
    project: Any,
    plans: Sequence[BuildPlan],
    *,
    build_args: Optional[Mapping[str, str]] = None,
    progress: Optional[Callable[[str, str], None]] = None,
    environ: Mapping[str, str] = os.environ,
) -> list[BuiltImage]:
    """Build each plan from `git archive` of HEAD (a dirty plan: from the tracked+untracked files)."""
    root = gitexport.repo_root(project.root)
    source = gitexport.source_url(root, environ)
    built = []
    for plan in plans:
        context = (
            gitexport.archive_worktree(root, plan.relpath)
            if plan.dirty
            else gitexport.archive_head(root, plan.relpath, plan.revision)
        )
        labels = {
            f"{OCI}.revision": plan.revision,
            f"{OCI}.created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            f"{OCI}.title": plan.name,
            CATALOG_LABEL: plan.name,
        }
        if source:
            labels[f"{OCI}.source"] = source
        image_id = _build(engine, plan, context, labels, dict(build_args or {}), progress)
        for tag in plan.tags:
            engine.tag(image_id, plan.repository, tag)
        built.append(BuiltImage(plan, image_id, labels))
    return built


def _build(
    engine: Engine,
    plan: BuildPlan,
    context: bytes,
    labels: dict[str, str],
    args: dict[str, str],
    progress: Optional[Callable[[str, str], None]],
) -> str:
    tag = f"{plan.repository}:{plan.tags[-1]}"
    image_id: Optional[str] = None
    try:
        for event in engine.build(tag=tag, labels=labels, context_tar=context, build_args=args):
            if event.error is not None:
                raise DevenvError(
                    f"{plan.relpath}/Dockerfile: build failed: {event.error.strip()}",
                    hint="fix the Dockerfile, commit, and build again",
                )
            if event.aux.get("ID"):
                image_id = str(event.aux["ID"])
            if progress is not None and event.stream.strip():
                progress(plan.name, event.stream.rstrip("\n"))
    except EngineRefused as err:
        raise EngineError(f"engine refused the build of {plan.relpath}: {err.explanation}") from err
    if image_id is None:
        built = engine.inspect_image(tag)
        if built is None:
            raise EngineError(f"the engine reported no error but {tag} is not there after the build")
        image_id = built.id
    return image_id


def push_images(
    engine: Engine,
    plans: Sequence[BuildPlan],
    *,
    progress: Optional[Callable[[PullEvent], None]] = None,
    environ: Mapping[str, str] = os.environ,
) -> list[PushedImage]:
    """Push every tag of every plan; each must have been built (`devenv images build`)."""
    pushed: list[PushedImage] = []
    checked: set[str] = set()
    for plan in plans:
        host = registry_host(plan.repository)
        if host not in checked:  # our deadlines and login hint before the engine's slow failure
            client_for(host, environ).check_login()
            checked.add(host)
        for tag in plan.tags:
            ref = f"{plan.repository}:{tag}"
            if engine.inspect_image(ref) is None:
                raise DevenvError(f"{ref} is not built", hint="run `devenv images build` first")
            digest = None
            auth = _push_auth(host, environ)
            try:
                for event in engine.push(plan.repository, tag, auth=auth):
                    if event.error is not None:
                        raise RegistryError(f"push of {ref} failed: {event.error.strip()[:300]}",
                                            hint=f"check `devenv login {host}` and write access")  # fmt: skip
                    if event.aux.get("Digest"):
                        digest = str(event.aux["Digest"])
                    if progress is not None and event.status:
                        progress(PullEvent(ref, event.id, event.status, event.current, event.total))
            except EngineRefused as err:
                raise RegistryError(f"push of {ref} failed: {err.explanation}") from err
            pushed.append(PushedImage(ref, digest))
    return pushed


def _push_auth(host: str, environ: Mapping[str, str]) -> Optional[dict[str, str]]:
    from devenv.registry.reference import ImageRef

    return engine_auth(ImageRef(host, "x", "latest"), environ)


def list_catalog(
    engine: Engine, project: Any, *, environ: Mapping[str, str] = os.environ
) -> list[CatalogEntry]:
    registry = _registry(project, environ)
    host, _, prefix = registry.partition("/")
    api = client_for(registry_host(host), environ)
    root = gitexport.repo_root(project.root)
    branch = gitexport.current_branch(root, environ)
    entries = []
    for name in catalog_names(project):
        repo = f"{prefix}/{name}" if prefix else name
        tags: tuple[str, ...] = ()
        digest = error = None
        try:
            tags = tuple(api.tags(repo))
            wanted = tag_safe(branch) if branch and tag_safe(branch) in tags else "latest"
            digest = api.manifest_digest(repo, wanted) if wanted in tags else None
        except RegistryError as err:
            if "not found" not in err.message:  # not pushed yet is a normal state, not an error
                error = err.message
        entries.append(CatalogEntry(name, tags, digest, _last_build(engine, name), error))
    return entries


def _last_build(engine: Engine, name: str) -> Optional[str]:
    images = engine.images([f"{CATALOG_LABEL}={name}"])
    created = [img.labels.get(f"{OCI}.created") for img in images]
    return max((c for c in created if c), default=None)


def catalog_path(project: Any, name: str) -> Path:
    return Path(project.root) / CATALOG_DIR / name
