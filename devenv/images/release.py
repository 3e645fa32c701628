"""Release images: what a cluster runs for a service whose code devenv mounts.

A cluster cannot mount a laptop's folder, so an export to one runs, for every service with
`code` (or its own `build`), the service's image with the committed project copied in at its
`code` path: `<registry>/<project>-<service>:<short sha>`. Both parts come from the commit
(`git archive` of HEAD, as catalog images do): the service's own build (its Dockerfile, build
args, the locked `from` as BASE_IMAGE) or its locked image, then one `COPY` of the project.
Uncommitted changes are not in it, and the tag says which commit is.
"""

from __future__ import annotations

import io
import os
import posixpath
import tarfile
from collections.abc import Mapping
from pathlib import Path
from typing import Callable, NamedTuple, Optional

from devenv.config.model import BASE_IMAGE_ARG as BASE_ARG
from devenv.config.model import Project, Service
from devenv.engine import labels as L
from devenv.engine.port import Engine
from devenv.errors import ConfigError, DevenvError, RegistryError
from devenv.images import gitexport
from devenv.images.build_run import follow_build, follow_push
from devenv.registry.reference import effective_registry, parse_reference

CODE_DIR = "code"  # the project's files inside the release build context

Progress = Callable[[str], None]


class ReleasePlan(NamedTuple):
    service: str
    repository: str  # <registry>/<project>-<service>
    tag: str  # the commit's short sha
    revision: str  # the full sha
    repo_root: Path  # the git repository holding the project (a bare mirror for a git include)
    relpath: str  # the project folder inside it ("" for the repository root)
    dirty: tuple[str, ...]  # uncommitted paths under the project (not in the image)
    tree_root: Optional[Path] = None  # where the commit's files are on disk, if not the checkout

    @property
    def files_root(self) -> Path:
        """The folder the service's paths (build context) are relative to inside the commit."""
        return self.tree_root or self.repo_root

    @property
    def reference(self) -> str:
        return f"{self.repository}:{self.tag}"


def needs_release(svc: Service) -> bool:
    """A cluster runs the code inside the image: a service with `code` or a build needs one made."""
    return bool(svc.code) or svc.build is not None


def plan_releases(project: Project, environ: Mapping[str, str] = os.environ) -> list[ReleasePlan]:
    """One plan per service that needs a release image, for the commit at HEAD."""
    services = [s for s in project.services if needs_release(s)]
    if not services:
        return []
    registry = effective_registry(project.registry, environ)
    if not registry:
        raise ConfigError(
            "devenv.toml [project] registry is not set: release images need a registry to be pushed to",
            'add `registry = "registry.example.com/team"` under [project] (or set DEVENV_REGISTRY)',
        )
    sources: dict[Optional[str], _Source] = {}  # per include (None: this project), made once
    plans = []
    for svc in services:
        if svc.include not in sources:
            sources[svc.include] = _source(project, svc.include)
        src = sources[svc.include]
        plans.append(
            ReleasePlan(
                svc.name,
                f"{registry}/{src.name}-{svc.name}".lower(),
                src.sha[:12],
                src.sha,
                src.repo_root,
                src.relpath,
                src.dirty,
                src.tree_root,
            )
        )
    return plans


class _Source(NamedTuple):
    name: str  # the project the services belong to (an included stack's own name)
    repo_root: Path
    sha: str
    relpath: str
    dirty: tuple[str, ...]
    tree_root: Optional[Path]


def _source(project: Project, include: Optional[str]) -> _Source:
    """Which commit a service's release image is built from: this checkout's HEAD; an included
    stack's own checkout's HEAD (path, link); a git include's pinned commit, from devenv's mirror."""
    if include is not None:
        stack = project.included(include)
        if stack.source == "git" and stack.commit and stack.repository is not None:
            # The exported tree of the pinned commit is not a checkout: `git archive` from the mirror.
            tree = stack.project.root
            return _Source(stack.project.name, stack.repository, stack.commit, "", (), tree)
        project = stack.project
    root = gitexport.repo_root(project.root)
    sha = gitexport.head_sha(root)
    relpath = _relpath(project.root, root)
    return _Source(project.name, root, sha, relpath, tuple(gitexport.dirty_paths(root, relpath or ".")), None)


def _relpath(path: Path, root: Path) -> str:
    rel = os.path.relpath(path.resolve(), root.resolve()).replace(os.sep, "/")
    return "" if rel == "." else rel


def find_releases(plans: list[ReleasePlan], environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """service -> pinned reference of its release image for HEAD, as the registry holds it."""
    from devenv.registry.resolve import client_for

    found: dict[str, str] = {}
    missing: list[str] = []
    for plan in plans:
        ref = parse_reference(plan.reference)
        digest = client_for(ref.registry, environ).manifest_digest_if_present(ref.repository, plan.tag)
        if digest is None:
            missing.append(plan.reference)
        else:
            found[plan.service] = str(ref.pinned(digest))
    if missing:
        raise ConfigError(
            f"no release image for HEAD in the registry: {', '.join(missing)}",
            "build and push them from the commit with `--push` (a cluster runs the code inside the image)",
        )
    return found


def release_dockerfile(base: str, code: Optional[str]) -> str:
    lines = [f"FROM {base}"]
    if code:
        lines.append(f"COPY {CODE_DIR}/ {code.rstrip('/')}/")
    return "\n".join(lines) + "\n"


def release_context(project_tar: bytes, dockerfile: str) -> bytes:
    """The build context: the Dockerfile, and the committed project under code/."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        data = dockerfile.encode()
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(data))
        with tarfile.open(fileobj=io.BytesIO(project_tar), mode="r") as source:
            for member in source.getmembers():
                if member.name in ("", ".", "pax_global_header") or member.type == tarfile.XGLTYPE:
                    continue
                name = member.name[2:] if member.name.startswith("./") else member.name
                member.name = f"{CODE_DIR}/{name}"
                handle = source.extractfile(member) if member.isfile() else None
                tar.addfile(member, handle)
    return out.getvalue()


def labels_for(project: Project, plan: ReleasePlan, source: Optional[str]) -> dict[str, str]:
    labels = {
        f"{L.OCI}.revision": plan.revision,
        # The commit's time, not the build's: the same commit gives the same image (a cached
        # build, nothing pushed again), and a publish of an unchanged stack the same artifact.
        f"{L.OCI}.created": gitexport.commit_time(plan.repo_root, plan.revision),
        f"{L.OCI}.title": f"{project.name}-{plan.service}",
        L.RELEASE: f"{project.name}/{plan.service}",
    }
    if source:
        labels[f"{L.OCI}.source"] = source
    return labels


def build_release(
    engine: Engine,
    project: Project,
    plan: ReleasePlan,
    *,
    image: Optional[str],
    base: Optional[str],
    progress: Optional[Progress] = None,
    environ: Mapping[str, str] = os.environ,
) -> str:
    """Build the release image of `plan` from HEAD, push it, return its pinned reference.
    `image`: the service's locked image (a service without `build`); `base`: its locked `from`."""
    svc = project.service(plan.service)
    labels = labels_for(project, plan, gitexport.source_url(plan.repo_root, environ))
    start = image
    if svc.build is not None:
        args = dict(svc.build.args)
        if svc.build.base is not None:
            if base is None:
                raise ConfigError(
                    f"devenv.lock has no digest for the base image of service {svc.name}",
                    "run `devenv lock` first",
                )
            args[BASE_ARG] = base
        start = f"{plan.repository}:{plan.tag}-build"
        _build(
            engine,
            tag=start,
            context=gitexport.archive_head(
                plan.repo_root, _relpath(svc.build.context, plan.files_root), plan.revision
            ),
            dockerfile=svc.build.dockerfile,
            args=args,
            target=svc.build.target,
            labels=labels,
            what=f"services.{svc.name}.build at {plan.revision[:12]}",
            progress=progress,
        )
    if start is None:
        raise ConfigError(f"devenv.lock has no digest for service {svc.name}", "run `devenv lock` first")
    if svc.code or svc.build is None:
        # The code folder (the project, or the subfolder `code.source` names) becomes `code`.
        folder = posixpath.join(plan.relpath, svc.code_source) if svc.code_source else plan.relpath
        project_tar = gitexport.archive_head(plan.repo_root, folder, plan.revision)
        _build(
            engine,
            tag=plan.reference,
            context=release_context(project_tar, release_dockerfile(start, svc.code)),
            labels=labels,
            what=f"the release image of {svc.name}",
            progress=progress,
        )
    else:
        engine.tag(start, plan.repository, plan.tag)
    digest = _push(engine, plan.repository, plan.tag, environ)
    return str(parse_reference(plan.repository).pinned(digest))


def _build(
    engine: Engine,
    *,
    tag: str,
    context: bytes,
    labels: dict[str, str],
    what: str,
    dockerfile: Optional[str] = None,
    args: Optional[dict[str, str]] = None,
    target: Optional[str] = None,
    progress: Optional[Progress] = None,
) -> None:
    follow_build(
        engine,
        lambda: engine.build(
            tag=tag, labels=labels, context_tar=context, dockerfile=dockerfile, build_args=args, target=target
        ),
        tag=tag,
        what=what,
        failed=lambda error: DevenvError(f"{what}: build failed: {error}", hint="fix it, commit, and export again"),
        progress=progress,
    )


def _push(engine: Engine, repository: str, tag: str, environ: Mapping[str, str]) -> str:
    digest = follow_push(engine, repository, tag, environ=environ)
    if digest is None:
        raise RegistryError(f"push of {repository}:{tag}: the engine reported no digest")
    return digest
