"""`devenv export`: the stack as files for another engine — compose, a Swarm stack, Kubernetes.

Images are what devenv.lock pins; for Swarm (and Kubernetes with `push`) a service with code
runs its release image (images/release.py), found in the registry for HEAD or built and pushed
here. The env is a profile's layered env, resolved without anyone's local secret values."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Callable, Optional

from devenv.config.model import Project
from devenv.errors import ConfigError

COMPOSE_FILE = "docker-compose.yml"
TARGETS = ("compose", "swarm", "k8s")
EXPORT_MARK = "by `devenv export "  # in the header of every file an export writes

Progress = Callable[[str], None]


class _AnySecret(Mapping[str, str]):
    """Stands in for the process env while resolving secrets: export writes references to secret
    keys, never their values, so it must not need (or read) anyone's local secret values."""

    def __getitem__(self, key: str) -> str:
        return ""

    def __contains__(self, key: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def locked_images(project: Project) -> tuple[dict[str, str], dict[str, str]]:
    """From devenv.lock, "registry/repo@sha256:..." per service: the image of each service that
    pulls one (every such service must be locked), and the base (`build.from`) of each that builds."""
    from devenv.registry.lockfile import LockFile
    from devenv.registry.reference import parse_reference

    lock = LockFile.load(project.root / "devenv.lock")
    images: dict[str, str] = {}
    bases: dict[str, str] = {}
    for svc in project.services:
        entry = lock.images.get(svc.name) if lock is not None else None
        if entry is not None:
            pinned = str(parse_reference(entry.reference).pinned(entry.digest))
            (bases if svc.build is not None else images)[svc.name] = pinned
        elif svc.build is None or svc.build.base is not None:
            raise ConfigError(
                f"devenv.lock has no digest for service {svc.name}"
                if lock is not None
                else f"no devenv.lock in {project.root}",
                "run `devenv lock` first: an export pins every image to its digest",
            )
    return images, bases


def layered_envs(project: Project, profile: Optional[str]) -> dict[str, Mapping[str, Any]]:
    from devenv.envvars import service_env

    return {
        svc.name: service_env(project, svc.name, profile, process_env=_AnySecret()).values
        for svc in project.services
    }


def release_images(
    project: Project,
    images: Mapping[str, str],
    bases: Mapping[str, str],
    *,
    push: bool,
    progress: Optional[Progress] = None,
    environ: Mapping[str, str] = os.environ,
) -> dict[str, str]:
    """service -> pinned release image for every service with code or a build (built from HEAD
    and pushed when `push`, else looked up in the registry)."""
    from devenv.images.release import build_release, find_releases, plan_releases

    plans = plan_releases(project, environ)
    if not plans:
        return {}
    if progress is not None:  # once per checkout (an included stack's is its own)
        for plan in {(p.repo_root, p.relpath): p for p in plans if p.dirty}.values():
            progress(
                f"uncommitted changes ({len(plan.dirty)} path(s)) in {plan.repo_root} are not in the "
                f"release images: they are built from HEAD {plan.revision[:12]}"
            )
    if not push:
        return find_releases(plans, environ)
    from devenv.engine.connect import connect

    engine = connect()
    out = {}
    for plan in plans:
        if progress is not None:
            progress(f"{plan.service}: building {plan.reference} from the commit")
        out[plan.service] = build_release(
            engine,
            project,
            plan,
            image=images.get(plan.service),
            base=bases.get(plan.service),
            environ=environ,
        )
        if progress is not None:
            progress(f"{plan.service}: pushed {out[plan.service]}")
    return out


def export_files(
    project: Project,
    target: str,
    *,
    out_dir: Optional[Path] = None,
    profile: Optional[str] = None,
    push: bool = False,
    progress: Optional[Progress] = None,
    environ: Mapping[str, str] = os.environ,
) -> dict[str, str]:
    """filename -> text for `target` (compose, swarm or k8s)."""
    from devenv.export import export_compose, export_k8s

    if push and target == "compose":
        raise ConfigError(
            "--push builds release images for a cluster: use it with --for swarm or k8s",
            "a compose file on this machine builds and mounts the code itself",
        )
    images, bases = locked_images(project)
    envs = layered_envs(project, profile)
    if target == "compose":
        base = out_dir or project.root
        text = export_compose(project, images=images, envs=envs, base_dir=base, profile=profile, bases=bases)
        return {COMPOSE_FILE: text}
    if target == "k8s":
        if push:
            images = {**images, **release_images(project, images, bases, push=True, progress=progress)}
        return export_k8s(project, images=images, envs=envs, profile=profile)
    from devenv.export.swarm import STACK_FILE, ImageArgv, export_swarm, needs_image_argv
    from devenv.registry.image_config import image_argv

    images = {
        **images,
        **release_images(project, images, bases, push=push, progress=progress, environ=environ),
    }
    argv = {}
    for name in needs_image_argv(project, envs):
        if name not in images:
            continue  # export_swarm names the missing image
        entrypoint, cmd = image_argv(images[name], environ)
        argv[name] = ImageArgv(entrypoint, cmd)
    text = export_swarm(
        project, images=images, envs=envs, image_argv=argv, base_dir=out_dir or project.root, profile=profile
    )
    return {STACK_FILE: text}


def written_by_devenv(path: Path) -> bool:
    """Whether the file's leading comments say an export wrote it (only those are replaced
    without --force: a hand-written docker-compose.yml may be the very prod source)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096).decode("utf-8", "replace")
    except OSError:
        return False
    for line in head.splitlines():
        if not line.startswith("#"):
            return False
        if EXPORT_MARK in line:
            return True
    return False


def check_overwrites(out_dir: Path, names: Iterable[str], *, force: bool = False) -> None:
    """Refuse to replace a file in `out_dir` that an export did not write, unless `force`."""
    if force:
        return
    theirs = [name for name in names if (out_dir / name).exists() and not written_by_devenv(out_dir / name)]
    if theirs:
        more = f" (and {len(theirs) - 1} more)" if len(theirs) > 1 else ""
        raise ConfigError(
            f"{out_dir / theirs[0]}{more} was not written by devenv export: it is kept",
            "move it away or choose another folder with -o; --force replaces it",
        )


def write_export(out_dir: Path, files: Mapping[str, str], *, force: bool = False) -> list[Path]:
    """Write the exported files into `out_dir` as a whole (all replaced, or none); a file there
    that an export did not write is replaced only with `force`."""
    from devenv.fsutil import replace_files
    from devenv.interrupts import deferred

    check_overwrites(out_dir, files, force=force)
    try:
        return replace_files(out_dir, files, hold=deferred)
    except OSError as err:
        raise ConfigError(
            f"{out_dir}: cannot write the export there ({err.strerror}); no file was replaced",
            "choose a folder you can write with -o, or fix its permissions",
        ) from None
