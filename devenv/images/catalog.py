"""The standard-image catalog: `images/<name>/Dockerfile`, planned for building from a clean
`git archive` of HEAD, in dependency order, each named by its inputs.

An image's *inputs* are the committed tree of its folder and its effective build args — the
base image among them, pinned: another catalog image by that image's inputs, an outside image
by digest. Their hash names a content tag (`src-<hash>`): an image whose inputs the registry
(or the engine) already holds is not built again, so a commit that leaves images/ alone rebuilds
nothing, and a change to `base` rebuilds everything built on it."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from devenv.config.model import CatalogImage, Project
from devenv.engine import labels as L
from devenv.errors import ConfigError, DevenvError
from devenv.images import gitexport
from devenv.images.dockerfile import BASE_ARG, base_arg
from devenv.registry.reference import CONTENT_TAG_PREFIX

CATALOG_DIR = "images"
CATALOG_LABEL = L.CATALOG
INPUTS_LABEL = L.CATALOG_INPUTS
OCI = L.OCI
INPUTS_VERSION = 1


@dataclass(frozen=True)
class BuildPlan:
    name: str
    relpath: str  # folder inside the git repository
    repository: str  # "<registry>/<name>"
    tags: tuple[str, ...]  # what people use: <branch>, <short sha>, latest on the default branch
    revision: str
    dirty: bool
    build_args: tuple[tuple[str, str], ...] = ()  # effective, BASE_IMAGE pinned
    parent: Optional[str] = None  # the catalog image this one is built on (built first)
    inputs: Optional[str] = None  # hash of what the image is built from; None for a dirty build

    @property
    def content_tag(self) -> Optional[str]:
        return CONTENT_TAG_PREFIX + self.inputs if self.inputs else None

    @property
    def build_tag(self) -> str:
        """The tag dependants build FROM: the content tag, else (dirty) the last human tag."""
        return self.content_tag or self.tags[-1]

    @property
    def base_image(self) -> Optional[str]:
        return dict(self.build_args).get(BASE_ARG)


def catalog_names(project: Project) -> list[str]:
    folder = project.root / CATALOG_DIR
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if (p / "Dockerfile").is_file())


def catalog_path(project: Project, name: str) -> Path:
    return project.root / CATALOG_DIR / name


def catalog_registry(project: Project, environ: Mapping[str, str]) -> str:
    from devenv.registry.reference import effective_registry

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


def _known(project: Project) -> list[str]:
    known = catalog_names(project)
    if not known:
        raise ConfigError(
            f"no catalog images: {project.root / CATALOG_DIR}/<name>/Dockerfile does not exist",
            hint="add images/<name>/Dockerfile (see docs/registry.md)",
        )
    for declared in project.images:
        if declared.name not in known:
            raise ConfigError(
                f"{project.config_file.name} [images.{declared.name}]: "
                f"{CATALOG_DIR}/{declared.name}/Dockerfile does not exist",
                hint=f"add {CATALOG_DIR}/{declared.name}/Dockerfile or remove the table; "
                f"catalog images: {', '.join(known)}",
            )
    return known


def _select(known: Sequence[str], names: Sequence[str]) -> list[str]:
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(f"unknown catalog image '{unknown[0]}'", hint=f"known images: {', '.join(known)}")
    return list(names) or list(known)


def build_order(parents: Mapping[str, Optional[str]], wanted: Sequence[str]) -> list[str]:
    """`wanted` and the catalog images they are built on, parents first (else in name order)."""
    order: list[str] = []

    def visit(name: str, chain: list[str]) -> None:
        if name in order:
            return
        if name in chain:
            cycle = " → ".join([*chain[chain.index(name) :], name])
            raise ConfigError(
                f"catalog images are built on each other in a cycle: {cycle}",
                hint="one of them must start from an outside image (`[images.NAME] from`)",
            )
        parent = parents.get(name)
        if parent is not None:
            visit(parent, [*chain, name])
        order.append(name)

    for name in sorted(wanted):
        visit(name, [])
    return order


def inputs_hash(tree: str, build_args: Mapping[str, str]) -> str:
    doc = {"v": INPUTS_VERSION, "tree": tree, "args": sorted(build_args.items())}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class _Source:
    name: str
    relpath: str
    dirty: list[str]
    dockerfile: str  # its text as it will be built (committed, or on disk for a dirty build)
    declared: CatalogImage
    base: Optional[str]  # BASE_IMAGE before pinning: a catalog name or an image reference
    base_from: str  # where `base` came from, for errors: "--build-arg", "[images.X] from", "Dockerfile"


def _sources(
    project: Project, root: Path, sha: str, known: Sequence[str], cli_args: Mapping[str, str]
) -> dict[str, _Source]:
    declared = {img.name: img for img in project.images}
    sources = {}
    for name in known:
        relpath = os.path.relpath(catalog_path(project, name), root).replace(os.sep, "/")
        dirty = gitexport.dirty_paths(root, relpath)
        path = f"{relpath}/Dockerfile"
        text = (
            (root / path).read_text(errors="replace") if dirty else gitexport.committed_file(root, path, sha)
        )
        decl = declared.get(name, CatalogImage(name))
        parsed = base_arg(text or "")
        base: Optional[str]
        if cli_args.get(BASE_ARG):
            base, base_from = cli_args[BASE_ARG], "--build-arg"
        elif decl.base:
            base, base_from = decl.base, f"[images.{name}] from"
            if not parsed.used:
                raise ConfigError(
                    f"{path}: no FROM line starts from ${{{BASE_ARG}}}, so [images.{name}] from has no effect",
                    hint=f"start the Dockerfile with `ARG {BASE_ARG}` and `FROM ${{{BASE_ARG}}}`",
                )
        else:
            base, base_from = (parsed.default if parsed.used else None), f"{path}:{parsed.line}"
        sources[name] = _Source(name, relpath, dirty, text or "", decl, base, base_from)
    return sources


def plan_builds(
    project: Project,
    names: Sequence[str] = (),
    *,
    allow_dirty: bool = False,
    build_args: Optional[Mapping[str, str]] = None,
    environ: Mapping[str, str] = os.environ,
    pin: Optional[Callable[[str, str], str]] = None,
) -> list[BuildPlan]:
    """Plans for `names` (default: every catalog image) and the catalog images they are built on,
    parents first. `pin(reference, where)` turns an outside base into `repo@digest` (default:
    ask its registry)."""
    registry = catalog_registry(project, environ)
    cli_args = dict(build_args or {})
    root = gitexport.repo_root(project.root)
    sha = gitexport.head_sha(root)
    branch = gitexport.current_branch(root, environ)
    on_default = branch is not None and branch == gitexport.default_branch(root, environ)
    known = _known(project)
    sources = _sources(project, root, sha, known, cli_args)
    parents = {n: (s.base if s.base in known else None) for n, s in sources.items()}
    pin = pin or (lambda ref, where: pin_reference(ref, project.registry, where, environ))
    plans: dict[str, BuildPlan] = {}
    for name in build_order(parents, _select(known, names)):
        src = sources[name]
        if src.dirty and not allow_dirty:
            shown = ", ".join(src.dirty[:3]) + (", …" if len(src.dirty) > 3 else "")
            raise DevenvError(
                f"{src.relpath} has uncommitted changes ({shown}): catalog images are built only from "
                "committed sources",
                hint="commit the changes, or pass --allow-dirty for a local `-dirty` build",
            )
        suffix = "-dirty" if src.dirty else ""
        tags = [tag_safe(branch) + suffix] if branch else []
        tags.append(sha[:12] + suffix)
        if on_default and not src.dirty:
            tags.append("latest")
        args = {**dict(src.declared.build_args), **cli_args}
        parent = parents[name]
        if parent is not None:
            args[BASE_ARG] = f"{registry}/{parent}:{plans[parent].build_tag}"
        elif src.base:
            args[BASE_ARG] = pin(src.base, src.base_from)
        clean = not src.dirty and (parent is None or plans[parent].inputs is not None)
        inputs = inputs_hash(gitexport.tree_id(root, src.relpath, sha), args) if clean else None
        plans[name] = BuildPlan(
            name,
            src.relpath,
            f"{registry}/{name}",
            tuple(tags),
            sha + suffix,
            bool(src.dirty),
            tuple(sorted(args.items())),
            parent,
            inputs,
        )
    return list(plans.values())


def pin_reference(reference: str, registry: Optional[str], where: str, environ: Mapping[str, str]) -> str:
    """`repo:tag` → `repo@sha256:…` as its registry says now (a short name resolves against
    the team registry, as service images do); a reference with a digest is kept."""
    from devenv.errors import RegistryError
    from devenv.registry.reference import resolve_image
    from devenv.registry.resolve import client_for

    try:
        ref = resolve_image(reference, registry, environ)
    except DevenvError as err:
        raise ConfigError(f"{where}: base image {reference!r}: {err.message}", hint=err.hint) from err
    if ref.digest:
        return f"{ref.registry}/{ref.repository}@{ref.digest}"
    try:
        digest = client_for(ref.registry, environ).manifest_digest(ref.repository, ref.reference)
    except RegistryError as err:
        raise type(err)(
            f"base image {ref} ({where}) cannot be pinned: {err.message}",
            hint=err.hint or "push it first (scripts/debian-base.sh mirrors Debian into the local registry)",
        ) from err
    return f"{ref.registry}/{ref.repository}@{digest}"


def registry_path(repository: str) -> tuple[str, str]:
    """ "host[:port]/team/name" → ("host[:port]", "team/name")."""
    host, _, path = repository.partition("/")
    return host, path


def describe_base(plan: BuildPlan) -> str:
    if plan.parent:
        return f"on {plan.parent}"
    return f"on {plan.base_image}" if plan.base_image else "from scratch"
